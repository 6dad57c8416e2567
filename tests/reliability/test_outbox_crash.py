"""A process killed between a change's commit and its relay loses no event.

Private channels, calls, screen shares and accounts are written in presence.db or
auth.db together with outbox rows; the relay moves those into the event log. Each test
runs the change in a child process that dies right after that commit (before the
relay), then starts a real server on the same data dir: the event is logged exactly
once, and a client resuming with ``?after=`` receives it.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from websockets.asyncio.client import connect

from minimost.chat.channels import private
from minimost.realtime import realtime_of
from minimost.runtime import get_runtime
from tests.conftest import sign_up
from tests.e2e.server import REPO_ROOT, LiveServer, SignedInBrowser
from tests.reliability.outbox_child import CRASHED, PASSWORD

# scenario: (database the change commits in, who watches, the event, what its data holds)
SCENARIOS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "private_create": ("presence", "alice", "channel.created", {"name": "team"}),
    "private_leave": ("presence", "bob", "channel.left", {"id": 1}),
    "call_start": ("presence", "bob", "call.updated", {"state": "ringing"}),
    "call_end": ("presence", "alice", "call.updated", {"state": "ended"}),
    "screen_share": ("presence", "bob", "screenshare.updated", {"sharer": "alice"}),
    "sign_up": ("auth", "alice", "user.created", {"username": "carol"}),
    "role_change": ("auth", "alice", "user.role_changed", {"username": "bob", "role": "admin"}),
    "account_removal": ("auth", "alice", "user.deleted", {"username": "bob"}),
}


class SignedIn(SignedInBrowser):
    """An existing account signed in through the real login form."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = {"username": username, "password": password, "csrf_token": self.csrf_token("/login")}
        self.opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=30)
        self.token = self.csrf_token("/")


def crash_during(data_dir: Path, scenario: str) -> int:
    """Run the scenario's change in a child that dies at its commit; the log head before."""
    child = subprocess.run(
        [sys.executable, "-m", "tests.reliability.outbox_child", str(data_dir), scenario],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == CRASHED, child.stdout + child.stderr
    (ready,) = [line for line in child.stdout.splitlines() if line.startswith("READY ")]
    return int(ready.split()[1])


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return connection.execute(sql, params).fetchall()


def logged(data_dir: Path, name: str, expected: dict[str, Any], after: int) -> list[int]:
    """Ids of logged events named ``name`` after ``after`` whose data holds ``expected``."""
    rows = query(
        data_dir / "users" / "messages.db",
        "SELECT id, payload FROM events WHERE type = ? AND id > ? ORDER BY id",
        (name, after),
    )
    return [
        event_id for event_id, payload in rows if expected.items() <= json.loads(payload).items()
    ]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def server(data_dir: Path, tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(data_dir, tls=False, log_path=tmp_path / "server.log")
    yield live
    live.close()


async def resumed_event(server: LiveServer, username: str, after: int, name: str) -> dict:
    """The first event called ``name`` a client resuming from ``after`` receives."""
    user = SignedIn(server.url, username, PASSWORD)
    async with connect(
        f"ws://127.0.0.1:{server.port}/ws?after={after}",
        origin=server.url,
        additional_headers={"Cookie": user.cookie},
    ) as socket:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if frame.get("type") == "event" and frame["name"] == name:
                return frame


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_a_change_whose_process_died_before_the_relay_reaches_the_log_once(
    scenario: str, data_dir: Path, server: LiveServer
) -> None:
    database, watcher, name, expected = SCENARIOS[scenario]
    head = crash_during(data_dir, scenario)
    outbox = query(data_dir / f"{database}.db", "SELECT type FROM outbox")
    assert name in [row[0] for row in outbox], "the change committed with its outbox row"
    assert logged(data_dir, name, expected, head) == [], "and died before the relay"

    server.start()
    (event_id,) = logged(data_dir, name, expected, head)
    assert query(data_dir / f"{database}.db", "SELECT COUNT(*) FROM outbox") == [(0,)]
    frame = await resumed_event(server, watcher, head, name)
    assert frame["id"] == event_id
    assert expected.items() <= frame["data"].items()

    server.restart()
    assert logged(data_dir, name, expected, head) == [event_id], "a restart relays nothing twice"


async def test_relaying_the_same_outbox_rows_twice_logs_them_once(app: Quart) -> None:
    await sign_up(app, "alice")
    runtime = get_runtime(app)
    presence, relay = runtime.stores.presence, realtime_of(runtime).relay
    presence.after_write = None
    summary = await private.create(runtime, "alice", "team", [])
    kept = await presence.reading(
        lambda connection: connection.execute("SELECT * FROM outbox").fetchall()
    )
    assert [row["type"] for row in kept] == ["channel.created"]
    assert await relay.relay("presence") == 1

    def put_back(changes: Any) -> None:
        placeholders = ", ".join("?" * len(kept[0]))
        changes.connection.executemany(
            f"INSERT INTO outbox VALUES ({placeholders})", [tuple(row) for row in kept]
        )

    await presence.write(put_back)
    assert await relay.relay("presence") == 1, "the outbox row was seen again"
    found = await runtime.stores.messages.reading(
        lambda connection: connection.execute(
            "SELECT payload FROM events WHERE type = 'channel.created'"
        ).fetchall()
    )
    assert [json.loads(row[0])["id"] for row in found] == [summary["id"]]
    assert (
        await presence.reading(
            lambda connection: connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        )
        == 0
    )

    await private.create(runtime, "alice", "later", [])
    assert await relay.relay("presence") == 1
    noted = await runtime.stores.messages.reading(
        lambda connection: connection.execute(
            "SELECT outbox_id FROM relayed_outbox_rows WHERE source = 'presence'"
        ).fetchall()
    )
    assert [row[0] for row in noted] == [kept[0]["id"] + 1], "only notes still needed are kept"
