"""Messaging at scale: a million messages, then reads and sends through real HTTP.

Seeds a data root (MiniMost's migrations, then bulk ``executemany``), starts one
Hypercorn worker (uvloop, plain HTTP on loopback), signs accounts up through the real
forms, and measures over keep-alive connections:

- the newest page of a channel, search (plain and filtered), unread counts;
- sustained sends from concurrent connections (websocket frames as the browser app
  sends them, and HTTP POSTs) into a private channel of their own, fanned out to
  websocket listeners, each of which must receive every message, in commit order.

    python bench/messages.py --messages 1000000 --listeners 50 --sends 10000

Prints Markdown tables. Server CPU time comes from the worker's /proc entry.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import multiprocessing
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from multiprocessing.queues import Queue
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import contextlib
import itertools

from tests.e2e.server import LiveServer, SignedInBrowser

from bench.procstats import cpu_seconds, largest_process, machine_speed_ms
from bench.seeding import Layout, make_layout, seed, set_read_positions, vocabulary
from bench.wire import FrameListener, KeepAlive, WebSocket

PASSWORD = "Bench-password-123!"
READERS = ["alice", "bob", "carol", "dave", "erin"]
SENDERS = ["sender1", "sender2", "sender3", "sender4"]
LISTENER = "listener"
OTHER_AUTHORS = ["frank", "grace", "heidi", "ivan", "judy"]
CREATED = re.compile(
    rb'^\{"type":"event","id":(\d+),"name":"message\.created".*?"data":\{"id":(\d+)'
)


class Account(SignedInBrowser):
    """A browser signed in through the real forms (sign-up, or sign-in when it exists)."""

    def __init__(self, base: str, username: str, *, existing: bool) -> None:
        if not existing:
            super().__init__(base, username, PASSWORD)
            return
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = {"username": username, "password": PASSWORD, "csrf_token": self.csrf_token("/login")}
        self.opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=30)
        self.token = self.csrf_token("/")

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": self.cookie,
            "X-CSRF-Token": self.token,
            "Content-Type": "application/json",
        }


def server_pid(server: LiveServer) -> int:
    """Hypercorn serves from a worker process: the biggest process under the one started."""
    assert server.process is not None
    return largest_process(server.process.pid)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def timed_gets(
    host: str, port: int, account: Account, paths: list[str], warmup: int
) -> list[float]:
    """GET each path in turn on one keep-alive connection; latencies in ms."""
    connection = await KeepAlive(host, port, account.headers()).open()
    latencies = []
    try:
        for index, path in enumerate(paths):
            started = time.perf_counter()
            status, _ = await connection.request("GET", path)
            elapsed = (time.perf_counter() - started) * 1000
            assert status == 200, (path, status)
            if index >= warmup:
                latencies.append(elapsed)
    finally:
        await connection.close()
    return latencies


def read_cases(
    layout: Layout, requests: int, rng: random.Random, messages: int, round_number: int = 0
) -> dict[str, list[str]]:
    """Each case's paths, ``requests`` of them (the first ones serve as warm-up).

    An older page asks for the page before a random point of history, different in
    each round: a first load, whose messages no earlier request encoded.
    """
    points = random.Random(1000 + round_number)
    words = vocabulary(20_000, random.Random(7))
    readable = [*layout.public, *layout.private[:2], *layout.dms[:2]]
    common = ["deploy", "release", "meeting", "database", "tomorrow", "review"]

    def term() -> str:
        kind = rng.random()
        if kind < 0.4:
            return rng.choice(words)
        if kind < 0.7:
            return rng.choice(words)[: rng.randint(3, 5)]
        return rng.choice(common)

    quote = urllib.parse.quote
    return {
        "newest page": [
            f"/api/channels/{quote(rng.choice(readable))}/messages" for _ in range(requests)
        ],
        "older page, first load": [
            f"/api/channels/{quote(points.choice(layout.public))}/messages"
            f"?before={points.randrange(messages // 10, messages)}"
            for _ in range(requests)
        ],
        "search, common word": [
            f"/api/search?q={quote(rng.choice(common))}" for _ in range(requests)
        ],
        "search, rare word": [f"/api/search?q={quote(rng.choice(words))}" for _ in range(requests)],
        "search, mixed terms": [f"/api/search?q={quote(term())}" for _ in range(requests)],
        "search in a channel": [
            f"/api/search?q={quote(term())}&channel={quote(rng.choice(layout.public))}"
            for _ in range(requests)
        ],
        "search, filtered (from + channel)": [
            f"/api/search?q={quote(term())}&from={rng.choice(READERS + OTHER_AUTHORS)}"
            f"&channel={quote(rng.choice(layout.public))}"
            for _ in range(requests)
        ],
        "unread counts": ["/api/unread"] * requests,
        "floor: one read position": ["/api/channels/general/read"] * requests,
    }


def listen_process(
    host: str, port: int, cookie: str, count: int, ready: Queue, expected: Queue, results: Queue
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_listen(host, port, cookie, count, ready, expected, results))


async def _listen(
    host: str, port: int, cookie: str, count: int, ready: Queue, expected: Queue, results: Queue
) -> None:
    """Hold ``count`` sockets; each records (event id, message id, receipt time).

    Bare protocol listeners (``bench.wire.FrameListener``): no task or JSON per frame,
    so the listeners' own cost takes as little as possible of the cores the server uses.
    """
    received: list[list[tuple[int, int, float]]] = [[] for _ in range(count)]
    logs: dict[int, list[tuple[int, int, float]]] = {}
    wanted = {"n": None}
    finished = asyncio.Event()

    def on_text(listener: FrameListener, payload: bytes, now: float) -> None:
        found = CREATED.match(payload)
        if found:
            log = logs[id(listener)]
            log.append((int(found[1]), int(found[2]), now))
            target = wanted["n"]
            if (
                target is not None
                and len(log) >= target
                and all(len(entries) >= target for entries in received)
            ):
                finished.set()
        elif payload == b'{"type":"ping"}':
            listener.send_text('{"type":"pong"}')

    sockets = []
    for index in range(count):
        listener = await FrameListener.connect(host, port, "/ws", cookie, on_text)
        logs[id(listener)] = received[index]
        sockets.append(listener)
    ready.put(count)
    loop = asyncio.get_running_loop()
    wanted["n"] = await loop.run_in_executor(None, expected.get)
    if all(len(entries) >= wanted["n"] for entries in received):
        finished.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(finished.wait(), 120)
    for listener in sockets:
        listener.close()
    results.put(received)


async def send_all(
    host: str,
    port: int,
    senders: list[Account],
    channel: str,
    total: int,
    connections: int,
    over: str,
) -> tuple[list[int], list[float], float, float]:
    """Send ``total`` messages from ``connections`` connections at full speed.

    ``over="api"``: a POST per message on keep-alive HTTP connections. ``over="socket"``:
    a ``message.send`` frame per message on websockets, as the browser app sends; each
    connection waits for its ``message.sent`` answer before the next send.
    """
    rng = random.Random(3)
    words = vocabulary(2_000, rng)
    ids: list[int] = []
    latencies: list[float] = []
    counter = iter(range(total))
    run_id = f"{time.time():.0f}"

    def next_message(number: int) -> dict[str, str]:
        text = " ".join(rng.choices(words, k=rng.randint(3, 20)))
        return {"content": text, "client_id": f"bench-{run_id}-{number}"}

    async def over_api(client: KeepAlive) -> None:
        path = f"/api/channels/{urllib.parse.quote(channel)}/messages"
        for number in counter:
            body = json.dumps(next_message(number)).encode()
            started = time.perf_counter()
            status, reply = await client.request("POST", path, body)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 201, (status, reply[:200])
            ids.append(json.loads(reply)["message"]["id"])

    async def over_socket(socket: WebSocket) -> None:
        for number in counter:
            frame = {"type": "message.send", "channel": channel, **next_message(number)}
            started = time.perf_counter()
            socket.send_text(json.dumps(frame))
            while True:
                opcode, payload = await socket.receive()
                if opcode == 0x9:
                    socket.pong(payload)
                elif payload.startswith(b'{"type":"message.sent"'):
                    break
                elif payload.startswith(b'{"type":"error"'):
                    raise AssertionError(payload[:200])
                elif payload == b'{"type":"ping"}':
                    socket.send_text('{"type":"pong"}')
            latencies.append((time.perf_counter() - started) * 1000)
            ids.append(json.loads(payload)["message"]["id"])

    if over == "api":
        clients = [
            await KeepAlive(host, port, senders[index % len(senders)].headers()).open()
            for index in range(connections)
        ]
        started = time.perf_counter()
        await asyncio.gather(*(over_api(client) for client in clients))
        finished = time.perf_counter()
        for client in clients:
            await client.close()
    else:
        sockets = [
            await WebSocket.connect(host, port, "/ws", senders[index % len(senders)].cookie)
            for index in range(connections)
        ]
        for socket in sockets:
            await socket.receive()  # hello
        started = time.perf_counter()
        await asyncio.gather(*(over_socket(socket) for socket in sockets))
        finished = time.perf_counter()
        for socket in sockets:
            socket.close()
    return ids, latencies, started, finished


def measure_sends(
    server: LiveServer,
    listener: Account,
    senders: list[Account],
    *,
    listeners: int,
    total: int,
    connections: int,
    processes: int,
    over: str,
    channel: str,
) -> dict[str, float]:
    host, port = "127.0.0.1", server.port
    context = multiprocessing.get_context("spawn")
    shares = [listeners // processes] * processes
    shares[0] += listeners - sum(shares)
    ready, results = context.Queue(), context.Queue()
    expected = [context.Queue() for _ in shares]
    workers = [
        context.Process(
            target=listen_process,
            args=(host, port, listener.cookie, share, ready, queue, results),
        )
        for share, queue in zip(shares, expected, strict=True)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    pid = server_pid(server)
    cpu_before = cpu_seconds(pid)
    ids, latencies, started, finished = asyncio.run(
        send_all(host, port, senders, channel, total, connections, over)
    )
    for queue in expected:
        queue.put(total)
    received: list[list[tuple[int, int, float]]] = []
    for _ in workers:
        received += results.get(timeout=180)
    cpu_used = cpu_seconds(pid) - cpu_before
    for worker in workers:
        worker.join(30)
    sent = set(ids)
    complete = 0
    in_order = 0
    last_delivery = started
    for log in received:
        event_ids = [entry[0] for entry in log]
        message_ids = [entry[1] for entry in log]
        if len(message_ids) == len(sent) and set(message_ids) == sent:
            complete += 1
        if all(a < b for a, b in itertools.pairwise(event_ids)) and all(
            a < b for a, b in itertools.pairwise(message_ids)
        ):
            in_order += 1
        if log:
            last_delivery = max(last_delivery, log[-1][2])
    delivered = sum(len(log) for log in received)
    return {
        "sent": len(ids),
        "unique": len(sent),
        "listeners": len(received),
        "complete": complete,
        "in_order": in_order,
        "delivered": delivered,
        "accepted_per_s": len(ids) / (finished - started),
        "delivered_per_s": len(ids) / (last_delivery - started),
        "send_p50": percentile(latencies, 0.5),
        "send_p99": percentile(latencies, 0.99),
        "cpu_ms_per_message": cpu_used * 1000 / len(ids),
        "cpu_share": cpu_used / (last_delivery - started),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--public", type=int, default=50, help="public channels (settings)")
    parser.add_argument("--private", type=int, default=4, help="private channels")
    parser.add_argument("--requests", type=int, default=400, help="timed requests per read case")
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--listener-processes", type=int, default=1)
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16, help="concurrent senders")
    parser.add_argument(
        "--send-over",
        choices=["socket", "api", "both"],
        default="both",
        help="send as websocket frames (as the browser app does), HTTP POSTs, or each in turn",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat the measurements")
    parser.add_argument("--data-dir", type=Path, help="keep the seeded data here (and reuse it)")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-sends", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = args.data_dir or Path(tmp)
        data = base / "data"
        layout = make_layout(args.public, args.private, READERS)
        existing = (data / "users" / "messages.db").exists()
        if not existing:
            timings = seed(data, layout, messages=args.messages, senders=READERS + OTHER_AUTHORS)
            print(
                f"seeded {args.messages:,} messages in {timings['total_s']:.1f} s "
                f"(rows {timings['insert_s']:.1f} s, trigram index {timings['fts_s']:.1f} s)"
            )
        server = LiveServer(
            data,
            tls=False,
            settings={
                "channels": layout.public,
                "rate_limit_enabled": False,
                "max_event_streams_per_user": 1000,
                "stun_enabled": False,
                "message_retention_days": 3650,
                # The seeded data is old and large: housekeeping must not start
                # evicting it in the middle of a measurement.
                "max_message_db_size_mb": 0,
            },
        )
        server.start()
        try:
            names = [*READERS, *SENDERS, LISTENER]
            signed_up = (base / "accounts").exists()
            accounts = {name: Account(server.url, name, existing=signed_up) for name in names}
            if not signed_up:
                set_read_positions(data, layout, READERS)
                (base / "accounts").write_text("\n".join(names))
            for round_number in range(args.rounds):
                print(f"\nround {round_number + 1}")
                speed = machine_speed_ms()
                print(f"machine speed: reference loop {speed:.0f} ms (lower is faster)")
                if not args.skip_reads:
                    reader = accounts["alice"]
                    report_reads(server, reader, layout, args.requests, args.messages, round_number)
                if not args.skip_sends:
                    report_sends(server, accounts, args)
            print(f"\nmachine speed at the end: reference loop {machine_speed_ms():.0f} ms")
        finally:
            server.close()


def report_reads(
    server: LiveServer,
    reader: Account,
    layout: Layout,
    requests: int,
    messages: int,
    round_number: int,
) -> None:
    rng = random.Random(5)
    pid = server_pid(server)
    warmup = 30
    print("\n| request | n | p50 ms | p95 ms | p99 ms | mean ms | server CPU ms/request |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, paths in read_cases(layout, warmup + requests, rng, messages, round_number).items():
        cpu_before = cpu_seconds(pid)
        latencies = asyncio.run(timed_gets("127.0.0.1", server.port, reader, paths, warmup))
        cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / (warmup + len(latencies))
        print(
            f"| {name} | {len(latencies)} | {percentile(latencies, 0.5):.2f} | "
            f"{percentile(latencies, 0.95):.2f} | {percentile(latencies, 0.99):.2f} | "
            f"{statistics.fmean(latencies):.2f} | {cpu_ms:.2f} |"
        )


def sending_channel(accounts: dict[str, Account], members: list[str]) -> str:
    """A new private channel of the senders and the listener for this run's sends.

    Kept apart from the channels the read cases use, so that sends never change what a
    later round reads (a reader's unread count, a channel's newest page).
    """
    creator = accounts[SENDERS[0]]
    body = json.dumps({"name": f"sends {time.time():.0f}", "members": members}).encode()
    request = urllib.request.Request(
        f"{creator.base}/api/private-channels", body, creator.headers(), method="POST"
    )
    with creator.opener.open(request, timeout=30) as response:
        return json.loads(response.read())["channel"]["channel"]


def report_sends(
    server: LiveServer, accounts: dict[str, Account], args: argparse.Namespace
) -> None:
    print(
        "\n| sent over | sends | sender connections | listeners complete / in order | "
        "deliveries | accepted msg/s | delivered msg/s | send p50 / p99 ms | "
        "server CPU ms/msg | server CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    channel = sending_channel(accounts, [*SENDERS[1:], LISTENER])
    for over in ("socket", "api") if args.send_over == "both" else (args.send_over,):
        row = measure_sends(
            server,
            accounts[LISTENER],
            [accounts[name] for name in SENDERS],
            listeners=args.listeners,
            total=args.sends,
            connections=args.connections,
            processes=args.listener_processes,
            over=over,
            channel=channel,
        )
        print(
            f"| {'websocket' if over == 'socket' else 'HTTP POST'} | {row['sent']} | "
            f"{args.connections} | {row['complete']}/{row['listeners']} / "
            f"{row['in_order']}/{row['listeners']} | {row['delivered']} | "
            f"{row['accepted_per_s']:.0f} | {row['delivered_per_s']:.0f} | "
            f"{row['send_p50']:.1f} / {row['send_p99']:.1f} | "
            f"{row['cpu_ms_per_message']:.2f} | {row['cpu_share'] * 100:.0f} % |",
            flush=True,
        )


if __name__ == "__main__":
    main()
