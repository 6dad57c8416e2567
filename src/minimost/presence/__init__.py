"""Who is online and who is typing: live states from open tabs, reset at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..realtime import realtime_of
from ..runtime import Runtime
from . import store
from .live import PresenceTracker
from .routes import blueprint
from .typing_notices import TypingNotices


def register(app: Quart, runtime: Runtime) -> None:
    app.config.setdefault("PRESENCE_GRACE_SECONDS", 5.0)
    realtime = realtime_of(runtime)
    tracker = PresenceTracker(
        runtime, realtime.signal, grace_seconds=float(app.config["PRESENCE_GRACE_SECONDS"])
    )
    runtime.services["presence"] = tracker
    runtime.services["typing"] = TypingNotices(realtime.access, realtime.signal)
    app.register_blueprint(blueprint)

    @asynccontextmanager
    async def everyone_offline_at_start() -> AsyncIterator[None]:
        """Nobody is connected to a server that just started, whatever the table says."""
        async with runtime.stores.presence.transaction() as connection:
            await store.mark_everyone_offline(connection)
        try:
            yield
        finally:
            tracker.close()

    runtime.while_serving("presence reset", everyone_offline_at_start)


FEATURE = Feature("presence", register)
