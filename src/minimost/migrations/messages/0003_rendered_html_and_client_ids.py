"""Rendered message HTML beside the text, and fast lookup of a sender's client ids.

``content_html`` holds the server's sanitized rendering (NULL for rows written by an
older MiniMost, which clients render from ``content`` until the row is edited). The
index makes a retried send with the same client id find its first copy at once.
"""

import aiosqlite

from minimost.db.migrate import add_missing_columns, execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await add_missing_columns(connection, "messages", [("content_html", "TEXT")])
    await execute_script(
        connection,
        """
        CREATE INDEX IF NOT EXISTS idx_messages_sender_client_id
            ON messages (sender, client_msg_id) WHERE client_msg_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS idx_messages_channel_id ON messages (channel, id);
        """,
    )
