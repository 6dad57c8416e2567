"""The messages an older MiniMost stored without HTML, found without a scan.

After an upgrade from 0.0.4 a background pass stores their HTML (``chat/older_html.py``).
This index lists only the rows still waiting, so the pass finds its next batch at once
and, when none are left, a start costs nothing: the index is empty.
"""

import aiosqlite


async def migrate(connection: aiosqlite.Connection) -> None:
    await connection.execute(
        "CREATE INDEX IF NOT EXISTS idx_messages_unrendered ON messages (id) "
        "WHERE content_html IS NULL"
    )
