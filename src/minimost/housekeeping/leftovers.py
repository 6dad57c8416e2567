"""Partial uploads left behind by a killed server: ``uploads/.upload-*.part``.

An upload streams into such a file and is renamed when complete; a process killed
mid-upload leaves it behind. Nothing ever reads it again. Its name carries the id of
the process writing it (``.upload-<pid>-<hex>.part``), so when serving starts the files
of processes that are gone are cleared at once, while another live worker's uploads on
the same data root are left alone; every housekeeping pass also clears those older than
:data:`PARTIAL_UPLOAD_MAX_AGE_SECONDS`, whoever wrote them. Partial uploads are not
uploads: the retention and the size cap of ``uploads/`` leave them out.
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
PROC = Path("/proc/self/stat")  # where it exists, it tells a reaped-to-be process apart


def is_partial_upload(name: str) -> bool:
    return name.startswith(PARTIAL_PREFIX) and name.endswith(PARTIAL_SUFFIX)


def partial_upload_name(token: str) -> str:
    """The name an upload streams into while this process receives it."""
    return f"{PARTIAL_PREFIX}{os.getpid()}-{token}{PARTIAL_SUFFIX}"


def written_by_a_live_process(name: str) -> bool:
    """Whether another process still running wrote this partial upload.

    Names without a process id come from older releases; this very process has not
    begun any upload while it starts, so a file with its id is an earlier server's
    (after a restart in a container the id comes round again).
    """
    pid_text = name[len(PARTIAL_PREFIX) :].partition("-")[0]
    if not pid_text.isascii() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and is_running(pid)


def is_running(pid: int) -> bool:
    """Whether process ``pid`` runs (a killed one waiting to be reaped does not)."""
    if pid <= 0:
        return False
    if PROC.exists():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


@dataclass
class Cleared:
    files: int = 0
    bytes: int = 0


def clear_partial_uploads(uploads_dir: Path, *, older_than: float | None = None) -> Cleared:
    """Delete partial uploads: those last written before ``older_than`` if given, else
    those no live process is writing.

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
            if older_than is None and written_by_a_live_process(entry.name):
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
    """Before serving, delete the partial uploads of processes that are gone."""
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
