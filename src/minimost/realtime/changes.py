"""Where events go: into the log with their change, to clients after the commit.

Every write to messages.db goes through ``Database.write``; an event recorded there is
appended to the log in the same transaction, and the batch's events are published
while the writer is still held, so publication order is commit order and a client that
saw event n has seen every event before it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from ..db import Changes
from ..db.database import on_connection_thread
from ..runtime import Runtime
from . import store
from .events import Audience, Event
from .services import realtime_of

__all__ = ["Changes", "log_event"]


def log_event(
    connection: sqlite3.Connection, name: str, audience: Audience, data: dict[str, Any]
) -> Event:
    """The messages.db recorder: append the event to the log, stamped now."""
    return store.append(connection, name, audience, data, time.time())


@dataclass
class AsyncChanges:
    connection: aiosqlite.Connection
    events: list[Event] = field(default_factory=list)

    async def record(self, name: str, audience: Audience, data: dict[str, Any]) -> Event:
        event = await on_connection_thread(
            self.connection, lambda plain: log_event(plain, name, audience, data)
        )
        self.events.append(event)
        return event


@asynccontextmanager
async def recorded_changes(runtime: Runtime) -> AsyncIterator[AsyncChanges]:
    """A write transaction on messages.db whose events reach clients after it commits."""
    async with runtime.stores.messages.maintenance() as connection:
        changes = AsyncChanges(connection)
        try:
            await connection.execute("BEGIN IMMEDIATE")
            yield changes
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()
        await realtime_of(runtime).broker.publish_all(changes.events)
