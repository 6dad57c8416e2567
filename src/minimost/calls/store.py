"""SQL for the call tables of ``presence.db``."""

from __future__ import annotations

import aiosqlite


async def end_live_calls(connection: aiosqlite.Connection, now: float) -> int:
    cursor = await connection.execute(
        "UPDATE calls SET state = 'ended', ended_ts = ? WHERE state IN ('ringing', 'active')",
        (now,),
    )
    return cursor.rowcount


async def end_active_screenshares(connection: aiosqlite.Connection, now: float) -> int:
    cursor = await connection.execute(
        "UPDATE screenshares SET state = 'ended', ended_ts = ? WHERE state = 'active'", (now,)
    )
    return cursor.rowcount


async def delete_all_signals(connection: aiosqlite.Connection) -> int:
    """Signalling rows are only meaningful to a live call; none is live after a restart."""
    cursor = await connection.execute("DELETE FROM call_signals")
    return cursor.rowcount
