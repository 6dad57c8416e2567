"""Security audit log: one line per security-relevant event in ``audit.log`` (APSC-DV-000340 ff.).

Line format (UTC, UTF-8, one line per event; the optional detail field is on the same line)::

    YYYY-MM-DDTHH:MM:SSZ event=<e> outcome=<success|failure> user=<u|-> src=<ip|->
    [detail="<text>"]

* Control characters ``[\\x00-\\x1f\\x7f]`` in any value become a space, so one event is
  always exactly one line.
* Caps: event 64, outcome 16, user 64, src 64, detail 256 characters; a longer value is cut
  to the cap and ``...`` is appended.
* A missing (``None``) or empty user / src is written as ``-``; a missing or empty detail
  omits the ``detail=`` field.
* Inside ``detail="..."`` a backslash is written as ``\\\\`` and a double quote as ``\\"``
  (escaping happens after the cap, so the cap counts the raw characters). The closing quote
  is therefore always the first unescaped ``"`` and the quoting cannot be broken.
* Characters the file encoding cannot hold (lone surrogates) are written as backslash
  escapes instead of losing the record.
* Only detail is quoted. Other values may contain spaces (a login name is logged as typed),
  so log tooling should anchor on the fixed field order rather than split on spaces.

Never logged: passwords, tokens, message bodies, query strings. Keeping them out is the
callers' duty -- this module writes whatever text it is given -- so pass a path without its
query string, a username rather than credentials, and a fixed phrase as the detail.

Rotation runs after each write: when the file has reached ``max_size_mb`` MiB, or
``max_age_days`` have passed since the mtime of ``audit.log.rotated_at`` (created on the first
check if missing), the writer takes ``audit.log.lock`` (``O_CREAT|O_EXCL``, mode 0600; a lock
older than 60 s is stale and removed), re-checks, closes its stream, renames the file to
``audit.log.<YYYYmmddTHHMMSSZ>`` (``.1``, ``.2``... on same-second collisions), touches the
marker, deletes the oldest archives (by mtime) beyond ``backups`` and releases the lock. The
next write recreates ``audit.log``. Zero disables the size / age trigger; ``backups=0`` keeps
every archive. Timestamps, the marker's mtime and lock staleness all use the ``clock`` given
to :class:`AuditLog`. Files other than the lock get the process umask.

Records go through a per-instance, unregistered ``logging.Logger("minimost.audit")`` (level
INFO, ``propagate=False``) whose ``WatchedFileHandler`` subclass is built lazily on the first
write and rebuilt after a fork, so several apps with different data roots can share a
process.

Writing the audit log never breaks a request: every error is caught and reported once per
failed call through the ``minimost.audit`` logger of the :mod:`logging` registry, never
re-raised.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

EVENT_CAP = 64
OUTCOME_CAP = 16
USER_CAP = 64
SRC_CAP = 64
DETAIL_CAP = 256
STALE_LOCK_SECONDS = 60.0

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_MIB = 1024 * 1024
_DAY = 86400.0


def _clean(value: object, cap: int) -> str:
    """Neutralise control characters so a value can never start a forged line, then cap it."""
    text = _CONTROL_CHARS.sub(" ", str(value))
    return text[:cap] + "..." if len(text) > cap else text


def _quote(text: str) -> str:
    """Escape backslash first so ``\\"`` can only ever mean a literal quote."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_line(
    when: float,
    event: str,
    outcome: str,
    *,
    user: str | None = None,
    src: str | None = None,
    detail: str | None = None,
) -> str:
    """Build one audit line (without the newline) exactly as it lands in the file."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    parts = [
        stamp,
        f"event={_clean(event, EVENT_CAP)}",
        f"outcome={_clean(outcome, OUTCOME_CAP)}",
        f"user={_clean(user, USER_CAP) if user else '-'}",
        f"src={_clean(src, SRC_CAP) if src else '-'}",
    ]
    if detail:
        parts.append(f"detail={_quote(_clean(detail, DETAIL_CAP))}")
    return " ".join(parts)


class _AuditFileHandler(logging.handlers.WatchedFileHandler):
    """WatchedFileHandler whose errors propagate to :class:`AuditLog` instead of stderr."""

    def _open(self) -> TextIO:
        """Remember the new file's identity at once, so a lazy open is not reopened next emit."""
        stream = super()._open()
        identity = os.fstat(stream.fileno())
        self.dev, self.ino = identity.st_dev, identity.st_ino
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        self.reopenIfNeeded()
        if self.stream is None:
            self.stream = self._open()
        self.stream.write(self.format(record) + self.terminator)
        self.stream.flush()

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Re-raise so the caller decides how to report; never print tracebacks to stderr."""
        raise

    def release_stream(self) -> None:
        """Close the stream but stay usable: the next emit reopens (recreates) the file."""
        self.acquire()
        try:
            stream, self.stream = self.stream, None
            if stream is not None:
                stream.close()
        finally:
            self.release()


class AuditLog:
    """Append-only audit trail for one data root; thread-safe, and ``record`` never raises."""

    def __init__(
        self,
        path: Path,
        *,
        max_size_mb: float,
        max_age_days: float,
        backups: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._path = Path(path)
        self._marker = self._path.with_name(self._path.name + ".rotated_at")
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._archive_name = re.compile(re.escape(self._path.name) + r"\.\d{8}T\d{6}Z(?:\.\d+)?")
        self._max_bytes = max_size_mb * _MIB
        self._max_age = max_age_days * _DAY
        self._backups = backups
        self._clock = clock
        self._mutex = threading.Lock()
        # Unregistered logger: several apps (data roots) share one process without sharing it.
        self._logger = logging.Logger("minimost.audit", logging.INFO)
        self._logger.propagate = False
        self._handler: _AuditFileHandler | None = None
        self._handler_pid = 0

    @property
    def path(self) -> Path:
        return self._path

    def record(
        self,
        event: str,
        outcome: str,
        *,
        user: str | None = None,
        src: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append one event, then rotate if due; failures are logged, never raised."""
        try:
            with self._mutex:
                now = self._clock()
                line = format_line(now, event, outcome, user=user, src=src, detail=detail)
                try:
                    self._write(line, now)
                except Exception as error:
                    self._report("write to", error)
                    return
                try:
                    self._rotate_if_due()
                except Exception as error:
                    self._report("rotation of", error)
        except Exception as error:  # e.g. a clock that raises; still never break a request
            self._report("record for", error)

    def close(self) -> None:
        """Close the file; a later ``record`` reopens it."""
        try:
            with self._mutex:
                handler, self._handler = self._handler, None
                if handler is not None:
                    self._logger.removeHandler(handler)
                    handler.close()
        except Exception as error:
            self._report("close of", error)

    # -- writing -----------------------------------------------------------------------------

    def _ensure_handler(self) -> _AuditFileHandler:
        """Build the handler lazily and per process, so a forked worker gets its own stream."""
        pid = os.getpid()
        if self._handler is not None and self._handler_pid != pid:
            self._logger.removeHandler(self._handler)
            self._handler.release_stream()
            self._handler = None
        if self._handler is None:
            handler = _AuditFileHandler(
                self._path, encoding="utf-8", errors="backslashreplace", delay=True
            )
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)
            self._handler, self._handler_pid = handler, pid
        return self._handler

    def _write(self, line: str, now: float) -> None:
        self._ensure_handler()
        record = self._logger.makeRecord(self._logger.name, logging.INFO, "", 0, line, None, None)
        record.created = now
        # Logger.handle (not .info) so a global logging.disable() cannot silence the trail.
        self._logger.handle(record)

    def _report(self, action: str, error: Exception) -> None:
        """Tell the operator once per failed call; a traceback only for non-I/O surprises."""
        log.error(
            "audit log %s %s failed: %s",
            action,
            self._path,
            error,
            exc_info=None if isinstance(error, OSError) else error,
        )

    # -- rotation ----------------------------------------------------------------------------

    def _rotate_if_due(self) -> None:
        if not self._rotation_due():
            return
        if not self._acquire_lock():
            return  # another process is rotating; this write already landed
        try:
            if self._rotation_due():  # someone may have rotated between check and lock
                self._rotate()
        finally:
            self._release_lock()

    def _rotation_due(self) -> bool:
        if self._max_bytes > 0:
            try:
                size = os.stat(self._path).st_size
            except FileNotFoundError:
                size = 0
            if size >= self._max_bytes:
                return True
        if self._max_age > 0:
            try:
                rotated_at = os.stat(self._marker).st_mtime
            except FileNotFoundError:
                self._touch_marker()  # the age clock starts now
                return False
            if self._clock() - rotated_at >= self._max_age:
                return True
        return False

    def _acquire_lock(self) -> bool:
        """Cross-process mutex: O_EXCL creation; a lock left by a crashed writer expires."""
        for _attempt in range(2):
            try:
                fd = os.open(self._lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                try:
                    held_since = os.stat(self._lock_path).st_mtime
                except FileNotFoundError:
                    continue  # released meanwhile; try again
                if self._clock() - held_since <= STALE_LOCK_SECONDS:
                    return False
                self._lock_path.unlink(missing_ok=True)
                continue
            os.close(fd)
            return True
        return False

    def _release_lock(self) -> None:
        self._lock_path.unlink(missing_ok=True)

    def _rotate(self) -> None:
        if self._handler is not None:
            self._handler.release_stream()
        if os.path.lexists(self._path):
            os.rename(self._path, self._archive_path())
        self._touch_marker()
        self._prune()

    def _archive_path(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        base = self._path.with_name(f"{self._path.name}.{stamp}")
        candidate, n = base, 0
        while os.path.lexists(candidate):
            n += 1
            candidate = base.with_name(f"{base.name}.{n}")
        return candidate

    def _touch_marker(self) -> None:
        """Set the marker's mtime from ``clock`` so the age trigger and tests share one time."""
        fd = os.open(self._marker, os.O_CREAT | os.O_WRONLY, 0o666)
        os.close(fd)
        now = self._clock()
        os.utime(self._marker, (now, now))

    def _prune(self) -> None:
        if self._backups <= 0:
            return
        archives = []
        for entry in os.scandir(self._path.parent):
            if self._archive_name.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    archives.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
                except FileNotFoundError:
                    continue
        archives.sort(reverse=True)  # newest first
        for _mtime, name in archives[self._backups :]:
            (self._path.parent / name).unlink(missing_ok=True)
