"""Pins: any reader of a channel may pin or unpin any message in it, up to 50."""

from __future__ import annotations

import time
from typing import Any

from ...api import ApiError
from ...db import Changes
from ...realtime import Audience, realtime_of
from ...runtime import Runtime
from ..channels.permissions import require_readable
from . import store

MAX_PINS = 50
PREVIEW_CHARS = 300
NOT_FOUND = ApiError(404, "not_found", "No such message.")


async def pins_of(runtime: Runtime, username: str, channel: str) -> list[dict[str, Any]]:
    await require_readable(runtime, username, channel)
    listed = await runtime.stores.messages.reading(
        lambda connection: store.pinned(
            connection, channel, preview_chars=PREVIEW_CHARS, limit=MAX_PINS
        )
    )
    access = realtime_of(runtime).access
    return [pin for pin in listed if access.can_read(username, channel, pin["ts"])]


async def toggle_pin(runtime: Runtime, username: str, message_id: int) -> list[dict[str, Any]]:
    """Pin or unpin; answer the channel's new list (everyone else gets it as an event)."""
    row = await runtime.stores.messages.reading(
        lambda connection: store.get_message(connection, message_id)
    )
    access = realtime_of(runtime).access
    if row is None or row["deleted"] or not access.can_read(username, row["channel"], row["ts"]):
        raise NOT_FOUND
    channel = row["channel"]

    def write(changes: Changes) -> None:
        now_pinned = not store.is_pinned(changes.connection, message_id)
        if not now_pinned:
            store.unpin(changes.connection, message_id)
        else:
            if store.live_pin_count(changes.connection, channel) >= MAX_PINS:
                raise ApiError(
                    409,
                    "pin_limit",
                    f"This channel has reached its pin limit ({MAX_PINS}) — unpin one first.",
                )
            store.pin(changes.connection, message_id, channel, username, time.time())
        # Only what changed: a late joiner must not receive previews of older messages,
        # so each client asks for the list, which is filtered for it.
        changes.record(
            "pins.updated",
            Audience(channel=channel),
            {
                "channel": channel,
                "message_id": message_id,
                "pinned": now_pinned,
                "by": username,
            },
        )

    await runtime.stores.messages.write(write)
    return await pins_of(runtime, username, channel)
