"""Who exists: users looked up by name, how they show, and what a removed one leaves."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..db.database import select_all, select_one
from ..runtime import Runtime
from .roles import role_of

Row = sqlite3.Row

# What a softly deleted user's messages show as their author.
DELETED_USER = "Deleted User"


def find_user(connection: sqlite3.Connection, username: str) -> Row | None:
    """Look a user up case-insensitively; the row carries the canonical spelling."""
    return select_one(
        connection, "SELECT * FROM users WHERE username = ? COLLATE NOCASE", (username,)
    )


def all_usernames(connection: sqlite3.Connection) -> list[str]:
    """Every account, in the order they signed up."""
    rows = select_all(connection, "SELECT username FROM users ORDER BY rowid")
    return [row["username"] for row in rows]


def profile(connection: sqlite3.Connection, username: str) -> Row | None:
    return select_one(
        connection,
        "SELECT username, name_color, bio, avatar_file FROM user_settings WHERE username = ?",
        (username,),
    )


def avatar_url(username: str, avatar_file: str | None) -> str | None:
    return f"/api/users/{username}/avatar?v={avatar_file[:8]}" if avatar_file else None


async def account_summary(runtime: Runtime, username: str) -> dict[str, Any]:
    """The signed-in user's own JSON: how they show to others, and their role."""

    def look_up(connection: sqlite3.Connection) -> dict[str, Any]:
        return {
            **profile_summary(username, profile(connection, username)),
            "role": role_of(connection, username),
        }

    return await runtime.stores.auth.reading(look_up)


def profile_summary(username: str, row: Row | None) -> dict[str, Any]:
    """How a user shows to others: name colour, bio and avatar link."""
    name_color = row["name_color"] if row else None
    bio = row["bio"] if row else None
    return {
        "username": username,
        "name_color": name_color,
        "bio": bio,
        "avatar_url": avatar_url(username, row["avatar_file"] if row else None),
    }
