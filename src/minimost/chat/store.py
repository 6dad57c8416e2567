"""SQL for ``users/messages.db`` used by account changes: notices, watermarks, removal."""

from __future__ import annotations

from typing import Any

import aiosqlite

SYSTEM_SENDER = "system"


async def insert_system_notice(
    connection: aiosqlite.Connection, channel: str, text: str, now: float
) -> dict[str, Any]:
    """Post a notice from MiniMost; return the message as clients receive it."""
    cursor = await connection.execute(
        "INSERT INTO messages (channel, sender, content, content_type, ts) "
        "VALUES (?, ?, ?, 'system', ?)",
        (channel, SYSTEM_SENDER, text, now),
    )
    assert cursor.lastrowid is not None
    return {
        "id": cursor.lastrowid,
        "channel": channel,
        "sender": SYSTEM_SENDER,
        "content": text,
        "content_type": "system",
        "ts": now,
    }


async def seed_read_watermarks(
    connection: aiosqlite.Connection, username: str, channels: tuple[str, ...], now: float
) -> None:
    """A newcomer starts with nothing unread, yet can still read the backlog."""
    await connection.executemany(
        "INSERT INTO read_state (user, channel, last_read_ts) VALUES (?, ?, ?) "
        "ON CONFLICT (user, channel) DO UPDATE "
        "SET last_read_ts = MAX(last_read_ts, excluded.last_read_ts)",
        [(username, channel, now) for channel in channels],
    )


async def anonymise_messages(
    connection: aiosqlite.Connection, username: str, replacement: str
) -> int:
    cursor = await connection.execute(
        "UPDATE messages SET sender = ? WHERE sender = ?", (replacement, username)
    )
    return cursor.rowcount


async def delete_messages_and_reactions(connection: aiosqlite.Connection, username: str) -> int:
    cursor = await connection.execute("DELETE FROM messages WHERE sender = ?", (username,))
    await connection.execute("DELETE FROM reactions WHERE reactor = ?", (username,))
    await connection.execute(
        "DELETE FROM reactions WHERE message_id NOT IN (SELECT id FROM messages)"
    )
    await connection.execute("DELETE FROM pins WHERE message_id NOT IN (SELECT id FROM messages)")
    return cursor.rowcount


async def delete_read_state(connection: aiosqlite.Connection, username: str) -> None:
    await connection.execute("DELETE FROM read_state WHERE user = ?", (username,))
    await connection.execute("DELETE FROM dm_hidden WHERE user = ?", (username,))
