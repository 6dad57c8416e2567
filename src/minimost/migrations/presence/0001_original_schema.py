"""The original MiniMost ``presence.db``, created fresh or completed in place on an old install.

``read_receipts`` and ``message_reactions`` are unused legacy tables; they stay so an
older MiniMost can still open the file.
"""

import aiosqlite

from minimost.db.migrate import add_missing_columns, execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE IF NOT EXISTS presence (
            user TEXT PRIMARY KEY,
            last_seen INTEGER NOT NULL,
            state TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS typing (
            user TEXT NOT NULL,
            channel TEXT NOT NULL,
            ts INTEGER NOT NULL,
            PRIMARY KEY (user, channel)
        );
        CREATE TABLE IF NOT EXISTS read_receipts (
            channel TEXT NOT NULL,
            msg_ts REAL NOT NULL,
            reader TEXT NOT NULL,
            PRIMARY KEY (channel, msg_ts, reader)
        );
        CREATE TABLE IF NOT EXISTS message_reactions (
            channel TEXT NOT NULL,
            msg_ts REAL NOT NULL,
            emoji TEXT NOT NULL,
            reactor TEXT NOT NULL,
            PRIMARY KEY (channel, msg_ts, emoji, reactor)
        );
        CREATE TABLE IF NOT EXISTS private_channels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_ts REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS private_channel_members (
            channel_id INTEGER NOT NULL,
            username TEXT NOT NULL,
            joined_ts REAL NOT NULL,
            PRIMARY KEY (channel_id, username),
            FOREIGN KEY (channel_id) REFERENCES private_channels(id)
        );
        CREATE TABLE IF NOT EXISTS calls (
            call_id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            initiator TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'ringing',
            started_ts REAL NOT NULL,
            answered_ts REAL,
            ended_ts REAL
        );
        CREATE TABLE IF NOT EXISTS call_participants (
            call_id TEXT NOT NULL,
            username TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'participant',
            state TEXT NOT NULL DEFAULT 'pending',
            joined_ts REAL,
            left_ts REAL,
            PRIMARY KEY (call_id, username),
            FOREIGN KEY (call_id) REFERENCES calls(call_id)
        );
        CREATE TABLE IF NOT EXISTS call_signals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id TEXT NOT NULL,
            from_user TEXT NOT NULL,
            to_user TEXT NOT NULL,
            signal_type TEXT NOT NULL,
            payload TEXT NOT NULL,
            ts REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS screenshares (
            share_id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            sharer TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'active',
            started_ts REAL NOT NULL,
            ended_ts REAL
        );
        CREATE TABLE IF NOT EXISTS event_signal (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            gen INTEGER NOT NULL DEFAULT 0
        );
        INSERT OR IGNORE INTO event_signal (id, gen) VALUES (1, 0);
        """,
    )
    await add_missing_columns(connection, "presence", [("override", "TEXT")])
    await add_missing_columns(connection, "private_channel_members", [("history_start_ts", "REAL")])
    await add_missing_columns(connection, "calls", [("screenshare_user", "TEXT")])
    await add_missing_columns(
        connection,
        "call_participants",
        [
            ("sharing", "INTEGER NOT NULL DEFAULT 0"),
            ("invited_ts", "REAL"),
            ("last_seen_ts", "REAL"),
        ],
    )
