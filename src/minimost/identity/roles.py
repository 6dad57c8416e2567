"""Roles: admin and member. Only admins have a row in ``roles``; everyone else is a member."""

from __future__ import annotations

import sqlite3
from typing import Literal

from ..db.database import select_all, select_one

Role = Literal["admin", "member"]
ADMIN: Role = "admin"
MEMBER: Role = "member"
# Marks a view guarded by :func:`admin_only` (the API document lists its 404).
ADMIN_ONLY_ATTRIBUTE = "minimost_admin_only"
ROLE_CHANGED = "user.role_changed"


def role_of(connection: sqlite3.Connection, username: str) -> Role:
    row = select_one(connection, "SELECT role FROM roles WHERE username = ?", (username,))
    return ADMIN if row is not None else MEMBER


def admins(connection: sqlite3.Connection) -> list[str]:
    """The admins' usernames, in the order they became admins."""
    rows = select_all(connection, "SELECT username FROM roles ORDER BY granted_ts, rowid")
    return [row["username"] for row in rows]


def grant(connection: sqlite3.Connection, username: str, now: float) -> bool:
    """Make ``username`` an admin; False when they already were."""
    cursor = connection.execute(
        "INSERT OR IGNORE INTO roles (username, role, granted_ts) VALUES (?, 'admin', ?)",
        (username, now),
    )
    return cursor.rowcount > 0


def revoke(connection: sqlite3.Connection, username: str) -> bool:
    """Make ``username`` a member again; False when they were one."""
    cursor = connection.execute("DELETE FROM roles WHERE username = ?", (username,))
    return cursor.rowcount > 0


def is_only_admin(connection: sqlite3.Connection, username: str) -> bool:
    """Whether removing ``username``'s role would leave the server without an admin."""
    return [name.casefold() for name in admins(connection)] == [username.casefold()]


def last_admin_message(username: str) -> str:
    return f"{username} is the last admin; make someone else an admin first."
