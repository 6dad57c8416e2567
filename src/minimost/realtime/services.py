"""The realtime pieces one app shares: access rules, the hub and the broker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..runtime import Runtime
from .access import Access
from .broker import Broker
from .events import Signal
from .hub import Connection, Hub

if TYPE_CHECKING:
    from .outbox import Relay


# A client frame's handler: the sending connection and the decoded JSON object.
FrameHandler = Callable[[Connection, dict[str, Any]], Awaitable[None]]


@dataclass
class Realtime:
    access: Access
    hub: Hub
    broker: Broker
    relay: Relay
    frame_handlers: dict[str, FrameHandler] = field(default_factory=dict)
    unmetered_frames: set[str] = field(default_factory=set)

    def on_frame(self, kind: str, handler: FrameHandler, *, metered: bool = True) -> None:
        """Let a feature answer one type of client frame.

        ``metered=False`` keeps the frame out of the per-connection frame budget, for
        frames that carry their own limit (sends are charged to the send rate limit).
        """
        self.frame_handlers[kind] = handler
        if not metered:
            self.unmetered_frames.add(kind)

    async def signal(self, signal: Signal) -> None:
        """Send an ephemeral notice (typing, presence) to whoever may see it, live only."""
        await self.broker.publish(signal)


def realtime_of(runtime: Runtime) -> Realtime:
    realtime = runtime.services["realtime"]
    assert isinstance(realtime, Realtime)
    return realtime
