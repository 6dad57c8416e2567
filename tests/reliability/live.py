"""A real server under load for the reliability tests: senders that retry, and the log.

``Sender`` is a client that keeps a window of ``message.send`` frames in flight over
one websocket, reconnects after the server goes away and resends every send it has no
answer for, with the same ``client_id``: what a browser tab's outbox does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer, SignedInBrowser

# Senders go at full speed: the send allowance must not be what the test measures.
UNLIMITED_SENDS = {"rate_limits": {"send": [1_000_000, 60]}}
# A websocket answer later than this means the server is stuck: the test fails.
ANSWER_TIMEOUT = 30.0
# Lost connections while the server restarts: refused or cut during the handshake.
CONNECTION_LOST = (ConnectionClosed, InvalidHandshake, ConnectionError, EOFError)


def live_server(tmp_path: Path, settings: dict[str, Any] | None = None) -> LiveServer:
    """A plain-HTTP server on its own data root, answers checked against their models."""
    server = LiveServer(
        tmp_path / "data", tls=False, check_answers=True, settings=settings or UNLIMITED_SENDS
    )
    server.start()
    return server


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid``, children before their own children."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        children = parents.get(queue.pop(0), [])
        found += children
        queue += children
    return found


def kill_9(server: LiveServer) -> None:
    """``kill -9`` the server: its worker processes (which hold the databases) and
    Hypercorn's parent, with no chance to finish a write, close a file or checkpoint."""
    assert server.process is not None
    for pid in descendants(server.process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.stop(signal.SIGKILL)


def sign_up(server: LiveServer, username: str) -> SignedInBrowser:
    return SignedInBrowser(server.url, username, GOOD_PASSWORD)


def socket_url(server: LiveServer, after: int | None = None) -> str:
    url = server.url.replace("http", "ws", 1) + "/ws"
    return url if after is None else f"{url}?after={after}"


def open_socket(server: LiveServer, user: SignedInBrowser, after: int | None = None) -> Any:
    return connect(
        socket_url(server, after),
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": user.cookie},
        open_timeout=ANSWER_TIMEOUT,
        max_size=None,
        # Unbounded: a tab that closes mid-stream still reads on to the close frame.
        max_queue=None,
    )


async def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT))


def integrity_of(data_dir: Path) -> dict[str, str]:
    """``PRAGMA integrity_check`` of every database file under the data root."""
    results = {}
    for path in sorted(data_dir.rglob("*.db")):
        connection = sqlite3.connect(path)
        try:
            results[path.name] = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
    return results


class Sender:
    """One tab sending ``count`` messages as fast as its window allows, across restarts."""

    WINDOW = 32

    def __init__(
        self,
        server: LiveServer,
        user: SignedInBrowser,
        count: int,
        channel_of: Callable[[int], str] = lambda n: "general",
    ) -> None:
        self.server = server
        self.user = user
        self.count = count
        self.channel_of = channel_of
        self.next = 0
        self.pending: dict[str, dict[str, str]] = {}  # client_id -> frame, not answered
        self.acked: dict[str, int] = {}  # client_id -> message id, from the first answer
        self.contents: dict[str, str] = {}
        self.answers_per_id: dict[str, set[int]] = {}
        self.resent = 0
        self.answered_not_created = 0
        self.reconnects = 0
        self.refusals: list[dict[str, Any]] = []

    def _new_frame(self, prefix: str) -> dict[str, str]:
        client_id = f"{prefix}-{self.next}"
        frame = {
            "type": "message.send",
            "channel": self.channel_of(self.next),
            "content": f"{client_id} says {self.next * 7919 % 10007}",
            "client_id": client_id,
        }
        self.next += 1
        self.pending[client_id] = frame
        self.contents[client_id] = frame["content"]
        return frame

    @property
    def done(self) -> bool:
        return self.next >= self.count and not self.pending

    async def run(self, prefix: str, up: asyncio.Event, progress: asyncio.Event) -> None:
        """Send until every message is answered; wait for ``up`` after a lost connection."""
        while not self.done:
            await asyncio.wait_for(up.wait(), 120)
            try:
                async with open_socket(self.server, self.user) as ws:
                    assert (await receive(ws))["type"] == "hello"
                    for frame in list(self.pending.values()):
                        self.resent += 1
                        await ws.send(json.dumps(frame))
                    await self._exchange(ws, prefix, progress)
            except CONNECTION_LOST:
                self.reconnects += 1

    async def _exchange(self, ws: ClientConnection, prefix: str, progress: asyncio.Event) -> None:
        while not self.done:
            while len(self.pending) < self.WINDOW and self.next < self.count:
                await ws.send(json.dumps(self._new_frame(prefix)))
            frame = await receive(ws)
            if frame.get("about") == "message.send":
                self.refusals.append(frame)
                self.pending.pop(frame["client_id"], None)
            if frame["type"] != "message.sent":
                continue
            client_id = frame["client_id"]
            self.answers_per_id.setdefault(client_id, set()).add(frame["message"]["id"])
            if client_id in self.pending:
                del self.pending[client_id]
                self.acked[client_id] = frame["message"]["id"]
                if not frame["created"]:
                    self.answered_not_created += 1
                progress.set()
