"""A bounded in-memory cache with expiry that also shares one fetch between callers.

Previews are derived data, cheap to fetch again and stale after a while, so they live in
memory per process rather than in a table: nothing to migrate, nothing to clean up, and
no writes queued behind chat messages on the single database writer.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Least recently used entries go first once ``max_weight`` is exceeded.

    A ``None`` value (nothing to show) is kept for ``negative_ttl``, anything else for
    ``ttl`` seconds.
    """

    def __init__(
        self,
        *,
        max_weight: int,
        ttl: float,
        negative_ttl: float,
        weigh: Callable[[V | None], int] = lambda _value: 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_weight = max_weight
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.weigh = weigh
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, int, V | None]] = OrderedDict()
        self._weight = 0
        self._inflight: dict[str, asyncio.Task[V | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str) -> tuple[bool, V | None]:
        """(found, value) for a live entry."""
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        expires, _weight, value = entry
        if expires <= self.clock():
            self._drop(key)
            return False, None
        self._entries.move_to_end(key)
        return True, value

    def store(self, key: str, value: V | None) -> None:
        weight = self.weigh(value)
        if key in self._entries:
            self._drop(key)
        if weight > self.max_weight:
            return
        lifetime = self.ttl if value is not None else self.negative_ttl
        self._entries[key] = (self.clock() + lifetime, weight, value)
        self._weight += weight
        while self._weight > self.max_weight:
            self._drop(next(iter(self._entries)))

    async def get(self, key: str, produce: Callable[[], Awaitable[V | None]]) -> V | None:
        """The cached value, or the result of one ``produce()`` shared by all who ask now.

        A caller that goes away does not cancel the fetch the others are waiting for.
        """
        found, value = self.lookup(key)
        if found:
            return value
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._produce(key, produce))
            self._inflight[key] = task
        return await asyncio.shield(task)

    async def _produce(self, key: str, produce: Callable[[], Awaitable[V | None]]) -> V | None:
        try:
            value = await produce()
            self.store(key, value)
            return value
        finally:
            self._inflight.pop(key, None)

    async def close(self) -> None:
        """Cancel fetches still running (at shutdown)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _drop(self, key: str) -> None:
        _expires, weight, _value = self._entries.pop(key)
        self._weight -= weight
