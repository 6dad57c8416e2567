"""Calls and screen shares: lifecycle on the server, media peer to peer between browsers.

Live calls cannot survive a restart, so startup ends them (without notices). While
serving, ring timeouts and the stale-heartbeat sweep run as tasks on the app's loop.
With ``calls_enabled`` false there are no call routes, and call frames are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from quart import Quart

from ..db import Changes
from ..db.database import fetch_all
from ..features import Feature
from ..realtime import Connection, FrameHandler, realtime_of
from ..runtime import Runtime
from ..settings import Settings
from . import store
from .actions import CallService
from .routes import blueprint

# A signalling relay: the sender and its frame in, None or why it was refused out.
Relay = Callable[[str, dict[str, Any]], Awaitable[str | None]]
SIGNAL_FRAMES = ("call.signal", "share.signal")
CALLS_OFF = "Calls are turned off on this server."


def register(app: Quart, runtime: Runtime) -> None:
    service = CallService(
        runtime,
        ring_seconds=runtime.boot.call_ring_seconds,
        stale_seconds=runtime.boot.call_stale_seconds,
    )
    runtime.services.calls = service
    app.register_blueprint(blueprint)
    _relay_signals(runtime, service)

    @asynccontextmanager
    async def serving() -> AsyncIterator[CallService]:
        """End calls and shares left live by the previous process (no notices), then time."""
        database = runtime.stores.presence
        now = time.time()

        def end_all(changes: Changes) -> None:
            store.end_live_calls(changes.connection, now)
            store.end_active_screenshares(changes.connection, now)
            store.delete_all_signals(changes.connection)

        await database.write(end_all)
        async with database.maintenance() as connection:
            await fetch_all(connection, "PRAGMA incremental_vacuum")
        sweeps = asyncio.create_task(service.run_sweeps())
        try:
            yield service
        finally:
            sweeps.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeps
            await service.close()

    runtime.while_serving("calls", serving)


def _relay_signals(runtime: Runtime, service: CallService) -> None:
    """Offers, answers and ICE candidates arrive as frames on the sender's websocket."""

    def relaying(kind: str, relay: Relay) -> FrameHandler:
        async def relay_frame(connection: Connection, frame: dict[str, Any]) -> None:
            refused = await relay(connection.username, frame)
            if refused is not None:
                connection.refuse(refused, about=kind)

        return relay_frame

    realtime = realtime_of(runtime)
    realtime.on_frame("call.signal", relaying("call.signal", service.relay))
    realtime.on_frame("share.signal", relaying("share.signal", service.relay_share))


def calls_enabled(settings: Settings) -> bool:
    return settings.calls_enabled


def refuse_signals(app: Quart, runtime: Runtime) -> None:
    """With calls off, a call frame gets an error saying so, not "unknown type"."""

    def refusing(kind: str) -> FrameHandler:
        async def refuse(connection: Connection, _frame: dict[str, Any]) -> None:
            connection.refuse(CALLS_OFF, about=kind)

        return refuse

    realtime = realtime_of(runtime)
    for kind in SIGNAL_FRAMES:
        realtime.on_frame(kind, refusing(kind))


FEATURE = Feature("calls", register, enabled=calls_enabled, when_off=refuse_signals)
