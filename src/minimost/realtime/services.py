"""The realtime pieces one app shares: access rules, the hub and the broker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..runtime import Runtime, need
from .access import Access
from .broker import Broker
from .events import Signal
from .hub import Connection, Hub

if TYPE_CHECKING:
    from .outbox import Relay


# A client frame's handler: the sending connection and the decoded JSON object.
FrameHandler = Callable[[Connection, dict[str, Any]], Awaitable[None]]
# Told of a tab's socket opening or closing: its user and its connection id.
ConnectionHook = Callable[[str, int], Awaitable[None]]


@dataclass
class Realtime:
    access: Access
    hub: Hub
    broker: Broker
    relay: Relay
    frame_handlers: dict[str, FrameHandler] = field(default_factory=dict)
    unmetered_frames: set[str] = field(default_factory=set)
    connect_hooks: list[ConnectionHook] = field(default_factory=list)
    disconnect_hooks: list[ConnectionHook] = field(default_factory=list)

    def on_frame(self, kind: str, handler: FrameHandler, *, metered: bool = True) -> None:
        """Let a feature answer one type of client frame.

        ``metered=False`` keeps the frame out of the per-connection frame budget, for
        frames that carry their own limit (sends are charged to the send rate limit).
        """
        self.frame_handlers[kind] = handler
        if not metered:
            self.unmetered_frames.add(kind)

    def on_connect(self, hook: ConnectionHook) -> None:
        """Be told of every accepted ``/ws`` connection before its ``hello`` is sent."""
        self.connect_hooks.append(hook)

    def on_disconnect(self, hook: ConnectionHook) -> None:
        """Be told when a connection that was announced to ``on_connect`` hooks ends."""
        self.disconnect_hooks.append(hook)

    async def connected(self, connection: Connection) -> None:
        for hook in self.connect_hooks:
            await hook(connection.username, connection.id)

    async def disconnected(self, connection: Connection) -> None:
        for hook in self.disconnect_hooks:
            await hook(connection.username, connection.id)

    async def signal(self, signal: Signal) -> None:
        """Send an ephemeral notice (typing, presence) to whoever may see it, live only."""
        await self.broker.publish(signal)


def realtime_of(runtime: Runtime) -> Realtime:
    return need(runtime.services.realtime, "realtime")
