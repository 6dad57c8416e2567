"""K listeners in one channel, spread over a few processes, recording when each message lands.

Client protocols: MiniMost's websocket (``/ws``, ``message.created`` frames) through the
``websockets`` library (``ws``) or as a bare protocol that parses frames from the bytes
as they arrive, with no task, await or JSON per frame (``ws-raw``, light enough that a
thousand listeners leave the CPU to the server), and the 0.0.4 server's Server-Sent
Events stream (``/events``, ``messages`` frames carrying JSON arrays). Every receipt is
stamped with ``time.perf_counter()``, the machine's monotonic clock, which all processes
share, so the sender's stamp and the receipt compare directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from websockets.asyncio.client import connect

from bench.wire import FrameListener

OPEN_TIMEOUT = 10.0
OPENING_AT_ONCE = 50
CREATED = re.compile(
    rb'"name":"message\.created","ts":([0-9.e+-]+),"data":\{.*?"content":"([^"]*)"'
)
PING = b'{"type":"ping"}'

# (message text, receipt time, seconds since the server stamped the message: "from commit")
Receipt = tuple[str, float, float]


@dataclass
class Target:
    """Where and how listeners connect: ``protocol`` is ``"ws"``, ``"ws-raw"`` or ``"sse"``."""

    protocol: str
    host: str
    port: int
    cookie: str
    channel: str = "general"
    compression: str | None = "deflate"  # browsers always offer it; ours declines it


@dataclass
class Opened:
    connected: int = 0
    failures: Counter[str] = field(default_factory=Counter)


class StreamRefusedError(Exception):
    pass


async def _listen_ws(target: Target, opened: asyncio.Event, record: Any) -> None:
    origin = f"http://{target.host}:{target.port}"
    async with connect(
        f"ws://{target.host}:{target.port}/ws",
        origin=origin,
        max_size=2**20,
        compression=target.compression,
        open_timeout=OPEN_TIMEOUT,
        additional_headers={"Cookie": target.cookie},
    ) as ws:
        await ws.recv()  # hello
        opened.set()
        async for raw in ws:
            now, wall_now = time.perf_counter(), time.time()
            if '"ping"' in raw:
                await ws.send('{"type":"pong"}')
                continue
            frame = json.loads(raw)
            if frame.get("name") == "message.created":
                # The event's ts is stamped inside the writing transaction.
                record(frame["data"]["content"], now, wall_now - frame["ts"])


async def _listen_ws_raw(target: Target, opened: asyncio.Event, record: Any) -> None:
    def on_text(listener: FrameListener, payload: bytes, now: float) -> None:
        if payload == PING:
            listener.send_text('{"type":"pong"}')
            return
        found = CREATED.search(payload)
        if found is not None:
            # The event's ts is stamped inside the writing transaction.
            record(found[2].decode(), now, time.time() - float(found[1]))

    listener = await FrameListener.connect(target.host, target.port, "/ws", target.cookie, on_text)
    opened.set()
    try:
        await asyncio.get_running_loop().create_future()  # until the pool stops
    finally:
        listener.close()


async def _sse_chunks(reader: asyncio.StreamReader, chunked: bool) -> Any:
    while True:
        if chunked:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return
            data = (await reader.readexactly(size + 2))[:-2]
        else:
            data = await reader.read(65536)
            if not data:
                return
        yield data


async def _listen_sse(target: Target, opened: asyncio.Event, record: Any) -> None:
    reader, writer = await asyncio.open_connection(target.host, target.port, limit=2**24)
    try:
        request = (
            f"GET /events?channel={target.channel}&after={time.time():.6f} HTTP/1.1\r\n"
            f"Host: {target.host}:{target.port}\r\nAccept: text/event-stream\r\n"
            f"Cache-Control: no-cache\r\nCookie: {target.cookie}\r\n\r\n"
        )
        writer.write(request.encode())
        status = (await reader.readline()).split()
        if len(status) < 2 or status[1] != b"200":
            raise StreamRefusedError(f"HTTP {status[1].decode() if len(status) > 1 else 'closed'}")
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        buffer = b""
        async for data in _sse_chunks(reader, chunked):
            now, wall_now = time.perf_counter(), time.time()
            buffer += data
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                event, payload = "message", []
                for line in block.decode().split("\n"):
                    if line.startswith("retry:"):
                        opened.set()
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        payload.append(line[5:].lstrip())
                if event == "messages" and payload:
                    for message in json.loads("\n".join(payload)):
                        since = wall_now - message.get("ts", wall_now)
                        record(message.get("content") or "", now, since)
    finally:
        writer.close()


async def _run(target: Target, clients: int, progress: Any, ready: Any, stop: Any) -> list:
    receipts: list[Receipt] = []

    def record(text: str, at: float, since_commit: float) -> None:
        receipts.append((text, at, since_commit))
        progress.value += 1

    listen = {"ws": _listen_ws, "ws-raw": _listen_ws_raw, "sse": _listen_sse}[target.protocol]
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    outcome = Opened()
    settled = asyncio.Event()  # every listener is open or has failed

    def tally() -> None:
        if outcome.connected + sum(outcome.failures.values()) == clients:
            settled.set()

    async def one() -> None:
        opened = asyncio.Event()
        async with opening:
            task = asyncio.create_task(listen(target, opened, record))
            waiter = asyncio.create_task(opened.wait())
            await asyncio.wait([task, waiter], timeout=OPEN_TIMEOUT, return_when="FIRST_COMPLETED")
        if opened.is_set():
            outcome.connected += 1
            tally()
        else:
            waiter.cancel()
            if task.done() and task.exception() is not None:
                error = task.exception()
                reason = (
                    str(error) if isinstance(error, StreamRefusedError) else type(error).__name__
                )
            else:
                reason = f"no answer in {OPEN_TIMEOUT:g} s"
                task.cancel()
            outcome.failures[reason] += 1
            tally()
            return
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task

    tasks = [asyncio.create_task(one()) for _ in range(clients)]
    await settled.wait()
    ready.put((outcome.connected, dict(outcome.failures)))
    await asyncio.get_running_loop().run_in_executor(None, stop.get)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return receipts


def _process(target: Target, clients: int, progress: Any, ready: Any, stop: Any, out: Any) -> None:
    if target.protocol == "ws-raw":
        import uvloop

        out.put(uvloop.run(_run(target, clients, progress, ready, stop)))
        return
    out.put(asyncio.run(_run(target, clients, progress, ready, stop)))


class ListenerPool:
    """Open ``clients`` listeners over up to four processes; count and collect receipts."""

    def __init__(self, target: Target, clients: int, processes: int | None = None) -> None:
        context = get_context("spawn")
        count = processes or max(1, min(4, clients // 25))
        shares = [clients // count] * count
        shares[0] += clients - sum(shares)
        self.progress = [context.Value("q", 0, lock=False) for _ in shares]
        self._ready = context.Queue()
        self._stops = [context.Queue() for _ in shares]
        self._out = context.Queue()
        self.processes = [
            context.Process(
                target=_process,
                args=(target, share, progress, self._ready, stop, self._out),
                daemon=True,
            )
            for share, progress, stop in zip(shares, self.progress, self._stops, strict=True)
        ]
        self.opened = Opened()

    def open(self, timeout: float) -> Opened:
        for process in self.processes:
            process.start()
        for _ in self.processes:
            connected, failures = self._ready.get(timeout=timeout)
            self.opened.connected += connected
            self.opened.failures.update(failures)
        return self.opened

    def received(self) -> int:
        return sum(value.value for value in self.progress)

    def wait_for(self, total: int, deadline: float) -> None:
        """Return once ``total`` receipts arrived or ``deadline`` (perf_counter) passed."""
        while self.received() < total and time.perf_counter() < deadline:
            time.sleep(0.02)  # polling shared counters, not synchronising with the server

    def close(self, timeout: float = 60.0) -> list[Receipt]:
        for stop in self._stops:
            stop.put("stop")
        receipts: list[Receipt] = []
        with contextlib.suppress(Exception):
            for _ in self.processes:
                receipts += self._out.get(timeout=timeout)
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()
        return receipts
