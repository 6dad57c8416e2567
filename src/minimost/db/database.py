"""One SQLite database: a single writer connection and a small pool of readers.

All writes go through the one writer (serialized by a lock), so SQLite never sees two
writers fight over its lock; readers run in parallel thanks to WAL. Changes enter by
one door, ``write`` (see ``writes.py``); reads by ``reading``; ``maintenance`` is for
VACUUM and bulk housekeeping only. Foreign keys stay
off: the original tables declare references that old data does not always honour
(replies to purged messages), and enforcing them now would make retention fail.

Checkpoints (copying the WAL back into the database file, with an fsync) run on a
connection of their own, about once a second after writes, instead of inside the
commit that happens to cross SQLite's automatic threshold: that commit, and every
send waiting on it, used to stall for the length of the fsync.

The writer syncs the WAL at every commit (``synchronous = FULL``): a write is only
acknowledged once it would survive a power cut. Group commit makes that one sync for
every write waiting at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..reaches import on_sqlite_thread
from .migrate import Migration, apply_migrations
from .writes import Changes, GroupCommit, OnCommit, Recorder

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
CHECKPOINT_EVERY_SECONDS = 1.0
# Readers map the database file instead of copying each page out of the OS cache with a
# read call: a page of 100 messages touches about 100 scattered pages, and reading them
# this way measured 0.1–0.3 ms faster per page on a million messages. The writer keeps
# ordinary reads. A mapping covers at most this much of the file; the rest is read.
READER_MMAP_BYTES = 1 << 30

T = TypeVar("T")


async def on_connection_thread(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``work`` with the plain sqlite3 connection, on the connection's own thread.

    One hop to the thread for any number of statements, where each aiosqlite call is a
    hop of its own.
    """
    return await on_sqlite_thread(connection, work)


# aiosqlite's ``async with connection.execute(...)`` then ``fetchone``/``fetchall`` is three
# hops to the connection's thread (execute, fetch, close): about 160 µs of CPU per query,
# against 60 µs for the one hop of these helpers.


async def fetch_all(
    connection: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    """Every row of a query, in one hop to the connection's thread."""
    return list(await connection.execute_fetchall(sql, params))


async def fetch_one(
    connection: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> sqlite3.Row | None:
    """The first row of a query or None, in one hop to the connection's thread."""
    return await on_connection_thread(
        connection, lambda plain: plain.execute(sql, params).fetchone()
    )


async def fetch_value(
    connection: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> Any:
    """The first column of the first row, or None when there is no row."""
    row = await fetch_one(connection, sql, params)
    return row[0] if row is not None else None


def select_all(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    """Every row of a query."""
    return connection.execute(sql, params).fetchall()


def select_one(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any] = ()
) -> sqlite3.Row | None:
    """The first row of a query or None."""
    return connection.execute(sql, params).fetchone()


def select_value(connection: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or None when there is no row."""
    row = connection.execute(sql, params).fetchone()
    return row[0] if row is not None else None


class Database:
    """A database file opened once per process, migrated to the newest version."""

    def __init__(
        self,
        path: Path,
        migrations: list[Migration],
        *,
        readers: int = 3,
        incremental_vacuum: bool = True,
    ) -> None:
        self.path = path
        self.migrations = migrations
        self.reader_count = readers
        self.incremental_vacuum = incremental_vacuum
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpoints: asyncio.Task[None] | None = None
        self._written = asyncio.Event()
        self.checkpointed = asyncio.Event()
        self._commits = GroupCommit(self, self._held_writer)
        # How ``changes.record`` writes an event, what sees each batch's events after
        # its commit (under the writer), and what follows each write once committed.
        self.recorder: Recorder | None = None
        self.on_commit: OnCommit | None = None
        self.after_write: Callable[[], Awaitable[None]] | None = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        """Open the writer, migrate, then open the readers."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await _connect(self.path)
            writer = self._writer
            is_new = (await fetch_value(writer, "PRAGMA page_count")) == 0
            if is_new and self.incremental_vacuum:
                await writer.execute("PRAGMA auto_vacuum = INCREMENTAL")
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = FULL")
            await apply_migrations(writer, self.path, self.migrations)
            await writer.execute("PRAGMA wal_autocheckpoint = 0")
            for _ in range(self.reader_count):
                reader = await _connect(self.path)
                await reader.execute("PRAGMA query_only = ON")
                await reader.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
                self._all_readers.append(reader)
                self._readers.put_nowait(reader)
            self._checkpointer = await _connect(self.path)
            self._checkpoints = asyncio.create_task(self._checkpoint_after_writes())
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close every connection; an unclosed aiosqlite thread would hang the process exit."""
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpoints
            self._checkpoints = None
        if self._checkpointer is not None:
            checkpointer, self._checkpointer = self._checkpointer, None
            await checkpointer.close()
        readers, self._all_readers = self._all_readers, []
        self._readers = asyncio.Queue()
        for reader in readers:
            await reader.close()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                await writer.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on %s", self.path, exc_info=True)
            await writer.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow a read-only connection from the pool."""
        if not self._all_readers:
            raise RuntimeError(f"database {self.path.name} is not open")
        connection = await self._readers.get()
        try:
            yield connection
        finally:
            if connection in self._all_readers:
                self._readers.put_nowait(connection)

    async def reading(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a function of plain SQL on a pooled reader, in one hop to its thread."""
        async with self.read() as connection:
            return await on_connection_thread(connection, work)

    async def write(
        self, work: Callable[[Changes], T], *, then: Callable[[T], object] | None = None
    ) -> T:
        """Run ``work(changes)`` on the writer's thread, committed with the writes waiting
        now; return its value.

        An exception from ``work`` undoes only its own writes and is raised here; a
        refusal of the whole batch by the storage is a 503 ``ApiError``. Once a write
        that recorded events commits, ``after_write`` runs before this returns (outbox
        databases relay their events there). ``then(value)`` runs right at the commit,
        before any event of the batch is published or relayed, for what must follow the
        commit before anyone hears of it (who may read a channel).
        """
        if self._writer is None:
            raise RuntimeError(f"database {self.path.name} is not open")
        value, recorded = await self._commits.run(work, then)
        if recorded and self.after_write is not None:
            await self.after_write()
        return value

    @asynccontextmanager
    async def maintenance(
        self, *, transaction: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive use of the raw writer outside ``write``: VACUUM, bulk housekeeping.

        Never for changes users must see: those go through ``write`` with their events.
        With ``transaction``, the work commits on success and rolls back on error.
        """
        async with self._held_writer() as writer:
            if not transaction:
                yield writer
                return
            # BEGIN is inside the try: a task cancelled while awaiting it has still begun
            # the transaction on the connection's thread.
            try:
                await writer.execute("BEGIN IMMEDIATE")
                yield writer
            except BaseException:
                await writer.rollback()
                raise
            await writer.commit()

    @asynccontextmanager
    async def _held_writer(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer, held against every other use until the block ends."""
        if self._writer is None:
            raise RuntimeError(f"database {self.path.name} is not open")
        async with self._write_lock:
            try:
                yield self._writer
            finally:
                self._written.set()

    async def checkpoint(self) -> None:
        """Copy what the WAL holds into the database file, without waiting for anyone.

        A passive checkpoint never blocks the writer or the readers; what a reader still
        needs stays in the WAL for the next one.
        """
        if self._checkpointer is None:
            raise RuntimeError(f"database {self.path.name} is not open")
        self._written.clear()
        try:
            await self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except (sqlite3.Error, ValueError):
            log.debug("checkpoint of %s deferred", self.path.name, exc_info=True)
            self._written.set()
            return
        self.checkpointed.set()

    async def _checkpoint_after_writes(self) -> None:
        while True:
            await self._written.wait()
            await asyncio.sleep(CHECKPOINT_EVERY_SECONDS)
            await self.checkpoint()


async def _connect(path: Path) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection
