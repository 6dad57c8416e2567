"""The original MiniMost ``users/messages.db``, created fresh or completed in place.

The FTS5 trigram index is external-content over ``messages.content``; it is rebuilt
once, only when it is first created (possibly over an already-filled table).
"""

import aiosqlite

from minimost.db.migrate import add_missing_columns, execute_script, table_exists

MESSAGE_COLUMNS = [
    ("content", "TEXT"),
    ("content_type", "TEXT DEFAULT 'text'"),
    ("filename", "TEXT"),
    ("edited", "INTEGER DEFAULT 0"),
    ("edited_ts", "REAL"),
    ("deleted", "INTEGER DEFAULT 0"),
    ("deleted_ts", "REAL"),
    ("reply_to_id", "INTEGER"),
    ("reactions_ts", "REAL"),
    ("mentions", "TEXT"),
    ("metadata", "TEXT"),
    ("client_msg_id", "TEXT"),
    ("expires_ts", "REAL"),
]


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            sender TEXT NOT NULL,
            content TEXT,
            content_type TEXT DEFAULT 'text',
            filename TEXT,
            ts REAL NOT NULL,
            edited INTEGER DEFAULT 0,
            edited_ts REAL,
            deleted INTEGER DEFAULT 0,
            deleted_ts REAL,
            reply_to_id INTEGER,
            reactions_ts REAL,
            mentions TEXT,
            metadata TEXT,
            client_msg_id TEXT,
            expires_ts REAL,
            FOREIGN KEY (reply_to_id) REFERENCES messages(id)
        );
        """,
    )
    await add_missing_columns(connection, "messages", MESSAGE_COLUMNS)
    await execute_script(
        connection,
        """
        CREATE INDEX IF NOT EXISTS idx_messages_channel_ts ON messages (channel, ts);
        CREATE INDEX IF NOT EXISTS idx_messages_filename ON messages (filename)
            WHERE filename IS NOT NULL;
        CREATE TABLE IF NOT EXISTS reactions (
            message_id INTEGER NOT NULL,
            emoji TEXT NOT NULL,
            reactor TEXT NOT NULL,
            PRIMARY KEY (message_id, emoji, reactor)
        );
        CREATE TABLE IF NOT EXISTS read_state (
            user TEXT NOT NULL,
            channel TEXT NOT NULL,
            last_read_ts REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (user, channel)
        );
        CREATE TABLE IF NOT EXISTS dm_hidden (
            user TEXT NOT NULL,
            channel TEXT NOT NULL,
            hidden_ts REAL NOT NULL,
            PRIMARY KEY (user, channel)
        );
        CREATE TABLE IF NOT EXISTS pins (
            message_id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            pinned_by TEXT NOT NULL,
            pinned_ts REAL NOT NULL,
            FOREIGN KEY (message_id) REFERENCES messages(id)
        );
        CREATE INDEX IF NOT EXISTS idx_pins_channel_ts ON pins (channel, pinned_ts);
        """,
    )
    index_is_new = not await table_exists(connection, "messages_fts")
    await execute_script(
        connection,
        """
        CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
            content, content='messages', content_rowid='id', tokenize='trigram', columnsize=0
        );
        CREATE TRIGGER IF NOT EXISTS messages_fts_ai AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
        END;
        CREATE TRIGGER IF NOT EXISTS messages_fts_ad AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
        END;
        CREATE TRIGGER IF NOT EXISTS messages_fts_au AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
        END;
        """,
    )
    if index_is_new:
        await connection.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
        # Merged now, at upgrade: left as the rebuild writes it (many segments), the index
        # would be merged a little on each later write, stalling sends for a while.
        await connection.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
