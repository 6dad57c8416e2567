"""Partial uploads left behind by a killed server: ``uploads/.upload-*.part``.

An upload streams into such a file and is renamed when complete; a process killed
mid-upload leaves it behind. Nothing ever reads it again, so it is cleared when serving
starts and, older than :data:`PARTIAL_UPLOAD_MAX_AGE_SECONDS`, by every housekeeping pass
(a younger one may belong to an upload still running in another process). Partial
uploads are not uploads: the retention and the size cap of ``uploads/`` leave them out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PARTIAL_PREFIX = ".upload-"
PARTIAL_SUFFIX = ".part"
PARTIAL_UPLOAD_MAX_AGE_SECONDS = 3600.0


def is_partial_upload(name: str) -> bool:
    return name.startswith(PARTIAL_PREFIX) and name.endswith(PARTIAL_SUFFIX)


@dataclass
class Cleared:
    files: int = 0
    bytes: int = 0


def clear_partial_uploads(uploads_dir: Path, *, older_than: float | None = None) -> Cleared:
    """Delete partial uploads (only those last written before ``older_than``, if given).

    A missing directory holds nothing; any other error listing it is raised.
    """
    cleared = Cleared()
    try:
        entries = list(os.scandir(uploads_dir))
    except FileNotFoundError:
        return cleared
    for entry in entries:
        if not is_partial_upload(entry.name):
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
            if older_than is not None and stat.st_mtime >= older_than:
                continue
            os.unlink(entry.path)
        except FileNotFoundError:
            continue  # finished or cleared by another process meanwhile
        cleared.files += 1
        cleared.bytes += stat.st_size
    return cleared


async def clear_stale_partial_uploads(uploads_dir: Path, now: float) -> Cleared:
    """The housekeeping pass's share: partial uploads untouched for an hour or more."""
    cleared = await asyncio.to_thread(
        clear_partial_uploads, uploads_dir, older_than=now - PARTIAL_UPLOAD_MAX_AGE_SECONDS
    )
    if cleared.files:
        log.info(
            "housekeeping: deleted %d abandoned partial upload(s), %d bytes",
            cleared.files,
            cleared.bytes,
        )
    return cleared


@asynccontextmanager
async def cleared_at_start(uploads_dir: Path) -> AsyncIterator[None]:
    """Before serving, delete every partial upload a previous process left behind."""
    started = time.monotonic()
    try:
        cleared = await asyncio.to_thread(clear_partial_uploads, uploads_dir)
    except OSError as error:
        log.warning("cannot clear partial uploads in %s: %s", uploads_dir, error)
    else:
        if cleared.files:
            log.info(
                "deleted %d partial upload(s) left by an interrupted server (%d bytes, %.2f s)",
                cleared.files,
                cleared.bytes,
                time.monotonic() - started,
            )
    yield
