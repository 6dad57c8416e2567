"""Who each message mentions, indexed by name, so "my unread mentions" never scans.

``messages.mentions`` keeps the original's JSON list for older MiniMost; this table is
its index. A trigger drops a message's rows when the message itself is deleted
(retention), since foreign keys are not enforced on the original tables.
"""

import json

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE message_mentions (
            message_id INTEGER NOT NULL,
            username TEXT NOT NULL,
            PRIMARY KEY (username, message_id)
        );
        CREATE INDEX idx_message_mentions_message ON message_mentions (message_id);
        CREATE TRIGGER message_mentions_ad AFTER DELETE ON messages BEGIN
            DELETE FROM message_mentions WHERE message_id = old.id;
        END;
        """,
    )
    async with connection.execute(
        "SELECT id, mentions FROM messages WHERE mentions IS NOT NULL AND deleted = 0"
    ) as cursor:
        rows = await cursor.fetchall()
    for message_id, mentions in rows:
        try:
            names = json.loads(mentions)
        except ValueError:
            continue
        if isinstance(names, list):
            await connection.executemany(
                "INSERT OR IGNORE INTO message_mentions (message_id, username) VALUES (?, ?)",
                [(message_id, name) for name in names if isinstance(name, str)],
            )
