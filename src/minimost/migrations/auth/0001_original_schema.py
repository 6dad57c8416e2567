"""The original MiniMost ``auth.db``, created fresh or completed in place on an old install."""

import time

import aiosqlite

from minimost.db.migrate import add_missing_columns, execute_script


async def migrate(connection: aiosqlite.Connection) -> None:
    await execute_script(
        connection,
        """
        CREATE TABLE IF NOT EXISTS users (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS password_history (
            username TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            set_ts REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_password_history_user
            ON password_history (username, set_ts);
        CREATE TABLE IF NOT EXISTS user_settings (
            username TEXT PRIMARY KEY,
            name_color TEXT
        );
        CREATE TABLE IF NOT EXISTS password_reset_tokens (
            token TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            expires_ts REAL NOT NULL,
            used INTEGER NOT NULL DEFAULT 0
        );
        """,
    )
    await add_missing_columns(
        connection, "user_settings", [("avatar_file", "TEXT"), ("bio", "TEXT")]
    )
    added = await add_missing_columns(
        connection,
        "users",
        [
            ("failed_attempts", "INTEGER NOT NULL DEFAULT 0"),
            ("lockout_until", "REAL"),
            ("password_set_ts", "REAL"),
        ],
    )
    if "password_set_ts" in added:
        # Accounts from before password ageing start their clock now, with their current
        # hash as history, exactly as the original's own upgrade did.
        now = time.time()
        await connection.execute("UPDATE users SET password_set_ts = ?", (now,))
        await connection.execute(
            """
            INSERT INTO password_history (username, password_hash, set_ts)
            SELECT username, password_hash, ? FROM users
            WHERE username NOT IN (SELECT username FROM password_history)
            """,
            (now,),
        )
