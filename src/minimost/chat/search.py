"""Search: text, sender, channel and time filters over what the caller may read.

The access and late-joiner rules are part of the query, so the 50 results are 50
readable ones. Three or more characters use the trigram index; shorter text falls
back to an escaped LIKE.
"""

from __future__ import annotations

from typing import Any

from ..api import ApiError
from ..realtime import realtime_of
from ..runtime import Runtime
from . import store
from .channels import require_readable

LIMIT = 50
FTS_MIN_CHARS = 3


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    if channel:
        await require_readable(runtime, username, channel)
    memberships = realtime_of(runtime).access.private_channels_of(username)

    readable = ["m.channel IN (SELECT channel FROM dm_members WHERE username = ?)"]
    params: list[Any] = [username]
    public = runtime.settings.channels
    readable.append(f"m.channel IN ({', '.join('?' * len(public))})")
    params += list(public)
    for private_channel, history_start in memberships:
        readable.append("(m.channel = ? AND m.ts >= ?)")
        params += [private_channel, history_start or 0]
    where = ["m.deleted = 0", f"({' OR '.join(readable)})"]
    source = "messages m"
    order = "m.id DESC"
    if text:
        if len(text) >= FTS_MIN_CHARS:
            # Walk the index's matches newest first and stop at the LIMIT: an ``IN
            # (SELECT rowid ...)`` would collect every match of a common term first.
            source = "messages_fts f JOIN messages m ON m.id = f.rowid"
            order = "f.rowid DESC"
            where.insert(0, "messages_fts MATCH ?")
            params.insert(0, '"' + text.replace('"', '""') + '"')
        else:
            where.append("m.content LIKE ? ESCAPE '\\'")
            params.append(f"%{_like_literal(text)}%")
    if sender:
        where.append("m.sender = ? COLLATE NOCASE")
        params.append(sender)
    if channel:
        where.append("m.channel = ?")
        params.append(channel)
    if start is not None:
        where.append("m.ts >= ?")
        params.append(start)
    if end is not None:
        where.append("m.ts < ?")
        params.append(end)
    fields = ", ".join(f"m.{field}" for field in store.MESSAGE_FIELDS.split(", "))
    sql = (
        f"SELECT {fields} FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {LIMIT}"
    )
    return await runtime.stores.messages.reading(
        lambda connection: store.messages_json_now(
            connection, connection.execute(sql, params).fetchall()
        )
    )
