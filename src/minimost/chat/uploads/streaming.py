"""File uploads: streamed to disk with the size limit enforced as the bytes arrive.

Stored names follow the original MiniMost (``<32 hex><ext>`` for images,
``<32 hex>_<safe original name>`` for everything else), so old links keep working.
A part that grows past the limit is deleted on the spot and the whole send is
refused; nothing half-written is ever left in ``uploads/``.

File data goes to disk however large the chunks the server hands over (a client at
full speed on loopback delivers megabytes at once), so only the text fields and the
part headers held in memory are capped, never a chunk.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiofiles
from quart import request
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Event,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)
from werkzeug.utils import secure_filename

from ...api import ApiError
from ...db.unavailable import storage_refusal
from ...housekeeping.leftovers import partial_upload_name

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
MAX_FIELD_BYTES = 64 * 1024
FIELDS_TOO_LARGE = f"The text fields of a send can hold at most {MAX_FIELD_BYTES // 1024} KiB."
MAX_FILES = 10
MAX_NAME_BYTES = 255


def stored_name(original: str) -> str:
    extension = Path(original).suffix.lower()
    token = uuid.uuid4().hex
    if extension in IMAGE_EXTENSIONS:
        return f"{token}{extension}"
    safe = secure_filename(original) or f"file{extension}"
    room = MAX_NAME_BYTES - len(token) - 1
    if len(safe) > room:
        # Shortened, keeping its extension: the filesystem refuses longer names.
        suffix = Path(safe).suffix[:16]
        safe = safe[: room - len(suffix)] + suffix
    return f"{token}_{safe}"


def original_name(stored: str) -> str:
    return stored[33:] if len(stored) > 33 and stored[32] == "_" else stored


def is_image(stored: str) -> bool:
    return Path(stored).suffix.lower() in IMAGE_EXTENSIONS


@dataclass
class Upload:
    original: str
    stored: str
    temporary: Path
    size: int = 0


@dataclass
class MultipartSend:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    def discard(self) -> None:
        """Delete every file of the send, moved into place or not: its rows were not saved."""
        for path in [*(upload.temporary for upload in self.files), *self.kept]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self.kept.clear()

    def keep(self, uploads_dir: Path) -> None:
        """Move every temporary file to its final name (atomic on one filesystem)."""
        for upload in self.files:
            final = uploads_dir / upload.stored
            os.replace(upload.temporary, final)
            self.kept.append(final)


class _PartWriter:
    """Where the data of the part being read goes: a file on disk or a field in memory."""

    def __init__(self, uploads_dir: Path, max_file_bytes: int) -> None:
        self.uploads_dir = uploads_dir
        self.max_file_bytes = max_file_bytes
        self.received = MultipartSend()
        self.field_name: str | None = None
        self.field_bytes = bytearray()
        self.text_bytes = 0
        self.file: Upload | None = None
        self.handle: Any = None

    async def take(self, event: Event) -> None:
        if isinstance(event, File):
            await self._start_file(event.filename or "file")
        elif isinstance(event, Field):
            self.field_name, self.field_bytes = event.name, bytearray()
        elif isinstance(event, Data):
            if self.file is not None:
                await self._write_file(event.data, event.more_data)
            elif self.field_name is not None:
                self._add_text(event.data, event.more_data)

    async def _start_file(self, original: str) -> None:
        if len(self.received.files) >= MAX_FILES:
            raise ApiError(413, "too_many_files", f"Send at most {MAX_FILES} files.")
        temporary = self.uploads_dir / partial_upload_name(uuid.uuid4().hex)
        self.file = Upload(original, stored_name(original), temporary)
        self.received.files.append(self.file)
        self.handle = await aiofiles.open(temporary, "wb")

    async def _write_file(self, data: bytes, more: bool) -> None:
        assert self.file is not None
        self.file.size += len(data)
        if self.file.size > self.max_file_bytes:
            mb = self.max_file_bytes / (1024 * 1024)
            raise ApiError(
                413, "too_large", f"File too large (max {mb:g} MB): {self.file.original}"
            )
        await self.handle.write(data)
        if not more:
            await self.handle.close()
            self.handle, self.file = None, None

    def _add_text(self, data: bytes, more: bool) -> None:
        assert self.field_name is not None
        self.text_bytes += len(data)
        if self.text_bytes > MAX_FIELD_BYTES:
            raise ApiError(413, "too_large", FIELDS_TOO_LARGE)
        self.field_bytes += data
        if not more:
            self.received.fields[self.field_name] = self.field_bytes.decode("utf-8", "replace")
            self.field_name = None

    async def abandon(self) -> None:
        """Close and delete everything received (closing may fail too on a full disk)."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                await self.handle.close()
        self.received.discard()


async def receive_multipart(uploads_dir: Path, max_file_bytes: int) -> MultipartSend:
    """Stream a multipart body: small fields in memory, files straight to disk."""
    _, options = parse_options_header(request.headers.get("Content-Type"))
    boundary = options.get("boundary")
    if not boundary:
        raise ApiError(400, "bad_request", "A multipart body needs a boundary.")
    # No max_form_memory_size: werkzeug applies it to each received chunk, file data too.
    decoder = MultipartDecoder(boundary.encode())
    writer = _PartWriter(uploads_dir, max_file_bytes)
    try:
        try:
            async for chunk in request.body:
                decoder.receive_data(chunk)
                while not isinstance(event := decoder.next_event(), NeedData):
                    await writer.take(event)
                # What the decoder still holds is an unfinished preamble or part header.
                if len(decoder.buffer) > MAX_FIELD_BYTES:
                    raise ApiError(413, "too_large", "A multipart part header is too long.")
            decoder.receive_data(None)
            if not isinstance(decoder.next_event(), Epilogue):
                raise ValueError("the body ends before its closing boundary")
        except ValueError as error:
            raise ApiError(400, "bad_request", "The multipart body is malformed.") from error
        except OSError as error:
            refusal = storage_refusal(error)
            if refusal is None:
                raise
            raise refusal from error
    except BaseException:
        await writer.abandon()
        raise
    return writer.received
