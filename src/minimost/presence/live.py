"""Live presence: what a user's open tabs report, an override, and a reconnect grace.

A user is as present as their most present tab (active, then idle, then hidden) and
offline when no tab is connected. Going offline waits a short grace period, so a page
reload does not flash the user offline for everyone else. A manual override (Online,
Away, Offline) is shown instead of the live state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from ..realtime.events import Audience, Signal
from ..runtime import Runtime
from . import store

LIVE_STATES = ("active", "idle", "hidden")
OVERRIDES = {"active", "idle", "offline"}
ONLINE_WINDOW_SECONDS = 3600

Publish = Callable[[Signal], Awaitable[None]]


def presence_signal(username: str, state: str) -> Signal:
    return Signal(Audience.everyone(), {"type": "presence", "username": username, "state": state})


class PresenceTracker:
    def __init__(self, runtime: Runtime, publish: Publish, *, grace_seconds: float) -> None:
        self.runtime = runtime
        self.publish = publish
        self.grace_seconds = grace_seconds
        self._tabs: dict[str, dict[int, str]] = {}
        self._shown: dict[str, str] = {}
        self._overrides: dict[str, str | None] = {}
        self._pending_offline: dict[str, asyncio.TimerHandle] = {}
        self._lock = asyncio.Lock()

    def shown_state(self, username: str) -> str:
        return self._shown.get(username, "offline")

    def shown_states(self) -> dict[str, str]:
        """States of users this process has shown since it started."""
        return dict(self._shown)

    async def connected(self, username: str, connection_id: int, state: str = "active") -> None:
        pending = self._pending_offline.pop(username, None)
        if pending is not None:
            pending.cancel()
        self._tabs.setdefault(username, {})[connection_id] = state
        await self._refresh(username)

    async def reported(self, username: str, connection_id: int, state: str) -> None:
        tabs = self._tabs.get(username)
        if state not in LIVE_STATES or tabs is None or connection_id not in tabs:
            return
        tabs[connection_id] = state
        await self._refresh(username)

    async def disconnected(self, username: str, connection_id: int) -> None:
        tabs = self._tabs.get(username, {})
        tabs.pop(connection_id, None)
        if tabs:
            await self._refresh(username)
            return
        self._tabs.pop(username, None)
        loop = asyncio.get_running_loop()
        self._pending_offline[username] = loop.call_later(
            self.grace_seconds, lambda: asyncio.ensure_future(self._went_away(username))
        )

    async def _went_away(self, username: str) -> None:
        self._pending_offline.pop(username, None)
        if username not in self._tabs:
            await self._refresh(username)

    async def set_override(self, username: str, override: str | None) -> str:
        """Show a chosen state instead of the live one (None = automatic)."""
        if override is not None and override not in OVERRIDES:
            raise ValueError(override)
        self._overrides[username] = override
        now = time.time()
        await self.runtime.stores.presence.write(
            lambda changes: store.set_override(changes.connection, username, override, now)
        )
        return await self._refresh(username)

    async def override_of(self, username: str) -> str | None:
        if username not in self._overrides:
            self._overrides[username] = await self.runtime.stores.presence.reading(
                lambda connection: store.override_of(connection, username)
            )
        return self._overrides[username]

    async def forget(self, username: str) -> None:
        """A signed-out or deleted user is offline at once, without the grace period."""
        pending = self._pending_offline.pop(username, None)
        if pending is not None:
            pending.cancel()
        self._tabs.pop(username, None)
        self._overrides.pop(username, None)
        if self._shown.pop(username, "offline") != "offline":
            await self.publish(presence_signal(username, "offline"))

    async def _refresh(self, username: str) -> str:
        async with self._lock:
            tabs = self._tabs.get(username, {})
            live = next((state for state in LIVE_STATES if state in tabs.values()), "offline")
            override = await self.override_of(username)
            shown = override if override is not None else live
            if self._shown.get(username, "offline") == shown:
                return shown
            self._shown[username] = shown
            now = time.time()
            await self.runtime.stores.presence.write(
                lambda changes: store.record_live_state(changes.connection, username, live, now)
            )
        await self.publish(presence_signal(username, shown))
        return shown

    def close(self) -> None:
        for handle in self._pending_offline.values():
            handle.cancel()
        self._pending_offline.clear()


async def online_users(runtime: Runtime, tracker: PresenceTracker) -> dict[str, str]:
    """Everyone seen within the online window, with the state others should see."""
    cutoff = int(time.time()) - ONLINE_WINDOW_SECONDS
    rows = await runtime.stores.presence.reading(
        lambda connection: store.recently_seen(connection, cutoff)
    )
    states = {username: override or state for username, state, override in rows}
    states.update(tracker.shown_states())
    return {name: state for name, state in sorted(states.items()) if state != "offline"}
