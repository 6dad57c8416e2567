"""File uploads: streamed to disk with the size limit enforced as the bytes arrive.

Stored names follow the original MiniMost (``<32 hex><ext>`` for images,
``<32 hex>_<safe original name>`` for everything else), so old links keep working.
A part that grows past the limit is deleted on the spot and the whole send is
refused; nothing half-written is ever left in ``uploads/``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiofiles
from quart import request
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.utils import secure_filename

from ..api import ApiError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 10


def stored_name(original: str) -> str:
    extension = Path(original).suffix.lower()
    token = uuid.uuid4().hex
    if extension in IMAGE_EXTENSIONS:
        return f"{token}{extension}"
    safe = secure_filename(original) or f"file{extension}"
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

    def discard(self) -> None:
        for upload in self.files:
            with contextlib.suppress(FileNotFoundError):
                upload.temporary.unlink()

    def keep(self, uploads_dir: Path) -> None:
        """Move every temporary file to its final name (atomic on one filesystem)."""
        for upload in self.files:
            os.replace(upload.temporary, uploads_dir / upload.stored)


async def receive_multipart(uploads_dir: Path, max_file_bytes: int) -> MultipartSend:
    """Stream a multipart body: small fields in memory, files straight to disk."""
    _, options = parse_options_header(request.headers.get("Content-Type"))
    boundary = options.get("boundary")
    if not boundary:
        raise ApiError(400, "bad_request", "A multipart body needs a boundary.")
    decoder = MultipartDecoder(boundary.encode(), max_form_memory_size=MAX_FIELD_BYTES)
    received = MultipartSend()
    current_field: str | None = None
    field_bytes = bytearray()
    current_file: Upload | None = None
    handle = None
    try:
        async for chunk in request.body:
            decoder.receive_data(chunk)
            event = decoder.next_event()
            while not isinstance(event, NeedData | Epilogue):
                if isinstance(event, File):
                    if len(received.files) >= MAX_FILES:
                        raise ApiError(413, "too_many_files", f"Send at most {MAX_FILES} files.")
                    original = event.filename or "file"
                    current_file = Upload(
                        original,
                        stored_name(original),
                        uploads_dir / f".upload-{uuid.uuid4().hex}.part",
                    )
                    received.files.append(current_file)
                    handle = await aiofiles.open(current_file.temporary, "wb")
                elif isinstance(event, Field):
                    current_field, field_bytes = event.name, bytearray()
                elif isinstance(event, Data):
                    if current_file is not None and handle is not None:
                        current_file.size += len(event.data)
                        if current_file.size > max_file_bytes:
                            mb = max_file_bytes / (1024 * 1024)
                            raise ApiError(
                                413,
                                "too_large",
                                f"File too large (max {mb:g} MB): {current_file.original}",
                            )
                        await handle.write(event.data)
                        if not event.more_data:
                            await handle.close()
                            handle, current_file = None, None
                    elif current_field is not None:
                        field_bytes += event.data
                        if not event.more_data:
                            received.fields[current_field] = field_bytes.decode("utf-8", "replace")
                            current_field = None
                event = decoder.next_event()
        decoder.receive_data(None)
    except BaseException:
        if handle is not None:
            await handle.close()
        received.discard()
        raise
    return received
