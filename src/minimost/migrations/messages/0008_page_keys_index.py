"""Each channel's live messages with what decides whether a kept encoding still holds.

A page first reads its messages' ids with their sender, edit time and reaction time
(``chat/message_cache.py``) and reads in full only the messages not kept at that
version. This index answers that first read without touching the table, whose rows for
one channel lie scattered among every other channel's. Deleted messages are left out,
as pages leave them out.
"""

import aiosqlite


async def migrate(connection: aiosqlite.Connection) -> None:
    await connection.execute(
        "CREATE INDEX IF NOT EXISTS idx_messages_channel_page_keys "
        "ON messages (channel, id, sender, ts, edited_ts, reactions_ts) WHERE deleted = 0"
    )
