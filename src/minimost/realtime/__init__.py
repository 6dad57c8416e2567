"""The live layer: the event log, the hub of open websockets, and ``/ws``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..identity import accounts_of
from ..runtime import Runtime
from .access import Access
from .broker import LocalBroker
from .changes import Changes, log_event
from .compression import decline_websocket_compression
from .events import Audience, Event, Signal
from .hub import Connection, Hub
from .outbox import Relay
from .routes import blueprint
from .services import FrameHandler, Realtime, realtime_of

__all__ = [
    "FEATURE",
    "Audience",
    "Changes",
    "Connection",
    "Event",
    "FrameHandler",
    "Realtime",
    "Signal",
    "realtime_of",
]

CLOSE_GOING_AWAY = 1001
# Python collects its youngest generation every 700 net allocations by default. With a
# thousand sockets open the heap holds ~300,000 tracked objects, and each full
# collection that this pace eventually triggers paused delivery for 68-223 ms (the
# fan-out's p99). Collecting every 20,000 lets each event's short-lived objects die by
# reference count first, so far fewer survive to force a full collection (the older
# generations are then collected every 20 younger collections rather than 10).
YOUNG_COLLECTION_EVERY = 20_000


def register(app: Quart, runtime: Runtime) -> None:
    decline_websocket_compression()
    access = Access(runtime.settings.channels)
    hub = Hub(
        access,
        queue_size=runtime.boot.ws_queue_size,
        max_per_user=runtime.settings.max_event_streams_per_user,
    )
    broker = LocalBroker()
    broker.attach(hub.deliver)
    stores = runtime.stores
    stores.messages.recorder = log_event
    stores.messages.on_commit = broker.publish_all
    relay = Relay(stores.messages, {"auth": stores.auth, "presence": stores.presence})
    relay.attach()
    runtime.services.realtime = Realtime(access, hub, broker, relay)
    app.register_blueprint(blueprint)

    async def close_ended_sessions(username: str, sids: list[str]) -> None:
        hub.close_sessions(username, sids)

    accounts_of(runtime).on_sessions_ended(close_ended_sessions)

    @asynccontextmanager
    async def serving() -> AsyncIterator[Hub]:
        await relay.relay_all()
        async with runtime.stores.presence.read() as connection:
            await access.load_private_members(connection)
        heartbeat = asyncio.create_task(_heartbeat(hub, runtime.boot.ws_heartbeat_seconds))
        thresholds = gc.get_threshold()
        gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 20)
        try:
            yield hub
        finally:
            gc.set_threshold(*thresholds)
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            hub.close_all(CLOSE_GOING_AWAY, "server restarting")
            await broker.close()

    runtime.while_serving("realtime", serving)


async def _heartbeat(hub: Hub, interval: float) -> None:
    """Hypercorn's own pings never time a peer out, so the app pings and counts pongs.

    Each connection is pinged once per ``interval``, but not all at the same moment: a
    thousand pongs arriving together kept the loop busy for tens of milliseconds, and
    any message sent meanwhile waited. A long interval is split into one-second parts.
    """
    parts = max(1, int(interval))
    part = 0
    while True:
        await asyncio.sleep(interval / parts)
        hub.beat(part, parts)
        part = (part + 1) % parts


FEATURE = Feature("realtime", register)
