"""The append-only event log: every change users must see, numbered in commit order.

Clients resume from the last id they applied, so ids come from this table (assigned in
the writing transaction), never from a clock. Rows are never updated; only the oldest
are pruned, which moves the horizon a client can resume from.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            type TEXT NOT NULL,
            channel TEXT,
            username TEXT,
            payload TEXT NOT NULL
        );
        CREATE INDEX idx_events_channel ON events (channel, id) WHERE channel IS NOT NULL;
        CREATE INDEX idx_events_username ON events (username, id) WHERE username IS NOT NULL;
        CREATE TRIGGER events_append_only BEFORE UPDATE ON events BEGIN
            SELECT RAISE(ABORT, 'the event log is append-only');
        END;
        """,
    )
