"""The seam between publishers and the hub: in-process now, a shared bus later.

Actions publish through a broker; the hub only ever receives from one. A Redis
broker implements the same methods so several workers share fan-out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from .events import Event, Signal

# The hub's intake: items in order; the events of one commit arrive together.
Deliver = Callable[[Sequence[Event | Signal]], None]


class Broker(Protocol):
    def attach(self, deliver: Deliver) -> None: ...

    async def publish(self, item: Event | Signal) -> None: ...

    async def publish_all(self, items: Sequence[Event]) -> None:
        """The events of one commit, in order, delivered as one batch."""
        ...

    async def close(self) -> None: ...


class LocalBroker:
    """Hands each published item straight to this process's hub."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    def attach(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, item: Event | Signal) -> None:
        if self._deliver is not None:
            self._deliver((item,))

    async def publish_all(self, items: Sequence[Event]) -> None:
        if self._deliver is not None and items:
            self._deliver(items)

    async def close(self) -> None:
        self._deliver = None
