"""A client that stops reading is cut off, and never holds up anyone else (real sockets)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import DataReceived, ResponseReceived
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from websockets.asyncio.client import connect

from minimost.realtime import Audience, Signal, realtime_of
from minimost.realtime.hub import CLOSE_RESYNC
from minimost.runtime import get_runtime
from tests.conftest import AppFactory, UserClient, sign_up


@pytest.fixture
async def served(make_app: AppFactory) -> AsyncIterator[tuple[Quart, int]]:
    """The app under real Hypercorn on this loop, on a socket bound before it starts."""
    app = make_app(config={"WS_QUEUE_SIZE": 16})
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(100)
    port = listener.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]  # Hypercorn owns and closes it
    config.accesslog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait, mode="asgi"))
    await asyncio.wait_for(get_runtime(app).serving.wait(), 10)
    try:
        yield app, port
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)


def cookie_header(user: UserClient) -> str:
    jar = user.client.cookie_jar
    assert jar is not None
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


async def stalled_client(port: int, cookie: str) -> socket.socket:
    """Complete a websocket handshake by hand, then never read again."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n"
    )
    await loop.sock_sendall(raw, request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += await asyncio.wait_for(loop.sock_recv(raw, 1), 5)
    assert response.startswith(b"HTTP/1.1 101"), response
    return raw


async def test_a_stalled_client_is_told_to_resync_and_the_others_get_everything(
    served: tuple[Quart, int],
) -> None:
    app, port = served
    runtime = get_runtime(app)
    hub = realtime_of(runtime).hub
    reader = await sign_up(app, "reader")
    sleeper = await sign_up(app, "sleeper")
    stalled = await stalled_client(port, cookie_header(sleeper))
    try:
        async with connect(
            f"ws://127.0.0.1:{port}/ws",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": cookie_header(reader)},
            max_size=2**20,
        ) as good:
            assert json.loads(await asyncio.wait_for(good.recv(), 5))["type"] == "hello"
            (stalled_connection,) = hub.connections_of("sleeper")
            padding = "x" * 32_768
            count = 200
            received = []
            for n in range(count):
                await realtime_of(runtime).signal(
                    Signal(Audience.everyone(), {"type": "bulk", "n": n, "pad": padding})
                )
                while True:
                    frame = json.loads(await asyncio.wait_for(good.recv(), 10))
                    if frame["type"] == "bulk":
                        received.append(frame["n"])
                        break
    finally:
        stalled.close()
    assert received == list(range(count)), "the reading client got every frame, in order"
    assert stalled_connection.close_code == CLOSE_RESYNC
    assert stalled_connection.close_reason == "resync"


async def test_a_client_that_pauses_then_reads_again_gets_every_frame_in_order(
    served: tuple[Quart, int],
) -> None:
    """Frames queued while a client's socket was full all arrive, once, when it reads again."""
    app, port = served
    runtime = get_runtime(app)
    hub = realtime_of(runtime).hub
    pauser = await sign_up(app, "pauser")
    raw = await stalled_client(port, cookie_header(pauser))
    try:
        (connection,) = hub.connections_of("pauser")
        loop = asyncio.get_running_loop()
        buffer = bytearray()
        # The hello comes just before the connection's writer starts.
        while not any(
            json.loads(payload)["type"] == "hello" for payload in websocket_frames(buffer)
        ):
            buffer += await asyncio.wait_for(loop.sock_recv(raw, 1 << 16), 10)
        padding = "x" * 32_768
        sent = 0
        shrunk = False
        # Full means: the writer is attached, the socket has no room, frames queue up.
        while not (shrunk and not connection.wire.has_room and connection.queue.qsize() >= 4):
            assert sent < 200, "the socket never filled"
            if not shrunk and connection.wire is not None:
                # The kernel may buffer megabytes for a loopback peer; a small send buffer
                # fills after a few frames, however the kernel tunes itself.
                server_socket = connection.wire._transport.get_extra_info("socket")
                server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
                shrunk = True
            await realtime_of(runtime).signal(
                Signal(Audience.everyone(), {"type": "bulk", "n": sent, "pad": padding})
            )
            sent += 1
            await asyncio.sleep(0)  # a turn of the loop: the frame is handed to the socket
        assert connection.queue.qsize() < app.config["WS_QUEUE_SIZE"]
        received: list[int] = []
        while len(received) < sent:
            chunk = await asyncio.wait_for(loop.sock_recv(raw, 1 << 16), 10)
            assert chunk, "the server closed the paused client"
            buffer += chunk
            for payload in websocket_frames(buffer):
                frame = json.loads(payload)
                if frame["type"] == "bulk":
                    received.append(frame["n"])
    finally:
        raw.close()
    assert received == list(range(sent)), "every frame once, in order"
    assert connection.close_code is None


async def test_websocket_frames_are_not_compressed(served: tuple[Quart, int]) -> None:
    """Per-message deflate costs CPU and memory per connection; the server declines it."""
    app, port = served
    user = await sign_up(app, "reader")
    async with connect(
        f"ws://127.0.0.1:{port}/ws",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": cookie_header(user)},
        compression="deflate",
    ) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


async def test_concurrent_sends_reach_a_socket_once_each_in_commit_order(
    served: tuple[Quart, int],
) -> None:
    """Frames written straight to Hypercorn's socket arrive whole, once, in event order."""
    app, port = served
    hub = realtime_of(get_runtime(app)).hub
    reader = await sign_up(app, "reader")
    writers = [await sign_up(app, f"writer{n}") for n in range(4)]

    async def send(writer: UserClient, n: int) -> int:
        response = await writer.api(
            "POST", "/api/channels/general/messages", json={"content": f"message {n}"}
        )
        assert response.status_code == 201
        return (await response.get_json())["message"]["id"]

    async with connect(
        f"ws://127.0.0.1:{port}/ws",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": cookie_header(reader)},
    ) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        (connection,) = hub.connections_of("reader")
        assert connection.wire is not None, "Hypercorn's socket is written directly"
        sent = await asyncio.gather(*(send(writers[n % 4], n) for n in range(120)))
        events = []
        while len(events) < len(sent):
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame.get("name") == "message.created":
                events.append(frame)
    event_ids = [event["id"] for event in events]
    assert event_ids == sorted(set(event_ids)), "each event once, in log order"
    assert sorted(event["data"]["id"] for event in events) == sorted(sent)
    assert [event["data"]["id"] for event in events] == sorted(sent), "commit order"


def websocket_frames(buffer: bytearray) -> list[bytes]:
    """Whole unmasked server frames' payloads taken from the front of ``buffer``."""
    payloads = []
    while len(buffer) >= 2:
        length, start = buffer[1] & 0x7F, 2
        if length == 126:
            length, start = int.from_bytes(buffer[2:4], "big"), 4
        elif length == 127:
            length, start = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < start + length:
            break
        payloads.append(bytes(buffer[start : start + length]))
        del buffer[: start + length]
    return payloads


async def test_a_websocket_over_http2_gets_its_events_and_the_connection_stays_sound(
    served: tuple[Quart, int],
) -> None:
    """Browsers may open /ws inside an HTTP/2 connection (RFC 8441) shared with requests."""
    app, port = served
    hub = realtime_of(get_runtime(app)).hub
    reader = await sign_up(app, "reader")
    writer = await sign_up(app, "writer")
    reader_stream, writer_stream = await asyncio.open_connection("127.0.0.1", port)
    h2 = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
    h2.initiate_connection()
    writer_stream.write(h2.data_to_send())
    frames: bytearray = bytearray()
    answers: dict[int, str] = {}

    async def until(done: Callable[[], bool]) -> None:
        while not done():
            data = await asyncio.wait_for(reader_stream.read(65536), 10)
            assert data, "the server closed the connection"
            for event in h2.receive_data(data):
                if isinstance(event, ResponseReceived):
                    answers[event.stream_id] = dict(event.headers)[":status"]
                elif isinstance(event, DataReceived):
                    h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    if event.stream_id == 1:
                        frames.extend(event.data)
            writer_stream.write(h2.data_to_send())

    await until(lambda: h2.remote_settings.enable_connect_protocol == 1)
    h2.send_headers(
        1,
        [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "http"),
            (":path", "/ws"),
            (":authority", f"127.0.0.1:{port}"),
            ("origin", f"http://127.0.0.1:{port}"),
            ("cookie", cookie_header(reader)),
            ("sec-websocket-version", "13"),
        ],
    )
    writer_stream.write(h2.data_to_send())
    received: list[dict] = []

    def frames_with(kind: str) -> bool:
        received.extend(json.loads(payload) for payload in websocket_frames(frames))
        return any(frame.get("type") == kind or frame.get("name") == kind for frame in received)

    try:
        await until(lambda: frames_with("hello"))
        assert answers[1] == "200"
        (connection,) = hub.connections_of("reader")
        assert connection.wire is None, "frames inside HTTP/2 go through Hypercorn's framing"
        response = await writer.api(
            "POST", "/api/channels/general/messages", json={"content": "over h2"}
        )
        sent = (await response.get_json())["message"]["id"]
        await until(lambda: frames_with("message.created"))
        (created,) = [frame for frame in received if frame.get("name") == "message.created"]
        assert created["data"]["id"] == sent
        h2.send_headers(
            3,
            [
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/login"),
                (":authority", f"127.0.0.1:{port}"),
            ],
            end_stream=True,
        )
        writer_stream.write(h2.data_to_send())
        await until(lambda: 3 in answers)
        assert answers[3] == "200"
    finally:
        writer_stream.close()
