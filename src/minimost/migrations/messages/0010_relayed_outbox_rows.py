"""Which outbox rows of auth.db and presence.db the event log already holds.

The relay records each row it moves here in the transaction that logs its event, so a
relay repeated after a crash (before the outbox row was deleted) logs nothing twice.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE relayed_outbox_rows (
            source TEXT NOT NULL,
            outbox_id INTEGER NOT NULL,
            UNIQUE (source, outbox_id)
        );
        """,
    )
