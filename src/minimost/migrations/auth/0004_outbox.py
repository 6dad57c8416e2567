"""An outbox: events of account changes, written with the change, until the log has them.

See ``minimost.realtime.outbox``. AUTOINCREMENT so an id is never given twice, even
after relayed rows are deleted: the log remembers relayed ids to ignore repeats.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            type TEXT NOT NULL,
            channel TEXT,
            username TEXT,
            payload TEXT NOT NULL
        );
        """,
    )
