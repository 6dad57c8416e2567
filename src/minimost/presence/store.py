"""SQL for the ``presence`` table of ``presence.db``."""

from __future__ import annotations

import aiosqlite


async def mark_everyone_offline(connection: aiosqlite.Connection) -> int:
    """Set every presence row offline and clear overrides; return how many rows changed."""
    cursor = await connection.execute(
        "UPDATE presence SET state = 'offline', override = NULL "
        "WHERE state != 'offline' OR override IS NOT NULL"
    )
    return cursor.rowcount


async def set_state(
    connection: aiosqlite.Connection, username: str, state: str, now: float
) -> None:
    """Record a user's presence state; going offline also clears a manual override."""
    clear_override = state == "offline"
    await connection.execute(
        "INSERT INTO presence (user, last_seen, state, override) VALUES (?, ?, ?, NULL) "
        "ON CONFLICT (user) DO UPDATE SET last_seen = excluded.last_seen, "
        "state = excluded.state, "
        "override = CASE WHEN ? THEN NULL ELSE presence.override END",
        (username, int(now), state, clear_override),
    )


async def forget_user(connection: aiosqlite.Connection, username: str) -> None:
    """Remove a deleted account from presence, typing, private channels and calls."""
    for table, column in (
        ("presence", "user"),
        ("typing", "user"),
        ("private_channel_members", "username"),
        ("call_participants", "username"),
    ):
        await connection.execute(f"DELETE FROM {table} WHERE {column} = ?", (username,))
