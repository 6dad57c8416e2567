"""Listeners that drop at random, and across restarts, miss nothing and see nothing twice.

One writer sends 3,000 messages over its websocket (every seventh a DM to one listener);
three listeners each close their socket after a number of events drawn from a fixed
seed and reconnect with ``/ws?after=<last event id>``. The server is restarted twice
while this goes on: once with SIGTERM, once with ``kill -9``. Afterwards each listener's
received events are compared with the event log in ``users/messages.db``, read directly:
exactly the events it may see, in log order, each once, with the logged payload.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
from pathlib import Path
from typing import Any

from tests.conftest import rows
from tests.e2e.server import LiveServer, SignedInBrowser
from tests.reliability.live import (
    CONNECTION_LOST,
    Sender,
    kill_9,
    live_server,
    open_socket,
    receive,
    sign_up,
)

SEED = 7
MESSAGES = 3_000
LISTENERS = ("lana", "liam", "lucy")
PUBLIC = {"general", "software", "firmware", "systems", "off-topic"}


class Listener:
    """A tab that applies events and resumes from the last one it applied."""

    def __init__(
        self, server: LiveServer, user: SignedInBrowser, user_name: str, seed: int
    ) -> None:
        self.server = server
        self.user = user
        self.user_name = user_name
        self.rng = random.Random(seed)
        self.first: int | None = None
        self.last = 0
        self.received: list[dict[str, Any]] = []
        self.resyncs = 0
        self.drops = 0
        self.lost = 0
        self.servers_seen: set[int] = set()
        self.target: int | None = None
        self.connected = asyncio.Event()

    async def run(self, up: asyncio.Event, ready: asyncio.Event) -> None:
        while self.target is None or self.last < self.target:
            await asyncio.wait_for(up.wait(), 120)
            after = None if self.first is None else self.last
            try:
                async with open_socket(self.server, self.user, after) as ws:
                    hello = await receive(ws)
                    assert hello["type"] == "hello"
                    self.servers_seen.add(self.server.process.pid if self.server.process else 0)
                    if self.first is None:
                        self.first = self.last = hello["last_event_id"]
                        ready.set()
                    self.connected.set()
                    await self._read(ws, self.rng.randint(20, 400))
            except CONNECTION_LOST:
                self.lost += 1
            finally:
                self.connected.clear()

    async def _read(self, ws: Any, budget: int) -> None:
        """Apply events until ``budget`` arrived (then drop the socket) or all did."""
        while budget > 0 and (self.target is None or self.last < self.target):
            frame = await receive(ws)
            if frame["type"] == "resync":
                self.resyncs += 1
            if frame["type"] != "event":
                continue
            self.received.append(frame)
            self.last = frame["id"]
            budget -= 1
        if budget == 0:
            self.drops += 1


def may_see(username: str, channel: str | None, audience_user: str | None) -> bool:
    """Who an event is for, as the server decides it (no private channels here)."""
    if channel is None:
        return audience_user is None or audience_user == username
    if channel.startswith("dm:"):
        return username in channel.split(":")[1:]
    assert channel in PUBLIC, channel
    return True


async def test_resumed_listeners_get_the_log_exactly(tmp_path: Path) -> None:
    server = live_server(tmp_path)
    database = server.data_dir / "users" / "messages.db"
    try:
        writer_account = sign_up(server, "wendy")
        listeners = [
            Listener(server, sign_up(server, name), name, SEED + n)
            for n, name in enumerate(LISTENERS)
        ]
        writer = Sender(
            server,
            writer_account,
            MESSAGES,
            channel_of=lambda n: "dm:lana:wendy" if n % 7 == 0 else "general",
        )
        up, progress = asyncio.Event(), asyncio.Event()
        up.set()
        readies = [asyncio.Event() for _ in listeners]
        tabs = [
            asyncio.create_task(listener.run(up, ready))
            for listener, ready in zip(listeners, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 30)
        sending = asyncio.create_task(writer.run("w", up, progress))
        for point, stop in ((MESSAGES // 3, signal.SIGTERM), (MESSAGES * 2 // 3, signal.SIGKILL)):
            while len(writer.acked) < point:
                await asyncio.wait_for(progress.wait(), 60)
                progress.clear()
            await asyncio.wait_for(asyncio.gather(*(t.connected.wait() for t in listeners)), 30)
            up.clear()
            if stop == signal.SIGKILL:
                await asyncio.to_thread(kill_9, server)
            else:
                await asyncio.to_thread(server.stop, stop)
            await asyncio.to_thread(server.start)
            up.set()
        await asyncio.wait_for(sending, 120)
        # The last event: one more message everyone sees, the listeners' finish line.
        (head,) = rows(database, "SELECT MAX(id) FROM events")[0]
        for listener in listeners:
            listener.target = head + 1
        assert writer_account.api("POST", "/api/channels/general/messages", {"content": "end"})
        await asyncio.wait_for(asyncio.gather(*tabs), 120)
    finally:
        server.close()
    log = rows(database, "SELECT id, type, channel, username, payload FROM events ORDER BY id")
    assert log[-1][0] == head + 1

    assert writer.refusals == []
    for listener in listeners:
        expected = [
            (row[0], row[1], json.loads(row[4]))
            for row in log
            if row[0] > listener.first and may_see(listener.user_name, row[2], row[3])
        ]
        got = [(frame["id"], frame["name"], frame["data"]) for frame in listener.received]
        ids = [event_id for event_id, _, _ in got]
        assert listener.resyncs == 0
        assert len(ids) == len(set(ids)), "an event arrived twice"
        assert ids == sorted(ids), "events arrived out of log order"
        assert [e[0] for e in expected if e[0] not in set(ids)] == [], "events were missed"
        assert got == expected
        assert listener.drops >= 5
        print(
            f"{listener.user_name}: {len(got)} events, {listener.drops} drops, "
            f"{listener.lost} lost connections, 0 gaps, 0 duplicates"
        )
        # Connected when each restart began (the test waits for that), and resumed on
        # every one of the three server processes.
        assert len(listener.servers_seen) == 3
