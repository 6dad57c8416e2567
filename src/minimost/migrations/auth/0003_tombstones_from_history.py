"""Tombstones for the names in history that no longer have an account.

The original MiniMost deleted accounts without leaving a tombstone, so anyone could
register a deleted person's name again and read their direct messages. Every name
that history shows (senders, DM participants, reactions, read state, private-channel
members, calls) but that has no account becomes a deleted name, refused at sign-up
like any other.

The history lives in the sibling files ``presence.db`` and ``users/messages.db``; they
are read here, read-only, whatever version they are at (their tables with these
columns exist since the original MiniMost).
"""

import asyncio
import sqlite3
import time
from pathlib import Path

import aiosqlite

from minimost.auth.passwords import username_failure
from minimost.db.database import fetch_all

# (relative file, table, column): every place the original MiniMost wrote a username.
NAME_COLUMNS = (
    ("users/messages.db", "messages", "sender"),
    ("users/messages.db", "reactions", "reactor"),
    ("users/messages.db", "read_state", "user"),
    ("users/messages.db", "dm_hidden", "user"),
    ("presence.db", "presence", "user"),
    ("presence.db", "private_channels", "created_by"),
    ("presence.db", "private_channel_members", "username"),
    ("presence.db", "typing", "user"),
    ("presence.db", "message_reactions", "reactor"),
    ("presence.db", "read_receipts", "reader"),
    ("presence.db", "calls", "initiator"),
    ("presence.db", "call_participants", "username"),
    ("presence.db", "call_signals", "from_user"),
    ("presence.db", "call_signals", "to_user"),
    ("presence.db", "screenshares", "sharer"),
)
# Channels whose names carry usernames: ``dm:<a>:<b>[:...]``.
DM_CHANNEL_COLUMNS = (
    ("users/messages.db", "messages", "channel"),
    ("users/messages.db", "read_state", "channel"),
    ("users/messages.db", "dm_hidden", "channel"),
    ("presence.db", "calls", "channel"),
    ("presence.db", "screenshares", "channel"),
)


async def migrate(connection: aiosqlite.Connection) -> None:
    (main,) = [
        row for row in await fetch_all(connection, "PRAGMA database_list") if row[1] == "main"
    ]
    if not main[2]:
        return
    names = await asyncio.to_thread(names_in_history, Path(main[2]).parent)
    accounts = {
        row[0].casefold() for row in await fetch_all(connection, "SELECT username FROM users")
    }
    orphans = sorted(
        name for name in names if name.casefold() not in accounts and username_failure(name) is None
    )
    await connection.executemany(
        "INSERT OR IGNORE INTO deleted_usernames (username, deleted_ts) VALUES (?, ?)",
        [(name, time.time()) for name in orphans],
    )


def names_in_history(root: Path) -> set[str]:
    """Every username the history files under ``root`` mention."""
    names: set[str] = set()
    for relative in {file for file, _, _ in NAME_COLUMNS + DM_CHANNEL_COLUMNS}:
        path = root / relative
        if not path.is_file():
            continue
        history = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            columns = _columns_by_table(history)
            for file, table, column in NAME_COLUMNS:
                if file == relative and column in columns.get(table, ()):
                    names.update(_distinct(history, table, column))
            for file, table, column in DM_CHANNEL_COLUMNS:
                if file == relative and column in columns.get(table, ()):
                    for channel in _distinct(history, table, column, "dm:%"):
                        names.update(part for part in channel.split(":")[1:] if part)
        finally:
            history.close()
    return names


def _columns_by_table(history: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [
        row[0] for row in history.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {
        table: {row[1] for row in history.execute(f"PRAGMA table_info({table})")}
        for table in tables
    }


def _distinct(
    history: sqlite3.Connection, table: str, column: str, like: str | None = None
) -> list[str]:
    sql = f"SELECT DISTINCT {column} FROM {table} WHERE typeof({column}) = 'text'"
    if like is not None:
        sql += f" AND {column} LIKE '{like}'"
    return [row[0] for row in history.execute(sql)]
