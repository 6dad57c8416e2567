"""SQL for the ``presence`` table of ``presence.db``."""

from __future__ import annotations

import sqlite3

from ..db.database import select_all, select_value


def mark_everyone_offline(connection: sqlite3.Connection) -> int:
    """Set every presence row offline and clear overrides; return how many rows changed."""
    cursor = connection.execute(
        "UPDATE presence SET state = 'offline', override = NULL "
        "WHERE state != 'offline' OR override IS NOT NULL"
    )
    return cursor.rowcount


def set_state(connection: sqlite3.Connection, username: str, state: str, now: float) -> None:
    """Record a user's presence state; going offline also clears a manual override."""
    clear_override = state == "offline"
    connection.execute(
        "INSERT INTO presence (user, last_seen, state, override) VALUES (?, ?, ?, NULL) "
        "ON CONFLICT (user) DO UPDATE SET last_seen = excluded.last_seen, "
        "state = excluded.state, "
        "override = CASE WHEN ? THEN NULL ELSE presence.override END",
        (username, int(now), state, clear_override),
    )


def forget_user(connection: sqlite3.Connection, username: str) -> None:
    """Remove a deleted account from presence, typing, private channels and calls."""
    for table, column in (
        ("presence", "user"),
        ("typing", "user"),
        ("private_channel_members", "username"),
        ("call_participants", "username"),
    ):
        connection.execute(f"DELETE FROM {table} WHERE {column} = ?", (username,))


def record_live_state(
    connection: sqlite3.Connection, username: str, state: str, now: float
) -> None:
    """Persist what the user's tabs report, keeping any override."""
    connection.execute(
        "INSERT INTO presence (user, last_seen, state) VALUES (?, ?, ?) "
        "ON CONFLICT (user) DO UPDATE SET last_seen = excluded.last_seen, state = excluded.state",
        (username, int(now), state),
    )


def set_override(
    connection: sqlite3.Connection, username: str, override: str | None, now: float
) -> None:
    connection.execute(
        "INSERT INTO presence (user, last_seen, state, override) VALUES (?, ?, 'offline', ?) "
        "ON CONFLICT (user) DO UPDATE SET override = excluded.override",
        (username, int(now), override),
    )


def override_of(connection: sqlite3.Connection, username: str) -> str | None:
    return select_value(connection, "SELECT override FROM presence WHERE user = ?", (username,))


def recently_seen(connection: sqlite3.Connection, cutoff: int) -> list[tuple[str, str, str | None]]:
    rows = select_all(
        connection, "SELECT user, state, override FROM presence WHERE last_seen >= ?", (cutoff,)
    )
    return [(row[0], row[1], row[2]) for row in rows]
