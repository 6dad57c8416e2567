"""Roles: who administers the server. A person without a row here is a member.

Additive: 0.0.4's ``users`` table is left as it was. An upgraded install starts with no
admin (``minimost admin grant USER`` names one); a fresh install's first account becomes
one when it signs up.
"""

import aiosqlite

from minimost.db.migrate import execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE roles (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role = 'admin'),
            granted_ts REAL NOT NULL
        );
        """,
    )
