"""SQL for accounts in ``auth.db``: sign-up, password history, profiles, reset tokens."""

from __future__ import annotations

import sqlite3

from ..db.database import select_all, select_one
from ..identity.users import Row, profile

# -- users -------------------------------------------------------------------------------


def username_is_taken(connection: sqlite3.Connection, username: str) -> bool:
    """Taken by a live account, or once used by a deleted one (its DMs stay its own)."""
    row = select_one(
        connection,
        "SELECT 1 FROM users WHERE username = ? COLLATE NOCASE "
        "UNION ALL SELECT 1 FROM deleted_usernames WHERE username = ? COLLATE NOCASE",
        (username, username),
    )
    return row is not None


def is_first_account(connection: sqlite3.Connection) -> bool:
    """Whether the only account there is was just created and nobody administers yet."""
    row = select_one(
        connection,
        "SELECT (SELECT COUNT(*) FROM users) AS accounts, (SELECT COUNT(*) FROM roles) AS admins",
    )
    return row is not None and row["accounts"] == 1 and row["admins"] == 0


def insert_user(
    connection: sqlite3.Connection, username: str, password_hash: str, now: float
) -> None:
    connection.execute(
        "INSERT INTO users (username, password_hash, failed_attempts, password_set_ts) "
        "VALUES (?, ?, 0, ?)",
        (username, password_hash, now),
    )


def set_password(
    connection: sqlite3.Connection, username: str, password_hash: str, now: float
) -> None:
    connection.execute(
        "UPDATE users SET password_hash = ?, password_set_ts = ? WHERE username = ?",
        (password_hash, now, username),
    )


def append_password_history(
    connection: sqlite3.Connection, username: str, password_hash: str, now: float, keep: int
) -> None:
    """Record a password and keep only the newest ``max(1, keep)`` for the user."""
    connection.execute(
        "INSERT INTO password_history (username, password_hash, set_ts) VALUES (?, ?, ?)",
        (username, password_hash, now),
    )
    connection.execute(
        """
        DELETE FROM password_history WHERE username = ? AND rowid NOT IN (
            SELECT rowid FROM password_history WHERE username = ?
            ORDER BY set_ts DESC, rowid DESC LIMIT ?
        )
        """,
        (username, username, max(1, keep)),
    )


def recent_password_hashes(connection: sqlite3.Connection, username: str, count: int) -> list[str]:
    rows = select_all(
        connection,
        "SELECT password_hash FROM password_history WHERE username = ? "
        "ORDER BY set_ts DESC, rowid DESC LIMIT ?",
        (username, count),
    )
    return [row["password_hash"] for row in rows]


def record_failed_login(
    connection: sqlite3.Connection,
    username: str,
    *,
    max_attempts: int,
    lockout_seconds: float,
    now: float,
) -> float | None:
    """Count a failure; return the lockout end when this failure locks the account."""
    connection.execute(
        "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username = ?", (username,)
    )
    row = select_one(
        connection, "SELECT failed_attempts FROM users WHERE username = ?", (username,)
    )
    if max_attempts <= 0 or row is None or row["failed_attempts"] < max_attempts:
        return None
    until = now + lockout_seconds
    connection.execute(
        "UPDATE users SET failed_attempts = 0, lockout_until = ? WHERE username = ?",
        (until, username),
    )
    return until


def clear_failed_logins(connection: sqlite3.Connection, username: str) -> None:
    connection.execute(
        "UPDATE users SET failed_attempts = 0, lockout_until = NULL WHERE username = ? "
        "AND (failed_attempts != 0 OR lockout_until IS NOT NULL)",
        (username,),
    )


def delete_account_rows(connection: sqlite3.Connection, username: str, now: float) -> None:
    """Remove the account and leave a tombstone so the name is never handed out again."""
    tables = ("users", "user_settings", "password_reset_tokens", "password_history", "roles")
    for table in tables:
        connection.execute(f"DELETE FROM {table} WHERE username = ?", (username,))
    connection.execute(
        "INSERT OR REPLACE INTO deleted_usernames (username, deleted_ts) VALUES (?, ?)",
        (username, now),
    )


# -- profiles ----------------------------------------------------------------------------


def save_profile(
    connection: sqlite3.Connection, username: str, name_color: str | None, bio: str | None
) -> None:
    connection.execute(
        "INSERT INTO user_settings (username, name_color, bio) VALUES (?, ?, ?) "
        "ON CONFLICT (username) DO UPDATE SET name_color = excluded.name_color, "
        "bio = excluded.bio",
        (username, name_color, bio),
    )


def set_avatar_file(
    connection: sqlite3.Connection, username: str, avatar_file: str | None
) -> str | None:
    """Point the profile at a new avatar file; return the file it replaced."""
    previous = profile(connection, username)
    connection.execute(
        "INSERT INTO user_settings (username, avatar_file) VALUES (?, ?) "
        "ON CONFLICT (username) DO UPDATE SET avatar_file = excluded.avatar_file",
        (username, avatar_file),
    )
    return previous["avatar_file"] if previous is not None else None


# -- reset tokens --------------------------------------------------------------------------


def create_reset_token(
    connection: sqlite3.Connection, token: str, username: str, expires_ts: float
) -> None:
    connection.execute(
        "INSERT INTO password_reset_tokens (token, username, expires_ts, used) VALUES (?, ?, ?, 0)",
        (token, username, expires_ts),
    )


def usable_reset_token(connection: sqlite3.Connection, token: str, now: float) -> Row | None:
    return select_one(
        connection,
        "SELECT * FROM password_reset_tokens WHERE token = ? AND used = 0 AND expires_ts > ?",
        (token, now),
    )


def mark_reset_token_used(connection: sqlite3.Connection, token: str) -> None:
    connection.execute("UPDATE password_reset_tokens SET used = 1 WHERE token = ?", (token,))


def directory(connection: sqlite3.Connection) -> list[Row]:
    """Every account with how it looks to others, in the order they signed up."""
    return select_all(
        connection,
        "SELECT u.username, s.name_color, s.bio, s.avatar_file, "
        "CASE WHEN r.username IS NULL THEN 'member' ELSE 'admin' END AS role FROM users AS u "
        "LEFT JOIN user_settings AS s ON s.username = u.username "
        "LEFT JOIN roles AS r ON r.username = u.username ORDER BY u.rowid",
    )
