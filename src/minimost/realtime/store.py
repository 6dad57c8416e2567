"""SQL for the append-only event log in ``users/messages.db``."""

from __future__ import annotations

import sqlite3

from ..jsoncodec import compact, parse
from .events import Audience, Event

APPEND = "INSERT INTO events (ts, type, channel, username, payload) VALUES (?, ?, ?, ?, ?)"


def append(
    connection: sqlite3.Connection, name: str, audience: Audience, data: dict, now: float
) -> Event:
    cursor = connection.execute(
        APPEND, (now, name, audience.channel, audience.username, compact(data))
    )
    assert cursor.lastrowid is not None
    return Event(cursor.lastrowid, name, audience, data, now)


def head(connection: sqlite3.Connection) -> int:
    """The newest event id (0 for an empty log)."""
    return int(connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])


def oldest(connection: sqlite3.Connection) -> int | None:
    oldest_id = connection.execute("SELECT MIN(id) FROM events").fetchone()[0]
    return None if oldest_id is None else int(oldest_id)


def after(connection: sqlite3.Connection, after_id: int, until_id: int, limit: int) -> list[Event]:
    """Logged events with ``after_id < id <= until_id``, oldest first."""
    rows = connection.execute(
        "SELECT id, ts, type, channel, username, payload FROM events "
        "WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
        (after_id, until_id, limit),
    ).fetchall()
    return [Event(row[0], row[2], Audience(row[3], row[4]), parse(row[5]), row[1]) for row in rows]


def prune_before(connection: sqlite3.Connection, cutoff_ts: float) -> int:
    """Forget old events; clients further behind than the horizon get a resync."""
    cursor = connection.execute(
        "DELETE FROM events WHERE ts < ? AND id < (SELECT MAX(id) FROM events)", (cutoff_ts,)
    )
    return cursor.rowcount
