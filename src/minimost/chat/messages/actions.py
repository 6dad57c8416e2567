"""Sending, editing and deleting messages; each change is logged and reaches every reader."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from ...api import ApiError
from ...channel_ids import DM_PREFIX, dm_participants
from ...db import Changes
from ...jsoncodec import Fragment, encoded_array
from ...realtime import Audience, realtime_of
from ...runtime import Runtime
from ..channels.permissions import require_postable, require_readable
from ..uploads.streaming import MultipartSend
from . import message_json, store
from .markdown import render
from .mentions import EVERYONE, resolve_mentions
from .message_cache import encoded_messages_of

MAX_MESSAGE_CHARS = 10_000
MAX_CLIENT_ID_CHARS = 64
# Rendering this much takes a few tenths of a millisecond, less than handing it to a
# thread and back; longer texts are rendered off the event loop.
INLINE_RENDER_CHARS = 400
PAGE_SIZE = 100
MAX_PAGE_SIZE = 200

MESSAGE_NOT_FOUND = ApiError(404, "not_found", "No such message.")
FILE_NOT_FOUND = ApiError(404, "not_found", "No such file.")


def _checked_text(content: str) -> str:
    text = content.rstrip()
    if not text.strip():
        raise ApiError(400, "empty", "A message needs some text.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(413, "too_long", f"Message too long (max {MAX_MESSAGE_CHARS} characters).")
    return text


async def _rendered(text: str) -> str:
    if not text:
        return ""
    if len(text) <= INLINE_RENDER_CHARS:
        return render(text)
    return await asyncio.to_thread(render, text)


async def send_message(
    runtime: Runtime,
    sender: str,
    channel: str,
    content: str,
    *,
    client_id: str | None = None,
    reply_to: int | None = None,
    upload: MultipartSend | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Post text and files as one send: a text row, then one row per file, same time.

    A retry with the same client id returns the first copy instead (and drops the
    re-uploaded files). Returns the messages and whether they were created now.
    """
    files = upload.files if upload is not None else []
    try:
        await require_postable(runtime, sender, channel)
        text = content.rstrip()
        if text or not files:
            text = _checked_text(content)
        if client_id is not None and not 0 < len(client_id) <= MAX_CLIENT_ID_CHARS:
            raise ApiError(400, "bad_request", "client_id must be 1–64 characters.")
        html = await _rendered(text)
        mentioned = await resolve_mentions(runtime, channel, text) if text else []

        def write(changes: Changes) -> tuple[list[dict[str, Any]], bool]:
            connection = changes.connection
            if client_id is not None:
                existing = store.find_by_client_id(connection, sender, client_id)
                if existing is not None:
                    return message_json.messages_json(connection, [existing]), False
            now = time.time()
            messages = []
            if text:
                messages.append(
                    message_json.insert_message(
                        connection,
                        channel=channel,
                        sender=sender,
                        content=text,
                        content_html=html,
                        ts=now,
                        reply_to=reply_to,
                        client_id=client_id,
                        mentions=mentioned,
                    )
                )
            for index, file in enumerate(files):
                messages.append(
                    message_json.insert_message(
                        connection,
                        channel=channel,
                        sender=sender,
                        content="",
                        content_html="",
                        ts=now,
                        reply_to=reply_to,
                        client_id=client_id if not text and index == 0 else None,
                        filename=file.stored,
                    )
                )
            if participants := dm_participants(channel):
                store.remember_dm(connection, channel, participants)
            store.advance_watermark(connection, sender, channel, now)
            if upload is not None:
                upload.keep(runtime.data_root.uploads_dir)
            for message in messages:
                changes.record("message.created", Audience(channel=channel), message)
            return messages, True

        messages, created = await runtime.stores.messages.write(write)
        if not created and upload is not None:
            upload.discard()
    except BaseException:
        if upload is not None:
            upload.discard()
        raise
    return messages, created


async def _own_message(runtime: Runtime, username: str, message_id: int) -> Any:
    row = await runtime.stores.messages.reading(
        lambda connection: store.get_message(connection, message_id)
    )
    if row is None or not _readable(runtime, username, row):
        raise MESSAGE_NOT_FOUND
    if row["sender"] != username:
        raise ApiError(403, "forbidden", "You can only change your own messages.")
    return row


def _readable(runtime: Runtime, username: str, row: Any) -> bool:
    return realtime_of(runtime).access.can_read(username, row["channel"], row["ts"])


async def edit_message(
    runtime: Runtime, editor: str, message_id: int, content: str
) -> dict[str, Any]:
    row = await _own_message(runtime, editor, message_id)
    if row["deleted"] or row["filename"]:
        raise ApiError(409, "not_editable", "This message cannot be edited.")
    text = _checked_text(content)
    html = await asyncio.to_thread(render, text)
    mentioned = await resolve_mentions(runtime, row["channel"], text)

    def write(changes: Changes) -> dict[str, Any]:
        store.edit_message(changes.connection, message_id, text, html, time.time())
        store.set_mentions(changes.connection, message_id, mentioned)
        updated = store.get_message(changes.connection, message_id)
        assert updated is not None
        (message,) = message_json.messages_json(changes.connection, [updated])
        changes.record("message.updated", Audience(channel=row["channel"]), message)
        return message

    return await runtime.stores.messages.write(write)


async def delete_message(runtime: Runtime, deleter: str, message_id: int) -> None:
    row = await _own_message(runtime, deleter, message_id)

    def write(changes: Changes) -> None:
        now = time.time()
        store.mark_deleted(changes.connection, message_id, now)
        changes.record(
            "message.deleted",
            Audience(channel=row["channel"]),
            {"id": message_id, "channel": row["channel"], "deleted_ts": now},
        )

    await runtime.stores.messages.write(write)


async def readable_file(runtime: Runtime, username: str, name: str) -> Path:
    """An upload the user may fetch: some live message in a channel they read names it."""
    if "/" in name or name.startswith(".") or not name:
        raise FILE_NOT_FOUND
    rows = await runtime.stores.messages.reading(
        lambda connection: store.messages_with_file(connection, name)
    )
    if not any(_readable(runtime, username, row) for row in rows):
        raise FILE_NOT_FOUND
    path = runtime.data_root.uploads_dir / name
    if not path.is_file():
        raise ApiError(404, "gone", "This file has been removed.")
    return path


async def message_by_id(runtime: Runtime, username: str, message_id: int) -> dict[str, Any]:

    def read(connection: sqlite3.Connection) -> dict[str, Any]:
        row = store.get_message(connection, message_id)
        if row is None or not _readable(runtime, username, row):
            raise MESSAGE_NOT_FOUND
        (message,) = message_json.messages_json(connection, [row])
        return message

    return await runtime.stores.messages.reading(read)


async def unread_mentions(runtime: Runtime, username: str) -> list[dict[str, Any]]:
    """Messages waiting for the user that name them (or everyone), newest first."""

    def read(connection: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = store.unread_mentions(connection, username, EVERYONE)
        readable = [row for row in rows if _readable(runtime, username, row)]
        return message_json.messages_json(connection, readable)

    return await runtime.stores.messages.reading(read)


async def direct_messages(runtime: Runtime, username: str) -> list[dict[str, Any]]:
    """The user's DMs: the other people in each, unread count, newest activity first."""

    def read(connection: sqlite3.Connection) -> list[dict[str, Any]]:
        return [
            {
                "channel": channel,
                "users": [name for name in dm_participants(channel) if name != username],
                "unread": store.unread_count(connection, username, channel),
                "last_ts": last,
            }
            for channel, last in store.dms_of(connection, username)
        ]

    return await runtime.stores.messages.reading(read)


async def hide_dm(runtime: Runtime, username: str, channel: str) -> None:
    """Hide a DM from the user's list until someone writes in it again."""
    if not channel.startswith(DM_PREFIX):
        raise ApiError(400, "invalid", "Only direct messages can be hidden.")
    await require_readable(runtime, username, channel)

    def write(changes: Changes) -> None:
        store.hide_dm(changes.connection, username, channel, time.time())
        changes.record("dm.hidden", Audience(username=username), {"channel": channel})

    await runtime.stores.messages.write(write)


async def history(
    runtime: Runtime, username: str, channel: str, *, before: int | None, limit: int
) -> Fragment | list[dict[str, Any]]:
    """A page of live messages, oldest first; page back with the first id as ``before``.

    The newest page, read on every visit to a channel, comes from messages kept encoded
    (``message_cache.py``).
    """
    await require_readable(runtime, username, channel)
    since = realtime_of(runtime).access.history_start(username, channel)
    page_size = max(1, min(limit, MAX_PAGE_SIZE))
    if before is not None:
        # Scrolling back reads each older page about once: keeping it would only cost.
        return await runtime.stores.messages.reading(
            lambda connection: message_json.older_page(
                connection, channel, before_id=before, limit=page_size, since=since
            )
        )
    cache = encoded_messages_of(runtime)
    page, fresh = await runtime.stores.messages.reading(
        lambda connection: message_json.newest_page_encoded(
            connection, channel, limit=page_size, since=since, cache=cache
        )
    )
    cache.keep(fresh)
    return encoded_array(page)
