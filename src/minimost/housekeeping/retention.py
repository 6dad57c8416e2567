"""The four retention steps of one housekeeping pass (reference §8.3), in pass order.

1. :func:`purge_old_uploads` — uploads older than their retention (by mtime), and
   partial uploads abandoned for an hour (see :mod:`.leftovers`).
2. :func:`enforce_upload_cap` — fair eviction while ``uploads/`` is over its size cap.
3. :func:`purge_old_messages` — messages older than their retention, in ``messages.db``
   and in every legacy ``users/*.db``.
4. :func:`enforce_message_db_cap` — fair eviction while ``messages.db`` is over its cap.

Each step is an action taking explicit inputs (``now`` is an argument, so tests control
time) and returning a :class:`StepReport`. The SQL lives in small store functions that
take a connection. File work (scans, unlinks) runs in a worker thread so the event loop
never waits on the disk.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from ..db import Database
from ..db.database import fetch_all, fetch_one, fetch_value
from ..realtime import store as event_log
from .leftovers import clear_stale_partial_uploads, is_partial_upload

log = logging.getLogger(__name__)

DAY_SECONDS = 86400
MIB = 1024 * 1024
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
EVICTION_BATCH = 1000
LEGACY_BUSY_TIMEOUT_MS = 5000

# ``PRAGMA auto_vacuum`` values.
AUTO_VACUUM_NONE = 0
AUTO_VACUUM_INCREMENTAL = 2

UPLOAD_AGE = "upload_age"
UPLOAD_CAP = "upload_cap"
MESSAGE_AGE = "message_age"
MESSAGE_CAP = "message_cap"
EVENT_LOG = "event_log"
# Clients offline longer than this get a "resync" (a full reload) instead of a replay.
EVENT_LOG_DAYS = 14

# Tables whose rows hang off a message by ``message_id``.
ORPHAN_TABLES = ("reactions", "pins")


@dataclass
class StepReport:
    """What one step did. ``error`` is set when the step failed as a whole; ``problems``
    lists things it skipped and carried on past (a file it could not delete, a legacy
    database it could not open)."""

    step: str
    files_deleted: int = 0
    rows_deleted: int = 0
    orphans_pruned: int = 0
    bytes_freed: int = 0
    skipped: bool = False
    stop_reason: str | None = None
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# --------------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class UploadFile:
    name: str
    path: Path
    size: int
    mtime: float

    @property
    def is_image(self) -> bool:
        return Path(self.name).suffix.lower() in IMAGE_EXTENSIONS


def scan_uploads(uploads_dir: Path) -> list[UploadFile]:
    """Regular files directly in ``uploads_dir`` (no recursion, symlinks and partial
    uploads ignored).

    A missing directory holds nothing; any other error (not a directory, unreadable)
    is raised so the step is reported as failed.
    """
    found = []
    try:
        entries = list(os.scandir(uploads_dir))
    except FileNotFoundError:
        return []
    for entry in entries:
        if is_partial_upload(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed since the listing (another worker)
        found.append(UploadFile(entry.name, Path(entry.path), stat.st_size, stat.st_mtime))
    return found


def remove_file(path: Path) -> bool:
    """Unlink ``path``; False if it was already gone (another worker got there first)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _delete_uploads(files: Iterable[UploadFile], report: StepReport) -> None:
    for upload in files:
        try:
            if remove_file(upload.path):
                report.files_deleted += 1
                report.bytes_freed += upload.size
        except OSError as error:
            report.problems.append(f"cannot delete {upload.name}: {error.strerror or error}")
            log.warning("housekeeping: cannot delete upload %s: %s", upload.path, error)


def _purge_old_uploads_sync(
    uploads_dir: Path, image_cutoff: float, file_cutoff: float
) -> StepReport:
    report = StepReport(UPLOAD_AGE)
    expired = [
        upload
        for upload in scan_uploads(uploads_dir)
        if upload.mtime < (image_cutoff if upload.is_image else file_cutoff)
    ]
    _delete_uploads(expired, report)
    return report


async def purge_old_uploads(
    uploads_dir: Path,
    *,
    image_retention_days: int,
    file_retention_days: int,
    now: float,
) -> StepReport:
    """Step 1: unlink uploads whose mtime is older than their retention.

    Images (.jpg .jpeg .png .gif .webp, any case) keep ``image_retention_days``,
    everything else ``file_retention_days``; partial uploads go after an hour untouched.
    """
    report = await asyncio.to_thread(
        _purge_old_uploads_sync,
        uploads_dir,
        now - image_retention_days * DAY_SECONDS,
        now - file_retention_days * DAY_SECONDS,
    )
    if report.files_deleted:
        log.info(
            "housekeeping: deleted %d expired upload(s), %d bytes",
            report.files_deleted,
            report.bytes_freed,
        )
    partial = await clear_stale_partial_uploads(uploads_dir, now)
    report.files_deleted += partial.files
    report.bytes_freed += partial.bytes
    return report


def plan_upload_eviction(
    files: Iterable[UploadFile], owners: Mapping[str, str], cap_bytes: int
) -> list[UploadFile]:
    """The files to delete, in order, to bring the total to ``cap_bytes`` or below.

    Orphans (no message names them) go first, oldest first. Then, one file at a time,
    whoever currently holds the most bytes loses their oldest file, so one heavy
    uploader cannot push everyone else's files out.
    """
    files = list(files)
    total = sum(upload.size for upload in files)
    plan: list[UploadFile] = []
    if total <= cap_bytes:
        return plan

    def by_age(upload: UploadFile) -> tuple[float, str]:
        return (upload.mtime, upload.name)

    orphans = sorted((f for f in files if f.name not in owners), key=by_age)
    for upload in orphans:
        if total <= cap_bytes:
            return plan
        plan.append(upload)
        total -= upload.size

    held: dict[str, list[UploadFile]] = defaultdict(list)
    for upload in files:
        if upload.name in owners:
            held[owners[upload.name]].append(upload)
    for uploads in held.values():
        uploads.sort(key=by_age, reverse=True)  # oldest last, popped first
    usage = {owner: sum(upload.size for upload in uploads) for owner, uploads in held.items()}
    heap = [(-used, owner) for owner, used in usage.items()]
    heapq.heapify(heap)
    while total > cap_bytes and heap:
        negative_used, owner = heapq.heappop(heap)
        if -negative_used != usage[owner]:
            continue  # stale entry
        upload = held[owner].pop()
        plan.append(upload)
        total -= upload.size
        usage[owner] -= upload.size
        if held[owner]:
            heapq.heappush(heap, (-usage[owner], owner))
    return plan


def _enforce_upload_cap_sync(
    uploads_dir: Path, owners: Mapping[str, str], cap_bytes: int
) -> StepReport:
    report = StepReport(UPLOAD_CAP)
    _delete_uploads(plan_upload_eviction(scan_uploads(uploads_dir), owners, cap_bytes), report)
    return report


async def fetch_upload_owners(connection: aiosqlite.Connection) -> dict[str, str]:
    """Map each stored upload name to the sender of the first message that names it."""
    owners: dict[str, str] = {}
    async with connection.execute(
        "SELECT filename, sender FROM messages "
        "WHERE filename IS NOT NULL AND filename != '' ORDER BY id"
    ) as cursor:
        async for filename, sender in cursor:
            owners.setdefault(filename, sender)
    return owners


async def enforce_upload_cap(
    uploads_dir: Path, messages: Database | None, *, max_upload_dir_size_mb: float
) -> StepReport:
    """Step 2: while ``uploads/`` is over its cap, evict fairly (see plan_upload_eviction).

    0 turns the cap off. Without a readable message database every file counts as an
    orphan and eviction degrades to oldest-first.
    """
    if max_upload_dir_size_mb <= 0:
        return StepReport(UPLOAD_CAP, skipped=True)
    owners: dict[str, str] = {}
    problems = []
    if messages is not None:
        try:
            async with messages.read() as connection:
                owners = await fetch_upload_owners(connection)
        except (sqlite3.Error, RuntimeError) as error:
            problems.append(f"upload owners unavailable, evicting oldest first: {error}")
            log.warning("housekeeping: cannot read upload owners (%s); oldest first", error)
    cap_bytes = int(max_upload_dir_size_mb * MIB)
    report = await asyncio.to_thread(_enforce_upload_cap_sync, uploads_dir, owners, cap_bytes)
    report.problems[:0] = problems
    if report.files_deleted:
        log.info(
            "housekeeping: uploads over %s MiB, evicted %d file(s), %d bytes",
            max_upload_dir_size_mb,
            report.files_deleted,
            report.bytes_freed,
        )
    return report


# ------------------------------------------------------------------ message stores


async def _scalar(connection: aiosqlite.Connection, sql: str) -> int:
    return int(await fetch_value(connection, sql) or 0)


async def delete_messages_before(connection: aiosqlite.Connection, cutoff: float) -> int:
    """Hard-delete every message older than ``cutoff`` (the FTS trigger cleans the index)."""
    cursor = await connection.execute("DELETE FROM messages WHERE ts < ?", (cutoff,))
    return max(cursor.rowcount, 0)


async def prune_orphans(
    connection: aiosqlite.Connection, tables: Iterable[str] = ORPHAN_TABLES
) -> int:
    """Delete reactions and pins whose message no longer exists; return how many."""
    pruned = 0
    for table in tables:
        cursor = await connection.execute(
            f"DELETE FROM {table} WHERE NOT EXISTS "
            f"(SELECT 1 FROM messages WHERE messages.id = {table}.message_id)"
        )
        pruned += max(cursor.rowcount, 0)
    return pruned


async def heaviest_sender(connection: aiosqlite.Connection) -> str | None:
    """The sender with the most message text, then the most rows; None if no messages."""
    row = await fetch_one(
        connection,
        "SELECT sender FROM messages GROUP BY sender "
        "ORDER BY COALESCE(SUM(LENGTH(content)), 0) DESC, COUNT(*) DESC, sender LIMIT 1",
    )
    return None if row is None else str(row[0])


async def delete_oldest_of_sender(
    connection: aiosqlite.Connection, sender: str, limit: int = EVICTION_BATCH
) -> int:
    cursor = await connection.execute(
        "DELETE FROM messages WHERE id IN "
        "(SELECT id FROM messages WHERE sender = ? ORDER BY ts, id LIMIT ?)",
        (sender, limit),
    )
    return max(cursor.rowcount, 0)


async def optimize_search_index(connection: aiosqlite.Connection) -> None:
    """Merge the FTS5 index into one segment, dropping entries of deleted messages."""
    await connection.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")


async def database_bytes(connection: aiosqlite.Connection) -> int:
    """Size of the database as SQLite sees it (free pages included)."""
    return await _scalar(connection, "PRAGMA page_count") * await _scalar(
        connection, "PRAGMA page_size"
    )


# Indexes this version adds only for speed. The cap counts what the original counted,
# so an upgrade that builds them does not evict history an install used to keep.
SPEED_ONLY_INDEXES = ("idx_messages_channel_text", "idx_messages_channel_page_keys")


async def live_bytes(connection: aiosqlite.Connection) -> int:
    """Bytes held by live pages, (page_count - freelist_count) x page_size, less the
    pages of ``SPEED_ONLY_INDEXES``."""
    pages = await _scalar(connection, "PRAGMA page_count")
    free = await _scalar(connection, "PRAGMA freelist_count")
    return (pages - free) * await _scalar(connection, "PRAGMA page_size") - await _speed_bytes(
        connection
    )


async def _speed_bytes(connection: aiosqlite.Connection) -> int:
    """Pages of ``SPEED_ONLY_INDEXES``, one index at a time: dbstat reads only the b-tree
    an equality on ``name`` names, but walks the whole file for an ``IN`` list (2.5 s
    against 0.1 s on a million messages)."""
    total = 0
    try:
        for name in SPEED_ONLY_INDEXES:
            row = await fetch_one(
                connection, "SELECT pgsize FROM dbstat('main', 1) WHERE name = ?", (name,)
            )
            total += int(row[0] or 0) if row else 0
    except sqlite3.OperationalError:
        log.warning("housekeeping: SQLite without dbstat; the size cap counts every index")
        return 0
    return total


async def existing_tables(connection: aiosqlite.Connection, names: Iterable[str]) -> set[str]:
    wanted = list(names)
    marks = ", ".join("?" for _ in wanted)
    rows = await fetch_all(
        connection,
        f"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
        wanted,
    )
    return {row[0] for row in rows}


async def reclaim_space(connection: aiosqlite.Connection, *, deleted: bool) -> str | None:
    """Give freed pages back to the file system; call outside any transaction.

    INCREMENTAL databases get ``PRAGMA incremental_vacuum`` after a deletion. A NONE
    database is switched to INCREMENTAL with one VACUUM, once; later passes then take
    the cheap path. FULL databases shrink on commit by themselves.
    """
    mode = await _scalar(connection, "PRAGMA auto_vacuum")
    if mode == AUTO_VACUUM_INCREMENTAL and deleted:
        # The pragma frees one page per result row; the sqlite3 module steps a statement
        # without result columns only once, executescript steps it to the end.
        await connection.executescript("PRAGMA incremental_vacuum;")
        return "incremental_vacuum"
    if mode == AUTO_VACUUM_NONE:
        await connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        await connection.execute("VACUUM")
        return "vacuum"
    return None


async def checkpoint_truncate(connection: aiosqlite.Connection) -> None:
    await fetch_all(connection, "PRAGMA wal_checkpoint(TRUNCATE)")


# --------------------------------------------------------------- message actions


class ForeignDatabaseError(Exception):
    """A ``users/*.db`` file that is a database, but not a MiniMost message store."""


async def _purge_main_database(messages: Database, cutoff: float, report: StepReport) -> None:
    async with messages.maintenance() as connection:
        before = await database_bytes(connection)
    async with messages.maintenance(transaction=True) as connection:
        rows = await delete_messages_before(connection, cutoff)
        orphans = await prune_orphans(connection)
    async with messages.maintenance() as connection:
        if await reclaim_space(connection, deleted=bool(rows or orphans)) == "vacuum":
            await checkpoint_truncate(connection)  # the VACUUM copied the whole file into WAL
        after = await database_bytes(connection)
    report.rows_deleted += rows
    report.orphans_pruned += orphans
    report.bytes_freed += max(before - after, 0)


async def _purge_legacy_database(path: Path, cutoff: float, report: StepReport) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        await connection.execute(f"PRAGMA busy_timeout = {LEGACY_BUSY_TIMEOUT_MS}")
        tables = await existing_tables(connection, ("messages", *ORPHAN_TABLES))
        if "messages" not in tables:
            raise ForeignDatabaseError("no messages table")
        before = await database_bytes(connection)
        await connection.execute("BEGIN IMMEDIATE")
        try:
            rows = await delete_messages_before(connection, cutoff)
            # Older per-user stores may predate pins (or reactions).
            orphans = await prune_orphans(connection, [t for t in ORPHAN_TABLES if t in tables])
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()
        report.rows_deleted += rows
        report.orphans_pruned += orphans
        await reclaim_space(connection, deleted=bool(rows or orphans))
        report.bytes_freed += max(before - await database_bytes(connection), 0)
    if rows or orphans:
        log.info("housekeeping: pruned legacy %s: %d message(s)", path.name, rows)


def _legacy_databases(users_dir: Path, main_db: Path) -> list[Path]:
    if not users_dir.is_dir():
        return []
    main = main_db.resolve()
    return sorted(
        path for path in users_dir.glob("*.db") if path.is_file() and path.resolve() != main
    )


async def purge_old_messages(
    messages: Database, users_dir: Path, *, message_retention_days: int, now: float
) -> StepReport:
    """Step 3: hard-delete messages older than the retention, then orphan reactions/pins.

    Pinned and system messages are included. ``messages.db`` goes through the app's
    writer in one transaction; every other ``users/*.db`` (legacy per-user stores) is
    opened briefly on its own, and one that is corrupt or foreign is logged and skipped.
    """
    report = StepReport(MESSAGE_AGE)
    cutoff = now - message_retention_days * DAY_SECONDS
    await _purge_main_database(messages, cutoff, report)
    for path in await asyncio.to_thread(_legacy_databases, users_dir, messages.path):
        try:
            await _purge_legacy_database(path, cutoff, report)
        except (sqlite3.Error, OSError, ForeignDatabaseError) as error:
            report.problems.append(f"skipped {path.name}: {error}")
            log.warning("housekeeping: skipped %s: %s", path, error)
    if report.rows_deleted or report.orphans_pruned:
        log.info(
            "housekeeping: deleted %d message(s) older than %d days, %d orphan row(s)",
            report.rows_deleted,
            message_retention_days,
            report.orphans_pruned,
        )
    return report


async def enforce_message_db_cap(
    messages: Database, *, max_message_db_size_mb: float
) -> StepReport:
    """Step 4: while the live size of ``messages.db`` is over its cap, evict fairly.

    The live size leaves out indexes kept only for speed (``SPEED_ONLY_INDEXES``). Each
    batch takes the 1000 oldest messages of the heaviest sender (most text, then
    most rows) in one transaction with the orphaned reactions/pins (and, when that alone
    freed no page, a merge of the search index). It stops under the cap, on an empty
    table, or when a batch freed no page. Then VACUUM and truncate the WAL so the file
    really shrinks. 0 turns the cap off.
    """
    report = StepReport(MESSAGE_CAP)
    if max_message_db_size_mb <= 0:
        report.skipped = True
        return report
    cap_bytes = int(max_message_db_size_mb * MIB)
    first: int | None = None
    last = 0
    while True:
        async with messages.maintenance(transaction=True) as connection:
            live = await live_bytes(connection)
            first = live if first is None else first
            last = live
            if live <= cap_bytes:
                report.stop_reason = "under cap"
                break
            sender = await heaviest_sender(connection)
            if sender is None:
                report.stop_reason = "table empty"
                break
            rows = await delete_oldest_of_sender(connection, sender)
            report.orphans_pruned += await prune_orphans(connection)
            after = await live_bytes(connection)
            if after >= live:
                # FTS5 records deletions as new delete-marker segments, so a batch
                # usually grows the index before it shrinks anything; merging the
                # segments drops the deleted entries and frees their pages.
                await optimize_search_index(connection)
                after = await live_bytes(connection)
        report.rows_deleted += rows
        log.info(
            "housekeeping: messages.db over %s MiB, deleted %d oldest message(s) of %r",
            max_message_db_size_mb,
            rows,
            sender,
        )
        last = after
        if after >= live:
            report.stop_reason = "batch freed no page"
            break
    report.bytes_freed = max((first or 0) - last, 0)
    if report.rows_deleted or report.orphans_pruned:
        async with messages.maintenance() as connection:
            await connection.execute("VACUUM")
            await checkpoint_truncate(connection)
    return report


async def prune_event_log(
    messages: Database, *, now: float, days: float = EVENT_LOG_DAYS
) -> StepReport:
    """Forget events older than the resume horizon; the newest event always stays."""
    report = StepReport(EVENT_LOG)
    report.rows_deleted = await messages.write(
        lambda changes: event_log.prune_before(changes.connection, now - days * 86400)
    )
    return report
