"""Search: text, sender, channel and time filters over what the caller may read.

The access and late-joiner rules are part of the query, so the 50 results are 50
readable ones. Three or more characters use the trigram index, or within one channel
a scan of that channel's newest rows that matches exactly as the index would; shorter
text falls back to an escaped LIKE.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

from ...api import ApiError
from ...realtime import realtime_of
from ...runtime import Runtime
from ..channels.permissions import require_readable
from . import message_json, search_store
from .search_store import Filters, Test

FTS_MIN_CHARS = 3


async def search(
    runtime: Runtime,
    username: str,
    *,
    text: str | None = None,
    sender: str | None = None,
    channel: str | None = None,
    start: float | None = None,
    end: float | None = None,
) -> list[dict[str, Any]]:
    if not any(value not in (None, "") for value in (text, sender, channel, start, end)):
        raise ApiError(400, "bad_request", "Give at least one of q, from, channel, start, end.")
    if text and "\x00" in text:
        # SQLite reads patterns and index queries only up to a NUL.
        raise ApiError(400, "bad_request", "q must not contain a NUL character.")
    if channel:
        await require_readable(runtime, username, channel)
    filters = _filters(runtime, username, sender=sender, channel=channel, start=start, end=end)
    find: Callable[[sqlite3.Connection], list[sqlite3.Row]]
    if text and len(text) >= FTS_MIN_CHARS:
        if channel and search_store.scannable(text):
            find = partial(search_store.in_channel, channel=channel, text=text, filters=filters)
        else:
            find = partial(search_store.by_trigrams, text=text, filters=filters)
    else:
        find = partial(search_store.by_like, text=text, filters=filters)
    return await runtime.stores.messages.reading(
        lambda connection: message_json.messages_json(connection, find(connection))
    )


def _filters(
    runtime: Runtime,
    username: str,
    *,
    sender: str | None,
    channel: str | None,
    start: float | None,
    end: float | None,
) -> Filters:
    """Live messages that match the filters and the user may read (late joiners: from when)."""
    columns: list[Test] = [("m.deleted = 0", [])]
    if sender:
        columns.append(("m.sender = ? COLLATE NOCASE", [sender]))
    if channel:
        columns.append(("m.channel = ?", [channel]))
    if start is not None:
        columns.append(("m.ts >= ?", [start]))
    if end is not None:
        columns.append(("m.ts < ?", [end]))
    readable = ["m.channel IN (SELECT channel FROM dm_members WHERE username = ?)"]
    params: list[Any] = [username]
    public = runtime.settings.channels
    readable.append(f"m.channel IN ({', '.join('?' * len(public))})")
    params += list(public)
    memberships = realtime_of(runtime).access.private_channels_of(username)
    for private_channel, history_start in memberships:
        readable.append("(m.channel = ? AND m.ts >= ?)")
        params += [private_channel, history_start or 0]
    return Filters(columns, (f"({' OR '.join(readable)})", params))
