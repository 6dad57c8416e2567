"""``Database.write``: the one door for changes, group-committed with their events."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from minimost.db import Changes, Database, discover

INSERT = "INSERT INTO messages (channel, sender, content, ts) VALUES ('general', 'a', ?, 1.0)"


@pytest.fixture
async def database(tmp_path: Path) -> Any:
    opened = Database(tmp_path / "m.db", discover("minimost.migrations.messages"))
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


def contents(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("SELECT content FROM messages ORDER BY id")]


async def test_a_failing_write_leaves_nothing_and_spares_the_writes_beside_it(
    database: Database,
) -> None:
    def kept(text: str) -> Any:
        return lambda changes: changes.connection.execute(INSERT, (text,)).lastrowid

    def half_then_fail(changes: Changes) -> None:
        changes.connection.execute(INSERT, ("half",))
        raise RuntimeError("boom")

    outcomes = await asyncio.gather(
        database.write(kept("before")),
        database.write(half_then_fail),
        database.write(kept("after")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], RuntimeError)
    assert await database.reading(contents) == ["before", "after"]


async def test_events_recorded_with_a_write_are_seen_after_its_commit_in_order(
    database: Database,
) -> None:
    database.recorder = lambda connection, name, audience, data: (
        connection.execute(
            "INSERT INTO events (ts, type, payload) VALUES (1.0, ?, '{}')", (name,)
        ).lastrowid
    )
    seen: list[list[Any]] = []
    committed_rows: list[list[str]] = []

    async def on_commit(recorded: list[Any]) -> None:
        seen.append(recorded)
        committed_rows.append(await database.reading(contents))

    database.on_commit = on_commit

    def send(text: str) -> Any:
        def work(changes: Changes) -> None:
            changes.connection.execute(INSERT, (text,))
            changes.record(f"sent {text}", None, {})

        return work

    await asyncio.gather(*(database.write(send(str(n))) for n in range(5)))
    flat = [event_id for batch in seen for event_id in batch]
    assert len(flat) == 5
    assert flat == sorted(flat), "in commit order"
    assert committed_rows[-1] == [str(n) for n in range(5)], "published only once committed"


async def test_a_writer_cancelled_while_waiting_leaves_no_transaction_open(
    database: Database,
) -> None:
    """A websocket closed mid-write cancels its task; the next writes must still commit."""
    for yields in range(8):
        task = asyncio.create_task(database.write(lambda changes: None))
        for _ in range(yields):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await database.write(lambda changes: changes.connection.execute(INSERT, ("next",)))
    assert await database.reading(contents) == ["next"] * 8


async def test_then_runs_at_the_commit_before_anyone_hears_of_it(database: Database) -> None:
    """Who may read a new channel is known before its event is published or relayed."""
    order: list[str] = []

    async def follow_up() -> None:
        order.append("follow-up")

    async def published(recorded: list[Any]) -> None:
        committed = await database.reading(lambda connection: len(contents(connection)))
        order.append(f"published {recorded} after {committed} commit(s)")

    database.recorder = lambda connection, name, audience, data: name
    database.on_commit = published
    database.after_write = follow_up

    def work(changes: Changes) -> int:
        changes.connection.execute(INSERT, ("changed",))
        changes.record("changed", None, {})
        return 7

    value = await database.write(work, then=lambda value: order.append(f"then {value}"))
    assert value == 7
    assert order == ["then 7", "published ['changed'] after 1 commit(s)", "follow-up"]
    await database.write(lambda changes: None)
    assert order[-1] == "published [] after 1 commit(s)", "a write that recorded nothing..."
    assert "follow-up" not in order[3:], "...is followed by no relay"


async def test_recording_on_a_database_without_events_is_refused(database: Database) -> None:
    with pytest.raises(RuntimeError, match="keeps no events"):
        await database.write(lambda changes: changes.record("changed", None, {}))
