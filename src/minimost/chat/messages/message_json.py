"""Messages as clients receive them, built from the rows ``store.py`` reads and writes.

Older rows without stored HTML get it rendered here; attached files get their download
fields; the newest page of a channel is served from the encoded-message cache.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ... import jsoncodec
from ..uploads.streaming import is_image, original_name
from . import store
from .markdown import render_plain
from .message_cache import EncodedMessages, Version
from .older_html import html_for


def message_json(
    row: sqlite3.Row | tuple[Any, ...], reactions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A message as every client receives it (API replies and events alike).

    ``row`` holds the ``MESSAGE_FIELDS`` columns in their order: unpacking a row is a
    third of the cost of looking each column up by name, which counts on a page of a
    hundred.
    """
    (
        message_id,
        channel,
        sender,
        content,
        content_html,
        content_type,
        filename,
        ts,
        edited,
        edited_ts,
        deleted,
        deleted_ts,
        reply_to_id,
        client_msg_id,
        mentions,
    ) = row
    deleted = bool(deleted)
    return {
        "id": message_id,
        "channel": channel,
        "sender": sender,
        "content": "" if deleted else (content or ""),
        "html": None
        if deleted
        else (content_html if content_html is not None else html_for(content_type, content)),
        "content_type": content_type or "text",
        "filename": filename,
        "ts": ts,
        "edited": bool(edited),
        "edited_ts": edited_ts,
        "deleted": deleted,
        "deleted_ts": deleted_ts,
        "reply_to": reply_to_id,
        "client_id": client_msg_id,
        "mentions": _mention_list(mentions) if mentions else [],
        "file": _file_json(filename) if filename and not deleted else None,
        "reactions": [] if deleted or reactions is None else reactions,
    }


def messages_json(connection: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """Messages as clients receive them, with their reactions (on the connection's thread)."""
    by_message = store.reactions_of(connection, [row["id"] for row in rows])
    return [message_json(row, by_message.get(row["id"], [])) for row in rows]


def older_page(
    connection: sqlite3.Connection, channel: str, *, before_id: int, limit: int, since: float | None
) -> list[dict[str, Any]]:
    """The ``limit`` live messages before ``before_id`` (from ``since``), oldest first, with
    their reactions."""
    rows = store.older_rows(connection, channel, before_id=before_id, limit=limit, since=since)
    return messages_json(connection, rows)


def insert_message(connection: sqlite3.Connection, **fields: Any) -> dict[str, Any]:
    """``store.insert_message``, answered as the message is sent out."""
    return message_json(store.insert_message(connection, **fields))


def newest_page_encoded(
    connection: sqlite3.Connection,
    channel: str,
    *,
    limit: int,
    since: float | None,
    cache: EncodedMessages,
) -> tuple[list[bytes], list[tuple[int, Version, bytes]]]:
    """The ``limit`` newest live messages (from ``since``), oldest first, each as its
    encoded JSON; and those encoded afresh, for ``cache`` to keep.

    Only messages missing from ``cache`` at their current version are read in full. Each
    is read before its reactions, so what is kept is never older than its version says.
    """
    keys = store.newest_page_keys(connection, channel, limit=limit, since=since)
    found: dict[int, bytes] = {}
    missing: list[int] = []
    for message_id, *version in keys:
        encoded = cache.get(message_id, tuple(version))
        if encoded is None:
            missing.append(message_id)
        else:
            found[message_id] = encoded
    fresh: list[tuple[int, Version, bytes]] = []
    if missing:
        # The missing stretch: all of a first load, or the newest few.
        rows = store.page_rows_between(
            connection, channel, since=since, first=missing[0], last=missing[-1]
        )
        by_message = store.reactions_of(connection, missing)
        wanted = set(missing)
        for row in rows:
            message_id = row[3]
            if message_id in wanted:
                message = message_json(row[3:], by_message.get(message_id, []))
                encoded = jsoncodec.encoded(message)
                fresh.append((message_id, row[:3], encoded))
                found[message_id] = encoded
    # A message deleted between the two reads is simply left out.
    return [found[key[0]] for key in keys if key[0] in found], fresh


def insert_system_notice(
    connection: sqlite3.Connection, channel: str, text: str, now: float
) -> dict[str, Any]:
    """Post a notice from MiniMost; return the message as clients receive it."""
    return message_json(
        store.insert_message(
            connection,
            channel=channel,
            sender=store.SYSTEM_SENDER,
            content=text,
            content_html=render_plain(text),
            ts=now,
            content_type="system",
        )
    )


def _file_json(stored: str) -> dict[str, Any]:
    return {
        "name": original_name(stored),
        "url": f"/api/files/{stored}",
        "image": is_image(stored),
    }


def _mention_list(stored: str | None) -> list[str]:
    if not stored:
        return []
    try:
        names = json.loads(stored)
    except ValueError:
        return []
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []
