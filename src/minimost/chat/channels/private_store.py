"""SQL for private channels in ``presence.db`` (where the original keeps them)."""

from __future__ import annotations

import sqlite3

from ...db.database import select_all, select_value


def create(
    connection: sqlite3.Connection, name: str, creator: str, members: list[str], now: float
) -> int:
    cursor = connection.execute(
        "INSERT INTO private_channels (name, created_by, created_ts) VALUES (?, ?, ?)",
        (name, creator, now),
    )
    channel_id = cursor.lastrowid
    assert channel_id is not None
    connection.executemany(
        "INSERT INTO private_channel_members (channel_id, username, joined_ts, history_start_ts) "
        "VALUES (?, ?, ?, NULL)",
        [(channel_id, member, now) for member in members],
    )
    return channel_id


def name_of(connection: sqlite3.Connection, channel_id: int) -> str | None:
    return select_value(connection, "SELECT name FROM private_channels WHERE id = ?", (channel_id,))


def members(connection: sqlite3.Connection, channel_id: int) -> dict[str, float | None]:
    """Members in the order they joined, with when their visible history starts."""
    rows = select_all(
        connection,
        "SELECT username, history_start_ts FROM private_channel_members "
        "WHERE channel_id = ? ORDER BY rowid",
        (channel_id,),
    )
    return {row[0]: row[1] for row in rows}


def channels_of(connection: sqlite3.Connection, username: str) -> list[tuple[int, str]]:
    rows = select_all(
        connection,
        "SELECT c.id, c.name FROM private_channels c JOIN private_channel_members m "
        "ON m.channel_id = c.id WHERE m.username = ? ORDER BY c.id",
        (username,),
    )
    return [(row[0], row[1]) for row in rows]


def rename(connection: sqlite3.Connection, channel_id: int, name: str) -> None:
    connection.execute("UPDATE private_channels SET name = ? WHERE id = ?", (name, channel_id))


def add_member(connection: sqlite3.Connection, channel_id: int, username: str, now: float) -> None:
    """A late joiner: their history starts now."""
    connection.execute(
        "INSERT INTO private_channel_members (channel_id, username, joined_ts, history_start_ts) "
        "VALUES (?, ?, ?, ?)",
        (channel_id, username, now, now),
    )


def remove_member(connection: sqlite3.Connection, channel_id: int, username: str) -> None:
    connection.execute(
        "DELETE FROM private_channel_members WHERE channel_id = ? AND username = ?",
        (channel_id, username),
    )


def memberships_of(connection: sqlite3.Connection, username: str) -> list[tuple[int, float | None]]:
    """The user's private channels with when their visible history starts."""
    rows = select_all(
        connection,
        "SELECT channel_id, history_start_ts FROM private_channel_members WHERE username = ?",
        (username,),
    )
    return [(row[0], row[1]) for row in rows]
