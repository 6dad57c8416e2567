"""SQL for private channels in ``presence.db`` (where the original keeps them)."""

from __future__ import annotations

import aiosqlite

from ..db.database import fetch_all, fetch_value


async def create(
    connection: aiosqlite.Connection, name: str, creator: str, members: list[str], now: float
) -> int:
    cursor = await connection.execute(
        "INSERT INTO private_channels (name, created_by, created_ts) VALUES (?, ?, ?)",
        (name, creator, now),
    )
    channel_id = cursor.lastrowid
    assert channel_id is not None
    await connection.executemany(
        "INSERT INTO private_channel_members (channel_id, username, joined_ts, history_start_ts) "
        "VALUES (?, ?, ?, NULL)",
        [(channel_id, member, now) for member in members],
    )
    return channel_id


async def name_of(connection: aiosqlite.Connection, channel_id: int) -> str | None:
    return await fetch_value(
        connection, "SELECT name FROM private_channels WHERE id = ?", (channel_id,)
    )


async def members(connection: aiosqlite.Connection, channel_id: int) -> dict[str, float | None]:
    """Members in the order they joined, with when their visible history starts."""
    rows = await fetch_all(
        connection,
        "SELECT username, history_start_ts FROM private_channel_members "
        "WHERE channel_id = ? ORDER BY rowid",
        (channel_id,),
    )
    return {row[0]: row[1] for row in rows}


async def channels_of(connection: aiosqlite.Connection, username: str) -> list[tuple[int, str]]:
    rows = await fetch_all(
        connection,
        "SELECT c.id, c.name FROM private_channels c JOIN private_channel_members m "
        "ON m.channel_id = c.id WHERE m.username = ? ORDER BY c.id",
        (username,),
    )
    return [(row[0], row[1]) for row in rows]


async def rename(connection: aiosqlite.Connection, channel_id: int, name: str) -> None:
    await connection.execute(
        "UPDATE private_channels SET name = ? WHERE id = ?", (name, channel_id)
    )


async def add_member(
    connection: aiosqlite.Connection, channel_id: int, username: str, now: float
) -> None:
    """A late joiner: their history starts now."""
    await connection.execute(
        "INSERT INTO private_channel_members (channel_id, username, joined_ts, history_start_ts) "
        "VALUES (?, ?, ?, ?)",
        (channel_id, username, now, now),
    )


async def remove_member(connection: aiosqlite.Connection, channel_id: int, username: str) -> None:
    await connection.execute(
        "DELETE FROM private_channel_members WHERE channel_id = ? AND username = ?",
        (channel_id, username),
    )


async def memberships_of(
    connection: aiosqlite.Connection, username: str
) -> list[tuple[int, float | None]]:
    """The user's private channels with when their visible history starts."""
    rows = await fetch_all(
        connection,
        "SELECT channel_id, history_start_ts FROM private_channel_members WHERE username = ?",
        (username,),
    )
    return [(row[0], row[1]) for row in rows]
