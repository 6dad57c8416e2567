"""SQL for accounts in ``auth.db``: users, password history, profiles, sessions, tokens."""

from __future__ import annotations

import sqlite3

import aiosqlite

from ..db.database import fetch_all, fetch_one

Row = sqlite3.Row


# -- users -------------------------------------------------------------------------------


async def find_user(connection: aiosqlite.Connection, username: str) -> Row | None:
    """Look a user up case-insensitively; the row carries the canonical spelling."""
    return await fetch_one(
        connection, "SELECT * FROM users WHERE username = ? COLLATE NOCASE", (username,)
    )


async def username_is_taken(connection: aiosqlite.Connection, username: str) -> bool:
    """Taken by a live account, or once used by a deleted one (its DMs stay its own)."""
    row = await fetch_one(
        connection,
        "SELECT 1 FROM users WHERE username = ? COLLATE NOCASE "
        "UNION ALL SELECT 1 FROM deleted_usernames WHERE username = ? COLLATE NOCASE",
        (username, username),
    )
    return row is not None


async def insert_user(
    connection: aiosqlite.Connection, username: str, password_hash: str, now: float
) -> None:
    await connection.execute(
        "INSERT INTO users (username, password_hash, failed_attempts, password_set_ts) "
        "VALUES (?, ?, 0, ?)",
        (username, password_hash, now),
    )


async def set_password(
    connection: aiosqlite.Connection, username: str, password_hash: str, now: float
) -> None:
    await connection.execute(
        "UPDATE users SET password_hash = ?, password_set_ts = ? WHERE username = ?",
        (password_hash, now, username),
    )


async def append_password_history(
    connection: aiosqlite.Connection, username: str, password_hash: str, now: float, keep: int
) -> None:
    """Record a password and keep only the newest ``max(1, keep)`` for the user."""
    await connection.execute(
        "INSERT INTO password_history (username, password_hash, set_ts) VALUES (?, ?, ?)",
        (username, password_hash, now),
    )
    await connection.execute(
        """
        DELETE FROM password_history WHERE username = ? AND rowid NOT IN (
            SELECT rowid FROM password_history WHERE username = ?
            ORDER BY set_ts DESC, rowid DESC LIMIT ?
        )
        """,
        (username, username, max(1, keep)),
    )


async def recent_password_hashes(
    connection: aiosqlite.Connection, username: str, count: int
) -> list[str]:
    rows = await fetch_all(
        connection,
        "SELECT password_hash FROM password_history WHERE username = ? "
        "ORDER BY set_ts DESC, rowid DESC LIMIT ?",
        (username, count),
    )
    return [row["password_hash"] for row in rows]


async def record_failed_login(
    connection: aiosqlite.Connection,
    username: str,
    *,
    max_attempts: int,
    lockout_seconds: float,
    now: float,
) -> float | None:
    """Count a failure; return the lockout end when this failure locks the account."""
    await connection.execute(
        "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username = ?", (username,)
    )
    row = await fetch_one(
        connection, "SELECT failed_attempts FROM users WHERE username = ?", (username,)
    )
    if max_attempts <= 0 or row is None or row["failed_attempts"] < max_attempts:
        return None
    until = now + lockout_seconds
    await connection.execute(
        "UPDATE users SET failed_attempts = 0, lockout_until = ? WHERE username = ?",
        (until, username),
    )
    return until


async def clear_failed_logins(connection: aiosqlite.Connection, username: str) -> None:
    await connection.execute(
        "UPDATE users SET failed_attempts = 0, lockout_until = NULL WHERE username = ? "
        "AND (failed_attempts != 0 OR lockout_until IS NOT NULL)",
        (username,),
    )


async def delete_account_rows(connection: aiosqlite.Connection, username: str, now: float) -> None:
    """Remove the account and leave a tombstone so the name is never handed out again."""
    for table in ("users", "user_settings", "password_reset_tokens", "password_history"):
        await connection.execute(f"DELETE FROM {table} WHERE username = ?", (username,))
    await connection.execute(
        "INSERT OR REPLACE INTO deleted_usernames (username, deleted_ts) VALUES (?, ?)",
        (username, now),
    )


# -- profiles ----------------------------------------------------------------------------


async def profile(connection: aiosqlite.Connection, username: str) -> Row | None:
    return await fetch_one(
        connection,
        "SELECT username, name_color, bio, avatar_file FROM user_settings WHERE username = ?",
        (username,),
    )


async def save_profile(
    connection: aiosqlite.Connection, username: str, name_color: str | None, bio: str | None
) -> None:
    await connection.execute(
        "INSERT INTO user_settings (username, name_color, bio) VALUES (?, ?, ?) "
        "ON CONFLICT (username) DO UPDATE SET name_color = excluded.name_color, "
        "bio = excluded.bio",
        (username, name_color, bio),
    )


async def set_avatar_file(
    connection: aiosqlite.Connection, username: str, avatar_file: str | None
) -> str | None:
    """Point the profile at a new avatar file; return the file it replaced."""
    previous = await profile(connection, username)
    await connection.execute(
        "INSERT INTO user_settings (username, avatar_file) VALUES (?, ?) "
        "ON CONFLICT (username) DO UPDATE SET avatar_file = excluded.avatar_file",
        (username, avatar_file),
    )
    return previous["avatar_file"] if previous is not None else None


# -- sessions ----------------------------------------------------------------------------


async def create_session(
    connection: aiosqlite.Connection,
    sid: str,
    username: str,
    now: float,
    *,
    user_agent: str | None,
    ip: str | None,
) -> None:
    await connection.execute(
        "INSERT INTO sessions (sid, username, created_ts, last_active_ts, user_agent, ip) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (sid, username, now, now, (user_agent or "")[:256], ip),
    )


async def get_session(connection: aiosqlite.Connection, sid: str) -> Row | None:
    return await fetch_one(connection, "SELECT * FROM sessions WHERE sid = ?", (sid,))


async def touch_session(connection: aiosqlite.Connection, sid: str, now: float) -> None:
    await connection.execute("UPDATE sessions SET last_active_ts = ? WHERE sid = ?", (now, sid))


async def delete_session(connection: aiosqlite.Connection, sid: str) -> None:
    await connection.execute("DELETE FROM sessions WHERE sid = ?", (sid,))


async def revoke_sessions(
    connection: aiosqlite.Connection, username: str, now: float, *, keep_sid: str | None = None
) -> list[str]:
    """End the user's sessions (all, or all but one); cookies from before now stay dead."""
    rows = await fetch_all(
        connection,
        "SELECT sid FROM sessions WHERE username = ? AND sid IS NOT ?",
        (username, keep_sid),
    )
    await connection.execute(
        "DELETE FROM sessions WHERE username = ? AND sid IS NOT ?", (username, keep_sid)
    )
    await connection.execute(
        "UPDATE users SET sessions_revoked_ts = ? WHERE username = ?", (now, username)
    )
    return [row["sid"] for row in rows]


# -- reset tokens --------------------------------------------------------------------------


async def create_reset_token(
    connection: aiosqlite.Connection, token: str, username: str, expires_ts: float
) -> None:
    await connection.execute(
        "INSERT INTO password_reset_tokens (token, username, expires_ts, used) VALUES (?, ?, ?, 0)",
        (token, username, expires_ts),
    )


async def usable_reset_token(
    connection: aiosqlite.Connection, token: str, now: float
) -> Row | None:
    return await fetch_one(
        connection,
        "SELECT * FROM password_reset_tokens WHERE token = ? AND used = 0 AND expires_ts > ?",
        (token, now),
    )


async def mark_reset_token_used(connection: aiosqlite.Connection, token: str) -> None:
    await connection.execute("UPDATE password_reset_tokens SET used = 1 WHERE token = ?", (token,))


async def all_usernames(connection: aiosqlite.Connection) -> list[str]:
    """Every account, in the order they signed up."""
    rows = await fetch_all(connection, "SELECT username FROM users ORDER BY rowid")
    return [row["username"] for row in rows]


async def directory(connection: aiosqlite.Connection) -> list[Row]:
    """Every account with how it looks to others, in the order they signed up."""
    return await fetch_all(
        connection,
        "SELECT u.username, s.name_color, s.bio, s.avatar_file FROM users AS u "
        "LEFT JOIN user_settings AS s ON s.username = u.username ORDER BY u.rowid",
    )
