"""SQL for the server-side session records in ``auth.db``."""

from __future__ import annotations

import sqlite3

from ..db.database import select_all, select_one
from .users import Row

# -- sessions ----------------------------------------------------------------------------


def create_session(
    connection: sqlite3.Connection,
    sid: str,
    username: str,
    now: float,
    *,
    user_agent: str | None,
    ip: str | None,
) -> None:
    connection.execute(
        "INSERT INTO sessions (sid, username, created_ts, last_active_ts, user_agent, ip) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (sid, username, now, now, (user_agent or "")[:256], ip),
    )


def get_session(connection: sqlite3.Connection, sid: str) -> Row | None:
    return select_one(connection, "SELECT * FROM sessions WHERE sid = ?", (sid,))


def touch_session(connection: sqlite3.Connection, sid: str, now: float) -> None:
    connection.execute("UPDATE sessions SET last_active_ts = ? WHERE sid = ?", (now, sid))


def delete_session(connection: sqlite3.Connection, sid: str) -> None:
    connection.execute("DELETE FROM sessions WHERE sid = ?", (sid,))


def revoke_sessions(
    connection: sqlite3.Connection, username: str, now: float, *, keep_sid: str | None = None
) -> list[str]:
    """End the user's sessions (all, or all but one); cookies from before now stay dead."""
    rows = select_all(
        connection,
        "SELECT sid FROM sessions WHERE username = ? AND sid IS NOT ?",
        (username, keep_sid),
    )
    connection.execute(
        "DELETE FROM sessions WHERE username = ? AND sid IS NOT ?", (username, keep_sid)
    )
    connection.execute(
        "UPDATE users SET sessions_revoked_ts = ? WHERE username = ?", (now, username)
    )
    return [row["sid"] for row in rows]
