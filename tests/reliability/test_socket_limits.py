"""Websocket limits hold under real Hypercorn, started with or without our config."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer, SignedInBrowser

LIMIT = 12
MiB = 1 << 20


@pytest.fixture(params=["bare", "config"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """``hypercorn "minimost:create_app()"`` alone, or with hypercorn.toml (TLS)."""
    live = LiveServer(
        tmp_path / "data",
        tls=request.param == "config",
        settings={"max_event_streams_per_user": LIMIT},
    )
    live.start()
    yield live
    live.close()


def trust(server: LiveServer) -> ssl.SSLContext | None:
    if not server.tls:
        return None
    return ssl.create_default_context(cafile=str(server.data_dir / "ca.pem"))


async def open_socket(server: LiveServer, user: SignedInBrowser) -> ClientConnection:
    """A signed-in websocket that got its hello."""
    socket = await connect(
        f"{'wss' if server.tls else 'ws'}://127.0.0.1:{server.port}/ws",
        origin=server.url,
        additional_headers={"Cookie": user.cookie},
        ssl=trust(server),
        max_size=None,
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert hello["type"] == "hello"
    return socket


async def close_code_of(socket: ClientConnection, within: float) -> int | None:
    """Read until the server closes the connection; its close code."""
    try:
        async with asyncio.timeout(within):
            while True:
                await socket.recv()
    except ConnectionClosed:
        return socket.close_code


def worker_rss_kib(server: LiveServer) -> int:
    """Resident memory of the Hypercorn worker process serving the app."""
    assert server.process is not None
    pid = server.process.pid
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            status = Path(f"/proc/{child}/status").read_text()
            (line,) = [line for line in status.splitlines() if line.startswith("VmRSS:")]
            return int(line.split()[1])
    raise AssertionError("no Hypercorn worker process")


async def test_a_flooding_socket_is_closed_at_once_and_frees_its_slot(server: LiveServer) -> None:
    user = SignedInBrowser(server.url, "flooder", GOOD_PASSWORD, trust(server))
    sockets = [await open_socket(server, user) for _ in range(LIMIT)]
    try:
        flooder = sockets[0]
        frames = [json.dumps({"type": "nonsense", "n": n}) for n in range(300)]
        started = time.monotonic()
        with contextlib.suppress(ConnectionClosed):  # closed while still writing
            for frame in frames:
                await flooder.send(frame)
        code = await close_code_of(flooder, 5)
        elapsed = time.monotonic() - started
        assert code == 1008, f"closed with {code} after {elapsed:.2f} s"
        assert elapsed < 1, f"closed after {elapsed:.2f} s"
        newcomer = await open_socket(server, user)
        sockets.append(newcomer)
        assert newcomer.close_code is None, "the flooder's slot went to a new tab"
    finally:
        for socket in sockets:
            await socket.close()


@pytest.mark.parametrize("size", [16385, 1 * MiB, 17 * MiB])
async def test_oversized_frames_are_refused_as_they_arrive(server: LiveServer, size: int) -> None:
    """Twelve huge frames get 1009 while they arrive; none is held whole in memory."""
    user = SignedInBrowser(server.url, "bulky", GOOD_PASSWORD, trust(server))
    sockets = [await open_socket(server, user) for _ in range(LIMIT)]
    before = worker_rss_kib(server)
    try:

        async def send_huge(socket: ClientConnection) -> int | None:
            sending = asyncio.create_task(socket.send("x" * size))
            code = await close_code_of(socket, 10)
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
            return code

        codes = await asyncio.gather(*(send_huge(socket) for socket in sockets))
        grown = worker_rss_kib(server) - before
    finally:
        for socket in sockets:
            await socket.close()
    assert codes == [1009] * LIMIT
    assert grown < 16 * 1024, f"the server grew by {grown} KiB, more than one frame's worth"


async def test_a_tab_over_the_limit_that_floods_is_still_closed_at_once(
    server: LiveServer,
) -> None:
    user = SignedInBrowser(server.url, "tabby", GOOD_PASSWORD, trust(server))
    sockets = [await open_socket(server, user) for _ in range(LIMIT)]
    try:
        extra = await connect(
            f"{'wss' if server.tls else 'ws'}://127.0.0.1:{server.port}/ws",
            origin=server.url,
            additional_headers={"Cookie": user.cookie},
            ssl=trust(server),
        )
        started = time.monotonic()
        with contextlib.suppress(ConnectionClosed):  # closed while still writing
            for n in range(300):
                await extra.send(json.dumps({"type": "nonsense", "n": n}))
        code = await close_code_of(extra, 5)
        elapsed = time.monotonic() - started
    finally:
        for socket in sockets:
            await socket.close()
    assert code == 4003
    assert elapsed < 1, f"closed after {elapsed:.2f} s"
