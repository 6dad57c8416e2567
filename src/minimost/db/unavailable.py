"""Writes the database could not take just now (disk full, locked too long): a 503.

These are not bugs to trace back but the server's state: the client keeps what it
sent and tries again later, so they answer 503 with a message a person can act on.
"""

from __future__ import annotations

import errno
import sqlite3

from ..api import ApiError

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_IOERR = 10
SQLITE_FULL = 13
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

RETRY_AFTER_SECONDS = 5
DISK_FULL = "The server's disk is full, so this was not saved. Try again later."


def storage_refusal(error: BaseException | None) -> ApiError | None:
    """The 503 for a write the database or the disk refused for lack of space or time,
    else None."""
    if isinstance(error, ApiError) and error.status == 503:
        return error
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        return ApiError(503, "storage_full", DISK_FULL)
    if not isinstance(error, sqlite3.OperationalError):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(error)
    if primary == SQLITE_FULL or "disk is full" in text:
        return ApiError(503, "storage_full", DISK_FULL)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in text:
        return ApiError(
            503, "unavailable", "The server is busy, so this was not saved. Try again shortly."
        )
    if primary == SQLITE_IOERR:
        return ApiError(
            503,
            "unavailable",
            "The server could not write to its disk, so this was not saved. Try again later.",
        )
    return None
