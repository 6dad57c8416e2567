"""The realtime pieces one app shares: access rules, the hub and the broker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..runtime import Runtime
from .access import Access
from .broker import Broker
from .events import Signal
from .hub import Hub

if TYPE_CHECKING:
    from .changes import GroupCommit


@dataclass
class Realtime:
    access: Access
    hub: Hub
    broker: Broker
    committer: GroupCommit

    async def signal(self, signal: Signal) -> None:
        """Send an ephemeral notice (typing, presence) to whoever may see it, live only."""
        await self.broker.publish(signal)


def realtime_of(runtime: Runtime) -> Realtime:
    realtime = runtime.services["realtime"]
    assert isinstance(realtime, Realtime)
    return realtime
