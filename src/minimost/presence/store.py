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
