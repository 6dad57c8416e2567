"""SQL for the append-only event log in ``users/messages.db``."""

from __future__ import annotations

import sqlite3

import aiosqlite

from ..db.database import fetch_all, fetch_value
from ..jsoncodec import compact, parse
from .events import Audience, Event

APPEND = "INSERT INTO events (ts, type, channel, username, payload) VALUES (?, ?, ?, ?, ?)"


def _append_row(name: str, audience: Audience, data: dict, now: float) -> tuple:
    payload = compact(data)
    return (now, name, audience.channel, audience.username, payload)


async def append(
    connection: aiosqlite.Connection, name: str, audience: Audience, data: dict, now: float
) -> Event:
    cursor = await connection.execute(APPEND, _append_row(name, audience, data, now))
    assert cursor.lastrowid is not None
    return Event(cursor.lastrowid, name, audience, data, now)


def append_now(
    connection: sqlite3.Connection, name: str, audience: Audience, data: dict, now: float
) -> Event:
    """``append`` for code already running on the writer's thread."""
    cursor = connection.execute(APPEND, _append_row(name, audience, data, now))
    assert cursor.lastrowid is not None
    return Event(cursor.lastrowid, name, audience, data, now)


async def head(connection: aiosqlite.Connection) -> int:
    """The newest event id (0 for an empty log)."""
    return int(await fetch_value(connection, "SELECT COALESCE(MAX(id), 0) FROM events"))


async def oldest(connection: aiosqlite.Connection) -> int | None:
    oldest_id = await fetch_value(connection, "SELECT MIN(id) FROM events")
    return None if oldest_id is None else int(oldest_id)


async def after(
    connection: aiosqlite.Connection, after_id: int, until_id: int, limit: int
) -> list[Event]:
    """Logged events with ``after_id < id <= until_id``, oldest first."""
    rows = await fetch_all(
        connection,
        "SELECT id, ts, type, channel, username, payload FROM events "
        "WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
        (after_id, until_id, limit),
    )
    return [Event(row[0], row[2], Audience(row[3], row[4]), parse(row[5]), row[1]) for row in rows]


async def prune_before(connection: aiosqlite.Connection, cutoff_ts: float) -> int:
    """Forget old events; clients further behind than the horizon get a resync."""
    cursor = await connection.execute(
        "DELETE FROM events WHERE ts < ? AND id < (SELECT MAX(id) FROM events)", (cutoff_ts,)
    )
    return cursor.rowcount
