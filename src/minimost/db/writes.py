"""The one way a change reaches a database: a plain function run on the writer's thread.

``Database.write(work)`` queues ``work(changes)`` and commits whatever is waiting at
that moment together: one transaction and one sync for the batch (group commit), a
savepoint for each piece of work. Each keeps its own outcome: one that fails is rolled
back to its savepoint and raises for its caller alone. When the database refuses the
batch itself (disk full, locked past the busy timeout), each caller gets a 503
``ApiError`` and the batch is logged once.

``changes.record(name, audience, data)`` writes the change's event in the same
transaction, through the database's recorder: the event log itself in messages.db, an
outbox in the other databases (see ``minimost.realtime.outbox``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import aiosqlite

from .unavailable import storage_refusal

if TYPE_CHECKING:
    from .database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")


class Recorder(Protocol):
    """Writes one event row with the change; answers what ``Changes.record`` returns."""

    def __call__(self, connection: sqlite3.Connection, name: str, audience: Any, data: Any) -> Any:
        """Record the event on ``connection`` inside the open transaction."""


@dataclass
class Changes:
    """A piece of work's connection, and the events it recorded with its change."""

    connection: sqlite3.Connection
    recorder: Recorder | None = None
    recorded: list[Any] = field(default_factory=list)

    def record(self, name: str, audience: Any, data: dict[str, Any]) -> Any:
        if self.recorder is None:
            raise RuntimeError("this database keeps no events")
        recorded = self.recorder(self.connection, name, audience, data)
        self.recorded.append(recorded)
        return recorded


Work = Callable[[Changes], Any]
Then = Callable[[Any], object]
# Called with everything a batch recorded, in commit order, while the writer is still
# held: publication order is then commit order.
OnCommit = Callable[[list[Any]], Awaitable[None]]


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    recorded: list[Any] = field(default_factory=list)


def _run_batch(
    connection: sqlite3.Connection, batch: list[Work], recorder: Recorder | None
) -> list[_Outcome]:
    """One transaction for the whole batch, a savepoint for each piece of work."""
    outcomes = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        for work in batch:
            connection.execute("SAVEPOINT work")
            changes = Changes(connection, recorder)
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
                outcomes.append(_Outcome(value=value, recorded=changes.recorded))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return outcomes


class GroupCommit:
    """Queues writes and commits whatever is waiting together, one batch at a time."""

    def __init__(
        self,
        database: Database,
        held_writer: Callable[[], AbstractAsyncContextManager[aiosqlite.Connection]],
    ) -> None:
        self.database = database
        self._held_writer = held_writer
        self._waiting: list[tuple[Work, Then | None, asyncio.Future[Any]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def run(
        self, work: Callable[[Changes], T], then: Callable[[T], object] | None = None
    ) -> tuple[T, list[Any]]:
        """Commit ``work`` with the writes waiting now; its value and what it recorded.

        ``then(value)`` runs once the batch has committed, before its events are handed
        on and before any caller of the batch resumes.
        """
        future: asyncio.Future[tuple[T, list[Any]]] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, then, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        from .database import on_connection_thread

        database = self.database
        while self._waiting:
            taken, self._waiting = self._waiting, []
            batch = [work for work, _, _ in taken]
            recorder = database.recorder
            try:
                async with self._held_writer() as connection:
                    outcomes = await on_connection_thread(
                        connection,
                        lambda plain, batch=batch, recorder=recorder: _run_batch(
                            plain, batch, recorder
                        ),
                    )
                    _follow(taken, outcomes)
                    if database.on_commit is not None:
                        await database.on_commit(
                            [item for outcome in outcomes for item in outcome.recorded]
                        )
            except Exception as error:
                outcomes = [_Outcome(error=error) for _ in taken]
            except BaseException:
                for _, _, future in taken:
                    future.cancel()
                raise
            _report_refused(outcomes)
            for (_, _, future), outcome in zip(taken, outcomes, strict=True):
                if future.done():
                    continue
                if outcome.error is not None:
                    future.set_exception(storage_refusal(outcome.error) or outcome.error)
                else:
                    future.set_result((outcome.value, outcome.recorded))


def _follow(taken: list[tuple[Work, Then | None, Any]], outcomes: list[_Outcome]) -> None:
    """Each committed work's ``then``; one that fails is logged and spares the others."""
    for (_, then, _), outcome in zip(taken, outcomes, strict=True):
        if then is None or outcome.error is not None:
            continue
        try:
            then(outcome.value)
        except Exception:
            log.exception("a step after a committed write failed")


def _report_refused(outcomes: list[_Outcome]) -> None:
    """One log line for the writes of a batch the database refused, however many."""
    refused = [outcome.error for outcome in outcomes if storage_refusal(outcome.error)]
    if refused:
        log.warning(
            "%d of %d writes not saved (answered 503): %s", len(refused), len(outcomes), refused[0]
        )
