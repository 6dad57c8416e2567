"""Writing a change together with its events, then publishing them in commit order.

The events are appended in the same transaction as the change, so a client that
resumes from the log sees exactly what was committed. They are published while the
writer is still held: publication order is then commit order, and a client that
saw event n has seen every event before it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from ..runtime import Runtime
from . import store
from .events import Audience, Event
from .services import realtime_of


@dataclass
class Changes:
    connection: aiosqlite.Connection
    events: list[Event] = field(default_factory=list)

    async def record(self, name: str, audience: Audience, data: dict[str, Any]) -> Event:
        event = await store.append(self.connection, name, audience, data, time.time())
        self.events.append(event)
        return event


@asynccontextmanager
async def recorded_changes(runtime: Runtime) -> AsyncIterator[Changes]:
    """A write transaction on messages.db whose events reach clients after it commits."""
    async with runtime.stores.messages.writer() as connection:
        changes = Changes(connection)
        try:
            # Inside the try: a cancelled BEGIN has still begun the transaction.
            await connection.execute("BEGIN IMMEDIATE")
            yield changes
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()
        broker = realtime_of(runtime).broker
        for event in changes.events:
            await broker.publish(event)
