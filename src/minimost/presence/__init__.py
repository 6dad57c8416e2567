"""Who is online and who is typing: live states from open tabs, reset at start."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from quart import Quart

from ..features import Feature
from ..identity import accounts_of
from ..realtime import Connection, realtime_of
from ..runtime import Runtime
from . import store
from .live import PresenceTracker
from .routes import blueprint
from .typing_notices import TypingNotices


def register(app: Quart, runtime: Runtime) -> None:
    realtime = realtime_of(runtime)
    tracker = PresenceTracker(
        runtime, realtime.signal, grace_seconds=runtime.boot.presence_grace_seconds
    )
    typing = TypingNotices(realtime.access, realtime.signal)
    runtime.services.presence = tracker
    runtime.services.typing = typing
    app.register_blueprint(blueprint)

    async def reported_state(connection: Connection, frame: dict[str, Any]) -> None:
        await tracker.reported(connection.username, connection.id, frame.get("state"))

    async def started_typing(connection: Connection, frame: dict[str, Any]) -> None:
        if not await typing.typing(connection.username, frame.get("channel")):
            connection.refuse("You cannot type there.")

    realtime.on_frame("presence", reported_state)
    realtime.on_frame("typing", started_typing)
    realtime.on_connect(tracker.connected)
    realtime.on_disconnect(tracker.disconnected)
    # A user who signed out everywhere or left is offline at once, without the grace.
    accounts = accounts_of(runtime)

    async def signed_out(username: str) -> None:
        now = time.time()
        await runtime.stores.presence.write(
            lambda changes: store.set_state(changes.connection, username, "offline", now)
        )
        await tracker.forget(username)

    async def removed(username: str) -> None:
        """Out of presence, typing, private channels and calls before its sessions end."""
        await runtime.stores.presence.write(
            lambda changes: store.forget_user(changes.connection, username)
        )
        await tracker.forget(username)

    accounts.on_signed_out(signed_out)
    accounts.on_removed(removed)

    @asynccontextmanager
    async def everyone_offline_at_start() -> AsyncIterator[None]:
        """Nobody is connected to a server that just started, whatever the table says."""
        await runtime.stores.presence.write(
            lambda changes: store.mark_everyone_offline(changes.connection)
        )
        try:
            yield
        finally:
            tracker.close()

    runtime.while_serving("presence reset", everyone_offline_at_start)


FEATURE = Feature("presence", register)
