"""Read positions: what a user has read, unread counts, and read receipts for others."""

from __future__ import annotations

from typing import Any

from ...db import Changes
from ...realtime import Audience
from ...runtime import Runtime
from ..messages import store
from .permissions import require_readable


async def mark_read(runtime: Runtime, username: str, channel: str) -> float | None:
    """Move the user's position to the channel's newest message; others see the receipt."""
    await require_readable(runtime, username, channel)

    def write(changes: Changes) -> float | None:
        newest = store.latest_ts(changes.connection, channel)
        if newest is None:
            return None
        before = store.read_positions(changes.connection, channel).get(username)
        store.advance_watermark(changes.connection, username, channel, newest)
        if before is not None and before >= newest:
            return before
        changes.record(
            "read.updated",
            Audience(channel=channel),
            {"channel": channel, "username": username, "last_read_ts": newest},
        )
        return newest

    return await runtime.stores.messages.write(write)


async def read_state(runtime: Runtime, username: str, channel: str) -> dict[str, Any]:
    await require_readable(runtime, username, channel)
    receipts = await runtime.stores.messages.reading(
        lambda connection: store.read_positions(connection, channel)
    )
    return {"last_read_ts": receipts.get(username), "receipts": receipts}


async def unread_counts(runtime: Runtime, username: str) -> dict[str, int]:
    """Unread messages in every public channel (zero included)."""
    channels = runtime.settings.channels
    return await runtime.stores.messages.reading(
        lambda connection: store.unread_counts(connection, username, channels)
    )
