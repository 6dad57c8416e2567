"""Each channel's live messages with their text, newest first, for searching one channel.

The trigram index finds a word across every channel; when the word is frequent elsewhere
and rare in the channel asked for, it walks thousands of other channels' matches. This
index holds what a channel search tests (sender, time, text) beside the channel and id,
so the channel's newest rows can be scanned without touching the table. Deleted
messages are left out, as search leaves them out.
"""

import aiosqlite


async def migrate(connection: aiosqlite.Connection) -> None:
    await connection.execute(
        "CREATE INDEX IF NOT EXISTS idx_messages_channel_text "
        "ON messages (channel, id, sender, ts, content) WHERE deleted = 0"
    )
