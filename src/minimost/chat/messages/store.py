"""SQL for ``users/messages.db`` used by account changes: notices, watermarks, removal."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from typing import Any

from ...db.database import select_all, select_one, select_value

SYSTEM_SENDER = "system"


MESSAGE_FIELDS = (
    "id, channel, sender, content, content_html, content_type, filename, ts, edited, "
    "edited_ts, deleted, deleted_ts, reply_to_id, client_msg_id, mentions"
)


MENTION_INSERT = "INSERT OR IGNORE INTO message_mentions (message_id, username) VALUES (?, ?)"


def reactions_of(
    connection: sqlite3.Connection, message_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """``reactions_of`` on the connection's own thread: one query for all the messages."""
    if not message_ids:
        return {}
    placeholders = ",".join("?" * len(message_ids))
    rows = connection.execute(
        f"SELECT message_id, emoji, reactor FROM reactions "
        f"WHERE message_id IN ({placeholders}) ORDER BY rowid",
        message_ids,
    ).fetchall()
    grouped: dict[int, dict[str, list[str]]] = {}
    for message_id, name, reactor in rows:
        grouped.setdefault(message_id, {}).setdefault(name, []).append(reactor)
    return {
        message_id: [
            {"name": name, "count": len(users), "users": users} for name, users in names.items()
        ]
        for message_id, names in grouped.items()
    }


def set_reaction(
    connection: sqlite3.Connection,
    message_id: int,
    name: str,
    username: str,
    *,
    present: bool,
    now: float,
) -> bool:
    """Add or remove one user's reaction; answer whether anything changed."""
    if present:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO reactions (message_id, emoji, reactor) VALUES (?, ?, ?)",
            (message_id, name, username),
        )
    else:
        cursor = connection.execute(
            "DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND reactor = ?",
            (message_id, name, username),
        )
    if cursor.rowcount == 0:
        return False
    # The original's clients poll for rows whose reactions_ts moved; keep it current.
    connection.execute("UPDATE messages SET reactions_ts = ? WHERE id = ?", (now, message_id))
    return True


def messages_with_file(connection: sqlite3.Connection, stored: str) -> list[sqlite3.Row]:
    return select_all(
        connection, "SELECT channel, ts FROM messages WHERE filename = ? AND deleted = 0", (stored,)
    )


def set_mentions(connection: sqlite3.Connection, message_id: int, names: list[str]) -> None:
    """Store who a message mentions: the original's JSON column and the lookup index."""
    connection.execute(
        "UPDATE messages SET mentions = ? WHERE id = ?",
        (json.dumps(names) if names else None, message_id),
    )
    connection.execute("DELETE FROM message_mentions WHERE message_id = ?", (message_id,))
    connection.executemany(MENTION_INSERT, [(message_id, name) for name in names])


def unread_mentions(
    connection: sqlite3.Connection, username: str, everyone: str
) -> list[sqlite3.Row]:
    """Unread, live messages from others that mention the user or everyone, newest first."""
    return select_all(
        connection,
        f"SELECT {', '.join('m.' + field for field in MESSAGE_FIELDS.split(', '))} "
        "FROM message_mentions mm JOIN messages m ON m.id = mm.message_id "
        "WHERE mm.username IN (?, ?) AND m.deleted = 0 AND m.sender != ? "
        "AND m.ts > COALESCE((SELECT last_read_ts FROM read_state r "
        "WHERE r.user = ? AND r.channel = m.channel), 0) "
        "GROUP BY m.id ORDER BY m.id DESC LIMIT 200",
        (username, everyone, username, username),
    )


def get_message(connection: sqlite3.Connection, message_id: int) -> sqlite3.Row | None:
    return select_one(
        connection, f"SELECT {MESSAGE_FIELDS} FROM messages WHERE id = ?", (message_id,)
    )


FIND_BY_CLIENT_ID = f"SELECT {MESSAGE_FIELDS} FROM messages WHERE sender = ? AND client_msg_id = ?"


def find_by_client_id(
    connection: sqlite3.Connection, sender: str, client_id: str
) -> sqlite3.Row | None:
    return connection.execute(FIND_BY_CLIENT_ID, (sender, client_id)).fetchone()


INSERT_MESSAGE = (
    "INSERT INTO messages (channel, sender, content, content_html, content_type, ts, "
    "reply_to_id, client_msg_id, filename, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def insert_message(
    connection: sqlite3.Connection,
    *,
    channel: str,
    sender: str,
    content: str,
    content_html: str,
    ts: float,
    reply_to: int | None = None,
    client_id: str | None = None,
    content_type: str = "text",
    filename: str | None = None,
    mentions: list[str] | None = None,
) -> tuple[Any, ...]:
    """Insert a message (and its mentions) on the writer's thread; return its row.

    The row is built from the values just written, so no read-back is needed.
    """
    stored_mentions = json.dumps(mentions) if mentions else None
    cursor = connection.execute(
        INSERT_MESSAGE,
        (
            channel,
            sender,
            content,
            content_html,
            content_type,
            ts,
            reply_to,
            client_id,
            filename,
            stored_mentions,
        ),
    )
    message_id = cursor.lastrowid
    assert message_id is not None
    if mentions:
        connection.executemany(MENTION_INSERT, [(message_id, name) for name in mentions])
    # The columns of MESSAGE_FIELDS, in order, as just written.
    written = (
        message_id,
        channel,
        sender,
        content,
        content_html,
        content_type,
        filename,
        ts,
        0,
        None,
        0,
        None,
        reply_to,
        client_id,
        stored_mentions,
    )
    return written


def edit_message(
    connection: sqlite3.Connection, message_id: int, content: str, content_html: str, now: float
) -> None:
    connection.execute(
        "UPDATE messages SET content = ?, content_html = ?, edited = 1, edited_ts = ? WHERE id = ?",
        (content, content_html, now, message_id),
    )


def mark_deleted(connection: sqlite3.Connection, message_id: int, now: float) -> None:
    connection.execute(
        "UPDATE messages SET deleted = 1, deleted_ts = ? WHERE id = ?", (now, message_id)
    )


OLDER_PAGE = (
    f"SELECT {MESSAGE_FIELDS} FROM messages WHERE channel = ? AND deleted = 0 "
    "AND id < ? AND ts >= ? ORDER BY id DESC LIMIT ?"
)


def older_rows(
    connection: sqlite3.Connection, channel: str, *, before_id: int, limit: int, since: float | None
) -> list[sqlite3.Row]:
    """The ``limit`` live messages before ``before_id`` (from ``since``), oldest first."""
    rows = connection.execute(OLDER_PAGE, (channel, before_id, since or 0, limit)).fetchall()
    rows.reverse()
    return rows


# The newest page's messages with their version (``message_cache.py``), and the same
# version columns ahead of the full rows of those that must be encoded again. The open
# bound on id steers SQLite to walk the channel's index from its newest entry.
NEWEST_PAGE_KEYS = (
    "SELECT id, sender, edited_ts, reactions_ts FROM messages WHERE channel = ? AND deleted = 0 "
    "AND id < ? AND ts >= ? ORDER BY id DESC LIMIT ?"
)
NO_ID_BOUND = 2**63 - 1
PAGE_ROWS_BETWEEN = (
    f"SELECT sender, edited_ts, reactions_ts, {MESSAGE_FIELDS} FROM messages "
    "WHERE channel = ? AND deleted = 0 AND ts >= ? AND id BETWEEN ? AND ?"
)


def newest_page_keys(
    connection: sqlite3.Connection, channel: str, *, limit: int, since: float | None
) -> list[tuple[Any, ...]]:
    """Id and version (sender, edited, reactions) of the ``limit`` newest live messages
    (from ``since``), oldest first."""
    plain = connection.cursor()
    plain.row_factory = None  # tuples: unpacked by position, no names needed
    keys = plain.execute(NEWEST_PAGE_KEYS, (channel, NO_ID_BOUND, since or 0, limit)).fetchall()
    keys.reverse()
    return keys


def page_rows_between(
    connection: sqlite3.Connection, channel: str, *, since: float | None, first: int, last: int
) -> list[tuple[Any, ...]]:
    """The version columns, then ``MESSAGE_FIELDS``, of live messages with ids in
    ``first..last``: one walk of the channel's index rather than a seek per id."""
    plain = connection.cursor()
    plain.row_factory = None
    return plain.execute(PAGE_ROWS_BETWEEN, (channel, since or 0, first, last)).fetchall()


ADVANCE_WATERMARK = (
    "INSERT INTO read_state (user, channel, last_read_ts) VALUES (?, ?, ?) "
    "ON CONFLICT (user, channel) DO UPDATE "
    "SET last_read_ts = MAX(last_read_ts, excluded.last_read_ts)"
)


def advance_watermark(
    connection: sqlite3.Connection, username: str, channel: str, ts: float
) -> None:
    connection.execute(ADVANCE_WATERMARK, (username, channel, ts))


def seed_read_watermarks(
    connection: sqlite3.Connection, username: str, channels: tuple[str, ...], now: float
) -> None:
    """A newcomer starts with nothing unread, yet can still read the backlog."""
    connection.executemany(
        "INSERT INTO read_state (user, channel, last_read_ts) VALUES (?, ?, ?) "
        "ON CONFLICT (user, channel) DO UPDATE "
        "SET last_read_ts = MAX(last_read_ts, excluded.last_read_ts)",
        [(username, channel, now) for channel in channels],
    )


def anonymise_messages(connection: sqlite3.Connection, username: str, replacement: str) -> int:
    cursor = connection.execute(
        "UPDATE messages SET sender = ? WHERE sender = ?", (replacement, username)
    )
    return cursor.rowcount


def delete_messages_and_reactions(connection: sqlite3.Connection, username: str, now: float) -> int:
    cursor = connection.execute("DELETE FROM messages WHERE sender = ?", (username,))
    # Messages losing a reaction show it moved, as a toggled reaction does.
    connection.execute(
        "UPDATE messages SET reactions_ts = ? "
        "WHERE id IN (SELECT message_id FROM reactions WHERE reactor = ?)",
        (now, username),
    )
    connection.execute("DELETE FROM reactions WHERE reactor = ?", (username,))
    connection.execute("DELETE FROM reactions WHERE message_id NOT IN (SELECT id FROM messages)")
    connection.execute("DELETE FROM pins WHERE message_id NOT IN (SELECT id FROM messages)")
    return cursor.rowcount


def delete_read_state(connection: sqlite3.Connection, username: str) -> None:
    connection.execute("DELETE FROM read_state WHERE user = ?", (username,))
    connection.execute("DELETE FROM dm_hidden WHERE user = ?", (username,))


def latest_ts(connection: sqlite3.Connection, channel: str) -> float | None:
    """The newest message time in a channel (deleted and own rows included)."""
    return select_value(connection, "SELECT MAX(ts) FROM messages WHERE channel = ?", (channel,))


def read_positions(connection: sqlite3.Connection, channel: str) -> dict[str, float]:
    rows = select_all(
        connection,
        "SELECT user, last_read_ts FROM read_state WHERE channel = ? ORDER BY user",
        (channel,),
    )
    return {row[0]: row[1] for row in rows}


UNREAD_AFTER = (
    "SELECT COUNT(*) FROM messages WHERE channel = ? AND ts > ? AND deleted = 0 AND sender != ?"
)


def unread_count(
    connection: sqlite3.Connection, username: str, channel: str, *, since: float | None = None
) -> int:
    """Messages after the user's read position (and ``since``), not their own, not deleted."""
    rows = select_all(
        connection,
        "SELECT last_read_ts FROM read_state WHERE user = ? AND channel = ?",
        (username, channel),
    )
    position = max((row[0] for row in rows), default=0.0)
    # "ts >= since" as a strict bound: the float just below since.
    after = max(position, math.nextafter(since, -math.inf) if since else 0.0)
    counted = select_all(connection, UNREAD_AFTER, (channel, after, username))
    return int(next(iter(counted))[0])


def unread_counts(
    connection: sqlite3.Connection, username: str, channels: list[str] | tuple[str, ...]
) -> dict[str, int]:
    """``unread_count`` for many channels in one go (on a connection's own thread)."""
    positions = {
        row[0]: row[1]
        for row in connection.execute(
            "SELECT channel, last_read_ts FROM read_state WHERE user = ?", (username,)
        )
    }
    return {
        channel: connection.execute(
            UNREAD_AFTER, (channel, positions.get(channel) or 0.0, username)
        ).fetchone()[0]
        for channel in channels
    }


def is_pinned(connection: sqlite3.Connection, message_id: int) -> bool:
    row = select_one(connection, "SELECT 1 FROM pins WHERE message_id = ?", (message_id,))
    return row is not None


def pin(connection: sqlite3.Connection, message_id: int, channel: str, by: str, now: float) -> None:
    connection.execute(
        "INSERT INTO pins (message_id, channel, pinned_by, pinned_ts) VALUES (?, ?, ?, ?)",
        (message_id, channel, by, now),
    )


def unpin(connection: sqlite3.Connection, message_id: int) -> None:
    connection.execute("DELETE FROM pins WHERE message_id = ?", (message_id,))


def live_pin_count(connection: sqlite3.Connection, channel: str) -> int:
    row = select_one(
        connection,
        "SELECT COUNT(*) FROM pins p JOIN messages m ON m.id = p.message_id "
        "WHERE p.channel = ? AND m.deleted = 0",
        (channel,),
    )
    return int(row[0]) if row else 0


def pinned(
    connection: sqlite3.Connection, channel: str, *, preview_chars: int, limit: int
) -> list[dict[str, Any]]:
    """Pinned live messages, most recently pinned first, with a short preview."""
    rows = select_all(
        connection,
        "SELECT m.id, m.channel, m.sender, m.content, m.filename, m.ts, p.pinned_by, "
        "p.pinned_ts FROM pins p JOIN messages m ON m.id = p.message_id "
        "WHERE p.channel = ? AND m.deleted = 0 ORDER BY p.pinned_ts DESC, p.message_id DESC "
        "LIMIT ?",
        (channel, limit),
    )
    return [
        {
            "id": row[0],
            "channel": row[1],
            "sender": row[2],
            "content": (row[3] or "")[:preview_chars],
            "filename": row[4],
            "ts": row[5],
            "pinned_by": row[6],
            "pinned_ts": row[7],
        }
        for row in rows
    ]


REMEMBER_DM = "INSERT OR IGNORE INTO dm_members (channel, username) VALUES (?, ?)"


def remember_dm(connection: sqlite3.Connection, channel: str, members: Iterable[str]) -> None:
    connection.executemany(REMEMBER_DM, [(channel, member) for member in members])


def dms_of(connection: sqlite3.Connection, username: str) -> list[tuple[str, float]]:
    """The user's DMs that are not hidden (or have news since), newest activity first."""
    rows = select_all(
        connection,
        "SELECT d.channel, (SELECT MAX(ts) FROM messages m WHERE m.channel = d.channel) AS last "
        "FROM dm_members d WHERE d.username = ? AND NOT EXISTS ("
        "SELECT 1 FROM dm_hidden h WHERE h.user = d.username AND h.channel = d.channel "
        "AND h.hidden_ts >= COALESCE((SELECT MAX(ts) FROM messages m WHERE m.channel = "
        "d.channel), 0)) ORDER BY last DESC",
        (username,),
    )
    return [(row[0], row[1] or 0.0) for row in rows]


def hide_dm(connection: sqlite3.Connection, username: str, channel: str, now: float) -> None:
    connection.execute(
        "INSERT OR REPLACE INTO dm_hidden (user, channel, hidden_ts) VALUES (?, ?, ?)",
        (username, channel, now),
    )
