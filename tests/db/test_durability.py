"""Acknowledged writes survive a power cut: every connection that writes syncs the WAL."""

from __future__ import annotations

from quart import Quart

from minimost.db.database import fetch_value
from minimost.runtime import get_runtime
from tests.conftest import sign_up

SYNCHRONOUS_FULL = 2


async def test_every_write_connection_syncs_each_commit(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    sent = await alice.api("POST", "/api/channels/general/messages", json={"content": "hi"})
    assert sent.status_code == 201, await sent.get_data(as_text=True)
    stores = get_runtime(app).stores
    for database in stores.all:
        async with database.maintenance() as writer:
            setting = await fetch_value(writer, "PRAGMA synchronous")
        assert setting == SYNCHRONOUS_FULL, f"{database.path.name} commits without a WAL sync"
