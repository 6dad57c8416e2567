"""Fan-out benchmark: K websocket listeners in one channel, one sender, one Hypercorn worker.

The sender posts messages to ``general`` through the JSON API; each is written with its
event in one transaction, published, and delivered to every listener's websocket.
Latency is measured from just before the sender's request to each listener's receipt,
on the machine's monotonic clock, shared by all processes.

    python bench/fanout.py --clients 1,100,1000 --events 200 --rate 20

Prints a Markdown table; server CPU and peak RSS come from /proc. "From commit" is the
same delivery measured from the event's own timestamp, stamped inside the writing
transaction: the fan-out alone, without the sender's request.

The listeners share the machine with the server. By default they are bare protocols
(``bench/wire.py``: frames parsed from the bytes as they arrive, no task or JSON per
frame) so that a thousand of them do not starve the server of CPU; ``--client
websockets`` uses the ``websockets`` library instead, as earlier figures did.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from multiprocessing import Queue, get_context
from pathlib import Path

from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tests.e2e.server import LiveServer, SignedInBrowser

from wire import FrameListener

PASSWORD = "Bench-password-123!"
CREATED = re.compile(
    rb'"name":"message\.created","ts":([0-9.e+-]+),"data":\{.*?"content":"([^"]*)"'
)
PING = b'{"type":"ping"}'


class Account(SignedInBrowser):
    """A signed-in browser that also keeps one HTTP connection open for sending."""

    def __init__(self, base: str, username: str) -> None:
        super().__init__(base, username, PASSWORD)

    def keep_alive(self) -> http.client.HTTPConnection:
        """One persistent connection, as a browser keeps one open to the server."""
        parsed = urllib.parse.urlsplit(self.base)
        return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

    def post_message(self, connection: http.client.HTTPConnection, text: str) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-CSRF-Token": self.token,
            "Cookie": self.cookie,
        }
        body = json.dumps({"content": text})
        connection.request("POST", "/api/channels/general/messages", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 201, response.status


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def cpu_seconds(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def server_pid(server: LiveServer) -> int:
    """Hypercorn serves from a worker process: the biggest process under the one we started."""
    assert server.process is not None
    candidates = [server.process.pid, *descendants(server.process.pid)]
    return max(candidates, key=lambda pid: int(proc_status(pid)["VmRSS"].split()[0]))


def listener_process(
    ws_url: str,
    origin: str,
    cookie: str,
    clients: int,
    expected_events: int,
    compression: str | None,
    ready: Queue,
    stop: Queue,
    results: Queue,
    client: str = "websockets",
) -> None:
    """Hold ``clients`` sockets; report each event's receipt time (shared monotonic clock)."""
    if client == "raw":
        import uvloop

        uvloop.run(_listen_raw(ws_url, cookie, clients, expected_events, ready, stop, results))
        return
    asyncio.run(
        _listen_all(
            ws_url, origin, cookie, clients, expected_events, compression, ready, stop, results
        )
    )


async def _listen_all(
    ws_url: str,
    origin: str,
    cookie: str,
    clients: int,
    expected_events: int,
    compression: str | None,
    ready: Queue,
    stop: Queue,
    results: Queue,
) -> None:
    receipts: list[tuple[str, float, float]] = []
    done = asyncio.Event()
    target = clients * expected_events

    async def listen(opened: asyncio.Event) -> None:
        async with connect(
            ws_url,
            origin=origin,
            max_size=2**20,
            compression=compression,
            open_timeout=60,
            additional_headers={"Cookie": cookie},
        ) as ws:
            await ws.recv()  # hello
            opened.set()
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 1)
                except TimeoutError:
                    continue
                now, wall_now = time.perf_counter(), time.time()
                if '"ping"' in raw:
                    await ws.send('{"type":"pong"}')
                    continue
                frame = json.loads(raw)
                if frame.get("name") == "message.created":
                    # The event's ts is stamped inside the writing transaction.
                    receipts.append((frame["data"]["content"], now, wall_now - frame["ts"]))
                    if len(receipts) >= target:
                        done.set()

    tasks = []
    for _ in range(clients):
        opened = asyncio.Event()
        tasks.append(asyncio.create_task(listen(opened)))
        await opened.wait()
    ready.put(clients)
    loop = asyncio.get_running_loop()
    finish = loop.run_in_executor(None, stop.get)  # the parent says when to stop
    waiting = asyncio.create_task(done.wait())
    await asyncio.wait([finish, waiting], return_when=asyncio.FIRST_COMPLETED)
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    results.put(receipts)


async def _listen_raw(
    ws_url: str,
    cookie: str,
    clients: int,
    expected_events: int,
    ready: Queue,
    stop: Queue,
    results: Queue,
) -> None:
    """``_listen_all`` with bare protocols: a receipt is taken as the bytes arrive."""
    receipts: list[tuple[str, float, float]] = []
    done = asyncio.Event()
    target = clients * expected_events

    def on_text(listener: FrameListener, payload: bytes, now: float) -> None:
        if payload == PING:
            listener.send_text('{"type":"pong"}')
            return
        found = CREATED.search(payload)
        if found is None:
            return
        receipts.append((found[2].decode(), now, time.time() - float(found[1])))
        if len(receipts) >= target:
            done.set()

    parsed = urllib.parse.urlsplit(ws_url)
    assert parsed.hostname is not None
    assert parsed.port is not None
    listeners = [
        await FrameListener.connect(parsed.hostname, parsed.port, parsed.path, cookie, on_text)
        for _ in range(clients)
    ]
    ready.put(clients)
    loop = asyncio.get_running_loop()
    finish = loop.run_in_executor(None, stop.get)  # the parent says when to stop
    waiting = asyncio.create_task(done.wait())
    await asyncio.wait([finish, waiting], return_when=asyncio.FIRST_COMPLETED)
    for listener in listeners:
        listener.close()
    results.put(receipts)


def run_case(
    server: LiveServer,
    client: str,
    compression: str | None,
    sender: Account,
    listener: Account,
    clients: int,
    events: int,
    rate: float,
) -> dict[str, float]:
    ws_url = server.url.replace("http", "ws", 1) + "/ws"
    context = get_context("spawn")
    processes_count = max(1, min(4, clients // 25))
    shares = [clients // processes_count] * processes_count
    shares[0] += clients - sum(shares)
    readies = [context.Queue() for _ in shares]
    stops = [context.Queue() for _ in shares]
    results: Queue = context.Queue()
    workers = [
        context.Process(
            target=listener_process,
            args=(
                ws_url,
                server.url,
                listener.cookie,
                share,
                events,
                compression,
                ready,
                stop,
                results,
                client,
            ),
        )
        for share, ready, stop in zip(shares, readies, stops, strict=True)
    ]
    for worker in workers:
        worker.start()
    for ready in readies:
        ready.get(timeout=300)
    pid = server_pid(server)
    idle_cpu_start, idle_wall_start = cpu_seconds(pid), time.perf_counter()
    time.sleep(2)  # a measurement window, not synchronisation
    idle_cpu = (cpu_seconds(pid) - idle_cpu_start) / (time.perf_counter() - idle_wall_start)
    sent_at: dict[str, float] = {}
    cpu_start, wall_start = cpu_seconds(pid), time.perf_counter()
    interval = 1 / rate
    connection = sender.keep_alive()
    for n in range(events):
        text = f"bench {clients} {n}"
        sent_at[text] = time.perf_counter()
        sender.post_message(connection, text)
        delay = wall_start + (n + 1) * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    receipts: list[tuple[str, float, float]] = []
    for _ in workers:
        receipts += results.get(timeout=120)
    wall = max(at for _, at, _ in receipts) - wall_start if receipts else 0.0
    cpu = (cpu_seconds(pid) - cpu_start) / (time.perf_counter() - wall_start)
    for stop in stops:
        stop.put("stop")
    for worker in workers:
        worker.join(30)
    latencies = sorted(at - sent_at[bio] for bio, at, _ in receipts if bio in sent_at)
    from_commit = sorted(delay for bio, _, delay in receipts if bio in sent_at)

    def pct(p: float, values: list[float] = latencies) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] * 1000

    return {
        "clients": clients,
        "expected": clients * events,
        "delivered": len(latencies),
        "p50": pct(0.50),
        "p99": pct(0.99),
        "commit_p50": pct(0.50, from_commit),
        "commit_p99": pct(0.99, from_commit),
        "max": latencies[-1] * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "deliveries_per_s": len(latencies) / wall if wall else 0.0,
        "cpu": cpu * 100,
        "idle_cpu": idle_cpu * 100,
        "rss_mb": int(proc_status(pid)["VmHWM"].split()[0]) / 1024,
        "processes": processes_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,100,1000")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="sender events per second")
    parser.add_argument(
        "--client",
        choices=["raw", "websockets"],
        default="raw",
        help="listeners as bare protocols (light), or with the websockets library",
    )
    parser.add_argument(
        "--no-compression",
        action="store_true",
        help="websockets listeners do not offer permessage-deflate (browsers always do)",
    )
    args = parser.parse_args()
    counts = [int(value) for value in args.clients.split(",")]
    compression = None if args.no_compression or args.client == "raw" else "deflate"
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(
            Path(tmp) / "data",
            tls=False,
            settings={
                "rate_limit_enabled": False,
                "max_event_streams_per_user": 1000,
                "stun_enabled": False,
            },
        )
        server.start()
        try:
            sender = Account(server.url, "sender")
            listener = Account(server.url, "listener")
            rows = [
                run_case(
                    server, args.client, compression, sender, listener, k, args.events, args.rate
                )
                for k in counts
            ]
        finally:
            server.close()
    print(
        f"events per case: {args.events} at {args.rate:g}/s; one Hypercorn worker (uvloop); "
        f"{args.client} listeners"
    )
    print()
    print(
        "| K | listener processes | delivered | p50 ms | p99 ms | max ms | "
        "from commit p50 / p99 ms | deliveries/s | server CPU | idle CPU (K open) | "
        "peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['clients']} | {row['processes']} | {row['delivered']}/{row['expected']} | "
            f"{row['p50']:.1f} | "
            f"{row['p99']:.1f} | {row['max']:.1f} | "
            f"{row['commit_p50']:.1f} / {row['commit_p99']:.1f} | {row['deliveries_per_s']:.0f} | "
            f"{row['cpu']:.0f} % | {row['idle_cpu']:.1f} % | {row['rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
