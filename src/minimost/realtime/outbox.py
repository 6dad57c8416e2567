"""Events of changes kept outside messages.db: written with the change, then relayed.

Private channels, calls and screen shares live in presence.db, accounts in auth.db,
while the event log lives in messages.db, and SQLite (in WAL mode) cannot commit two
files atomically. So each of these databases has an outbox table: ``changes.record``
there writes the event into the outbox, in the change's own transaction. The relay then
moves outbox rows into the log, in one messages.db transaction that also notes (source,
outbox id) under a UNIQUE constraint, so a repeated relay logs nothing twice, and only
then deletes them from the outbox. It runs after each such write (the writer awaits it
before answering, so clients see the same events in the same order as before) and once
at start, before serving, for rows a crash left behind.

Why an outbox rather than moving these tables into messages.db: 0.0.4's tables stay
authoritative where 0.0.4 put them, so an upgraded install keeps working with its own
files; the accounts table (which sign-up changes) cannot move at all; and the same relay
serves several workers later, whichever of them wrote the change.

An outbox row may also be an instruction rather than an event: a name with a handler
(``Relay.on``) runs that handler in the relay's transaction instead, so what a change
needs in messages.db (a channel notice, a newcomer's read positions, the messages of a
removed account) commits with the log entry, exactly once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..db import Changes, Database
from ..jsoncodec import compact, parse
from .events import Audience

# Runs in the relay's messages.db transaction for an outbox row of its name.
Handler = Callable[[Changes, Audience, dict[str, Any], float], None]


def record(
    connection: sqlite3.Connection, name: str, audience: Audience, data: dict[str, Any]
) -> int:
    """The recorder of outbox databases: keep the event until the relay logs it."""
    cursor = connection.execute(
        "INSERT INTO outbox (ts, type, channel, username, payload) VALUES (?, ?, ?, ?, ?)",
        (time.time(), name, audience.channel, audience.username, compact(data)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


@dataclass(frozen=True)
class _Row:
    id: int
    ts: float
    name: str
    audience: Audience
    data: dict[str, Any]


def pending(connection: sqlite3.Connection) -> list[_Row]:
    """Outbox rows not yet relayed, oldest first."""
    rows = connection.execute(
        "SELECT id, ts, type, channel, username, payload FROM outbox ORDER BY id"
    ).fetchall()
    return [_Row(row[0], row[1], row[2], Audience(row[3], row[4]), parse(row[5])) for row in rows]


def _forget(connection: sqlite3.Connection, ids: list[int]) -> None:
    connection.executemany("DELETE FROM outbox WHERE id = ?", [(row_id,) for row_id in ids])


class Relay:
    """Moves the outbox rows of auth.db and presence.db into the event log."""

    def __init__(self, log: Database, sources: dict[str, Database]) -> None:
        self.log = log
        self.sources = sources
        self._handlers: dict[str, Handler] = {}
        self._locks = {name: asyncio.Lock() for name in sources}

    def attach(self) -> None:
        """Record events of the source databases in their outbox, relayed after each write."""
        for name, database in self.sources.items():
            database.recorder = record
            database.after_write = lambda name=name: self.relay(name)

    def on(self, name: str, handler: Handler) -> None:
        """Relay outbox rows called ``name`` by running ``handler`` in the log's transaction."""
        self._handlers[name] = handler

    async def relay_all(self) -> int:
        """Relay what every source holds (at start: rows a crash left); return how many."""
        moved = 0
        for name in self.sources:
            moved += await self.relay(name)
        return moved

    async def relay(self, source: str) -> int:
        """Log the source's outbox rows once each, then delete them; return how many."""
        database = self.sources[source]
        async with self._locks[source]:
            rows = await database.reading(pending)
            if not rows:
                return 0
            await self.log.write(lambda changes: self._log(changes, source, rows))
            await database.write(lambda changes: _forget(changes.connection, [r.id for r in rows]))
            return len(rows)

    def _log(self, changes: Changes, source: str, rows: list[_Row]) -> None:
        # Outbox ids are given in commit order and never again, so rows below the oldest
        # still waiting were deleted from the outbox: their notes can go.
        changes.connection.execute(
            "DELETE FROM relayed_outbox_rows WHERE source = ? AND outbox_id < ?",
            (source, rows[0].id),
        )
        for row in rows:
            fresh = changes.connection.execute(
                "INSERT OR IGNORE INTO relayed_outbox_rows (source, outbox_id) VALUES (?, ?)",
                (source, row.id),
            ).rowcount
            if not fresh:
                continue
            handler = self._handlers.get(row.name)
            if handler is not None:
                handler(changes, row.audience, row.data, row.ts)
            else:
                changes.record(row.name, row.audience, row.data)
