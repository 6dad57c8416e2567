"""Indexes so finding a channel's live call, a user's calls and active shares never scans.

The original never deletes call, participant or share rows, so these tables only grow.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE INDEX IF NOT EXISTS idx_calls_channel_state ON calls (channel, state);
        CREATE INDEX IF NOT EXISTS idx_calls_state ON calls (state);
        CREATE INDEX IF NOT EXISTS idx_call_participants_user
            ON call_participants (username, state);
        CREATE INDEX IF NOT EXISTS idx_screenshares_channel_state
            ON screenshares (channel, state);
        CREATE INDEX IF NOT EXISTS idx_screenshares_state ON screenshares (state);
        """,
    )
