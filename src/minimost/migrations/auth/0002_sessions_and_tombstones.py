"""Server-side session records and the names of deleted accounts.

A session cookie is only honoured while its record exists, so signing out, a password
reset or deleting the account ends every session of that user at once. Cookies signed
by an older MiniMost carry no record; they are adopted once, unless they predate the
user's ``sessions_revoked_ts``. A deleted account leaves a tombstone so nobody can
register its name and inherit its direct messages.
"""

import aiosqlite

from minimost.db.migrate import add_missing_columns, execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE sessions (
            sid TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            created_ts REAL NOT NULL,
            last_active_ts REAL NOT NULL,
            user_agent TEXT,
            ip TEXT
        );
        CREATE INDEX idx_sessions_username ON sessions (username);
        CREATE TABLE deleted_usernames (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            deleted_ts REAL NOT NULL
        );
        """,
    )
    await add_missing_columns(connection, "users", [("sessions_revoked_ts", "REAL")])
