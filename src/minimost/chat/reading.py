"""Read positions: what a user has read, unread counts, and read receipts for others."""

from __future__ import annotations

from typing import Any

from ..realtime import Audience, recorded_changes
from ..runtime import Runtime
from . import store
from .channels import require_readable


async def mark_read(runtime: Runtime, username: str, channel: str) -> float | None:
    """Move the user's position to the channel's newest message; others see the receipt."""
    await require_readable(runtime, username, channel)
    async with recorded_changes(runtime) as changes:
        newest = await store.latest_ts(changes.connection, channel)
        if newest is None:
            return None
        before = (await store.read_positions(changes.connection, channel)).get(username)
        await store.advance_watermark(changes.connection, username, channel, newest)
        if before is not None and before >= newest:
            return before
        await changes.record(
            "read.updated",
            Audience(channel=channel),
            {"channel": channel, "username": username, "last_read_ts": newest},
        )
    return newest


async def read_state(runtime: Runtime, username: str, channel: str) -> dict[str, Any]:
    await require_readable(runtime, username, channel)
    async with runtime.stores.messages.read() as connection:
        receipts = await store.read_positions(connection, channel)
    return {"last_read_ts": receipts.get(username), "receipts": receipts}


async def unread_counts(runtime: Runtime, username: str) -> dict[str, int]:
    """Unread messages in every public channel (zero included)."""
    channels = runtime.settings.channels
    return await runtime.stores.messages.reading(
        lambda connection: store.unread_counts_now(connection, username, channels)
    )
