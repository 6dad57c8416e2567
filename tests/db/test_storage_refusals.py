"""Sends the database cannot take (disk full, locked too long): a clear 503, sockets stay."""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from werkzeug.datastructures import FileStorage

from minimost.db import Changes
from minimost.realtime import Audience
from minimost.runtime import get_runtime
from tests.conftest import sign_up
from tests.helpers.chat import page, send
from tests.helpers.sockets import answer_to, hello, send_frame, socket

# Many distinct words: the message and its search index need fresh pages.
BULKY = " ".join(f"word{n}" for n in range(1000))


async def writer_pragma(app: Quart, pragma: str) -> Any:
    """Set a pragma on the server's own writer connection (limits of the real database)."""
    database = get_runtime(app).stores.messages
    async with database.maintenance() as writer:
        rows = await writer.execute_fetchall(f"PRAGMA {pragma}")
    return rows[0][0] if rows else None


def refusals_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if "not saved" in record.getMessage()]


async def test_sends_on_a_full_database_get_a_503_and_succeed_once_space_returns(
    app: Quart, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    pages = await writer_pragma(app, "page_count")
    await writer_pragma(app, f"max_page_count = {pages}")
    caplog.set_level(logging.WARNING)
    async with socket(alice) as alice_ws, socket(bob) as bob_ws:
        await hello(alice_ws)
        await hello(bob_ws)
        await send_frame(alice_ws, channel="general", content=BULKY, client_id="a-1")
        await send_frame(bob_ws, channel="general", content=BULKY, client_id="b-1")
        answers = asyncio.gather(answer_to(alice_ws, "a-1"), answer_to(bob_ws, "b-1"))
        refused = await asyncio.wait_for(answers, 10)
        api = await send(alice, "general", BULKY, client_id="a-2")
        assert api.status_code == 503
        body = await api.get_json()
        assert body["error"]["code"] == "storage_full"
        assert "disk is full" in body["error"]["message"]
        await writer_pragma(app, "max_page_count = 1073741823")
        await send_frame(alice_ws, channel="general", content=BULKY, client_id="a-1")
        retried = await answer_to(alice_ws, "a-1")
    for answer, client_id in zip(refused, ["a-1", "b-1"], strict=True):
        assert answer["type"] == "error"
        assert answer["client_id"] == client_id
        assert answer["about"] == "message.send"
        assert answer["status"] == 503
        assert answer["code"] == "storage_full"
        assert "not saved" in answer["message"]
    assert retried["type"] == "message.sent", "the same socket sends again"
    stored = [message["client_id"] for message in await page(alice, "general")]
    assert [client_id for client_id in stored if client_id] == ["a-1"], "nothing half-written"
    logged = refusals_logged(caplog)
    assert 2 <= len(logged) <= 3, "a line per refused batch (the API send's included)"
    assert all(record.exc_info is None for record in logged)


async def test_a_refused_group_commit_is_logged_once_and_fails_each_write_with_a_503(
    app: Quart, caplog: pytest.LogCaptureFixture
) -> None:
    await writer_pragma(app, f"max_page_count = {await writer_pragma(app, 'page_count')}")
    caplog.set_level(logging.WARNING)

    def write(changes: Changes) -> None:
        changes.record("bulk", Audience.everyone(), {"text": BULKY})

    runtime = get_runtime(app)
    outcomes = await asyncio.gather(
        *(runtime.stores.messages.write(write) for _ in range(5)), return_exceptions=True
    )
    assert [(error.status, error.code) for error in outcomes] == [(503, "storage_full")] * 5
    (line,) = refusals_logged(caplog)
    assert "5 of 5 writes" in line.getMessage()
    assert line.exc_info is None


async def test_a_database_locked_past_the_busy_timeout_answers_503(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    database = get_runtime(app).stores.messages
    await writer_pragma(app, "busy_timeout = 50")
    holder = sqlite3.connect(database.path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        async with socket(alice) as ws:
            await hello(ws)
            await send_frame(ws, channel="general", content="hello", client_id="c-1")
            refused = await answer_to(ws, "c-1")
            api = await send(alice, "general", "hello", client_id="c-2")
            holder.execute("ROLLBACK")
            await send_frame(ws, channel="general", content="hello", client_id="c-1")
            retried = await answer_to(ws, "c-1")
    finally:
        holder.close()
    assert refused["type"] == "error"
    assert (refused["status"], refused["code"], refused["client_id"]) == (503, "unavailable", "c-1")
    assert api.status_code == 503
    assert (await api.get_json())["error"]["code"] == "unavailable"
    assert api.headers["Retry-After"]
    assert retried["type"] == "message.sent"


async def test_a_file_sent_to_a_full_database_leaves_no_file_behind(
    app: Quart, data_dir: Path
) -> None:
    """The file is moved into place inside the write: a refused commit takes it away again."""
    alice = await sign_up(app, "alice")
    await writer_pragma(app, f"max_page_count = {await writer_pragma(app, 'page_count')}")
    response = await alice.api(
        "POST",
        "/api/channels/general/messages",
        form={"content": BULKY},
        files={"files0": FileStorage(io.BytesIO(b"report " * 1000), filename="report.txt")},
    )
    assert response.status_code == 503
    assert (await response.get_json())["error"]["code"] == "storage_full"
    assert list((data_dir / "uploads").iterdir()) == []
