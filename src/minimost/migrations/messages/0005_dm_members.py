"""Which DMs each user is in, so listing a user's DMs never scans the message table.

Filled once from the DM channels an older install already has, then on every send.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE dm_members (
            channel TEXT NOT NULL,
            username TEXT NOT NULL,
            PRIMARY KEY (username, channel)
        );
        """,
    )
    async with connection.execute(
        "SELECT DISTINCT channel FROM messages WHERE channel >= 'dm:' AND channel < 'dm;'"
    ) as cursor:
        channels = [row[0] for row in await cursor.fetchall()]
    await connection.executemany(
        "INSERT OR IGNORE INTO dm_members (channel, username) VALUES (?, ?)",
        [(channel, name) for channel in channels for name in channel.split(":")[1:] if name],
    )
