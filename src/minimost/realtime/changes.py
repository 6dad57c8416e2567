"""Writing a change together with its events, then publishing them in commit order.

The events are appended in the same transaction as the change, so a client that
resumes from the log sees exactly what was committed. They are published while the
writer is still held: publication order is then commit order, and a client that
saw event n has seen every event before it.

Hot writes (sending a message) go through ``committed`` instead: a plain function run
on the writer's thread, batched with the other writes waiting at that moment into one
transaction and one commit (group commit). Each keeps its own outcome: one that
fails is rolled back to its savepoint and raises for its caller alone. When the
database refuses the batch itself (disk full, locked past the busy timeout), each
caller gets a 503 ``ApiError`` and the batch is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiosqlite

from ..db import Database
from ..db.database import on_connection_thread
from ..db.unavailable import storage_refusal
from ..runtime import Runtime
from . import store
from .broker import Broker
from .events import Audience, Event
from .services import realtime_of

log = logging.getLogger(__name__)

T = TypeVar("T")


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
        await realtime_of(runtime).broker.publish_all(changes.events)


@dataclass
class ChangesNow:
    """``Changes`` for a function already running on the writer's thread."""

    connection: sqlite3.Connection
    events: list[Event] = field(default_factory=list)

    def record(self, name: str, audience: Audience, data: dict[str, Any]) -> Event:
        event = store.append_now(self.connection, name, audience, data, time.time())
        self.events.append(event)
        return event


Work = Callable[[ChangesNow], Any]


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    events: list[Event] = field(default_factory=list)


def _run_batch(connection: sqlite3.Connection, batch: list[Work]) -> list[_Outcome]:
    """One transaction for the whole batch, a savepoint for each piece of work."""
    outcomes = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        for work in batch:
            connection.execute("SAVEPOINT work")
            changes = ChangesNow(connection)
            try:
                value = work(changes)
            except Exception as error:
                if not connection.in_transaction:
                    # SQLite gave up the whole transaction (disk full, I/O error): the
                    # batch fails as one, with the reason it gave.
                    raise
                connection.execute("ROLLBACK TO work")
                connection.execute("RELEASE work")
                outcomes.append(_Outcome(error=error))
            else:
                connection.execute("RELEASE work")
                outcomes.append(_Outcome(value=value, events=changes.events))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return outcomes


class GroupCommit:
    """Queues writes and commits whatever is waiting together, one batch at a time."""

    def __init__(self, database: Database, broker: Broker) -> None:
        self.database = database
        self.broker = broker
        self._waiting: list[tuple[Work, asyncio.Future[Any]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[ChangesNow], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting, []
            batch = [work for work, _ in taken]
            try:
                async with self.database.writer() as connection:
                    outcomes = await on_connection_thread(
                        connection, lambda plain, batch=batch: _run_batch(plain, batch)
                    )
                    await self.broker.publish_all(
                        [event for outcome in outcomes for event in outcome.events]
                    )
            except Exception as error:
                outcomes = [_Outcome(error=error) for _ in taken]
            except BaseException:
                for _, future in taken:
                    future.cancel()
                raise
            _report_refused(outcomes)
            for (_, future), outcome in zip(taken, outcomes, strict=True):
                if future.done():
                    continue
                if outcome.error is not None:
                    future.set_exception(storage_refusal(outcome.error) or outcome.error)
                else:
                    future.set_result(outcome.value)


def _report_refused(outcomes: list[_Outcome]) -> None:
    """One log line for the writes of a batch the database refused, however many."""
    refused = [outcome.error for outcome in outcomes if storage_refusal(outcome.error)]
    if refused:
        log.warning(
            "%d of %d writes not saved (answered 503): %s", len(refused), len(outcomes), refused[0]
        )


async def committed(runtime: Runtime, work: Callable[[ChangesNow], T]) -> T:
    """Run ``work`` in a write transaction shared with other waiting writes; return its value.

    Its events reach clients after the commit, in commit order, as with
    ``recorded_changes``; an exception from ``work`` undoes only its own writes.
    """
    return await realtime_of(runtime).committer.run(work)
