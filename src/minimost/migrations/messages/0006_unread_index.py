"""Unread counts from the index alone: channel, time, deleted flag and sender together.

Counting what a user has not read touches only index entries after their read
position; the narrower ``(channel, ts)`` index it replaces is a prefix of this one.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE INDEX IF NOT EXISTS idx_messages_channel_ts_unread
            ON messages (channel, ts, deleted, sender);
        DROP INDEX IF EXISTS idx_messages_channel_ts;
        """,
    )
