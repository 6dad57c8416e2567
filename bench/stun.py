"""STUN benchmark: paced Binding Requests from many loopback sources against a real server.

Starts MiniMost under Hypercorn (one uvloop worker, plain HTTP, as in production behind a
TLS proxy) with the bundled STUN server on a free UDP port, then offers each rate for a
few seconds from ``--sources`` sockets bound to 127.0.0.2, 127.0.0.3, ... (all of 127/8
is local on Linux), so the per-source limit sees a crowd of clients rather than one.

    python bench/stun.py --rates 5000,20000,50000 --seconds 2

A request counts as answered when a Binding success carrying its transaction id comes
back before the end of the run plus half a second. While the flood runs, a separate
thread fetches ``/login`` 20 times a second: its median latency shows whether HTTP on the same
event loop still gets served. Server CPU is the worker's, from /proc.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.server import LiveServer

MAGIC_COOKIE = 0x2112A442
REQUEST = struct.Struct("!HHI12s")
GRACE_SECONDS = 0.5


@dataclass
class Result:
    offered: int
    sent: int
    answered: int
    seconds: float
    cpu_percent: float
    login_ms: float | None

    def row(self) -> str:
        loss = 100 * (1 - self.answered / self.sent) if self.sent else 0.0
        login = f"{self.login_ms:.1f}" if self.login_ms is not None else "-"
        return (
            f"| {self.offered:,} | {self.answered / self.seconds:,.0f} | {loss:.1f} % "
            f"| {self.cpu_percent:.0f} % | {login} |"
        )


def worker_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of all threads of a process."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def hypercorn_worker(parent: int) -> int:
    """The worker process Hypercorn spawned (or the parent when it serves by itself)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"spawn_main" in command:
            return int(entry.name)
    return parent


def offer(port: int, rate: int, seconds: float, sources: int) -> tuple[int, int]:
    """Send ``rate`` requests/s for ``seconds``; return (sent, answered)."""
    sockets = []
    for index in range(sources):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"127.0.{index // 250}.{2 + index % 250}", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.setblocking(False)
        sockets.append(sock)
    readable = select.epoll()
    for sock in sockets:
        readable.register(sock, select.EPOLLIN)
    owner = {sock.fileno(): sock for sock in sockets}
    outstanding: set[bytes] = set()
    target = ("127.0.0.1", port)
    total = int(rate * seconds)
    sent = answered = 0
    started = time.perf_counter()
    try:
        while True:
            elapsed = time.perf_counter() - started
            if elapsed > seconds + GRACE_SECONDS:
                break
            due = min(total, int(elapsed * rate) + 1)
            while sent < due:
                tid = os.urandom(12)
                try:
                    sockets[sent % sources].sendto(REQUEST.pack(1, 0, MAGIC_COOKIE, tid), target)
                except (BlockingIOError, ConnectionRefusedError):
                    pass
                else:
                    outstanding.add(tid)
                sent += 1
            for fd, _ in readable.poll(0.0005):
                while True:
                    try:
                        reply = owner[fd].recv(2048)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    if reply[:2] == b"\x01\x01" and reply[8:20] in outstanding:
                        outstanding.discard(reply[8:20])
                        answered += 1
    finally:
        readable.close()
        for sock in sockets:
            sock.close()
    return sent, answered


def probe_login(url: str, stop: threading.Event, timings: list[float]) -> None:
    """Fetch /login 20 times a second (a light, steady HTTP load) until stopped."""
    while not stop.wait(0.05):
        begun = time.perf_counter()
        with urllib.request.urlopen(f"{url}/login", timeout=10) as response:
            response.read()
        timings.append(time.perf_counter() - begun)


def wait_for_answers(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.1)
        while time.monotonic() < deadline:
            sock.sendto(REQUEST.pack(1, 0, MAGIC_COOKIE, os.urandom(12)), ("127.0.0.1", port))
            try:
                if sock.recv(2048)[:2] == b"\x01\x01":
                    return
            except (TimeoutError, ConnectionRefusedError):
                continue
    raise RuntimeError("the STUN server never answered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="5000,20000,50000", help="offered requests/s")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each run")
    parser.add_argument("--sources", type=int, default=200, help="distinct source addresses")
    parser.add_argument("--no-http", action="store_true", help="skip the /login probe")
    args = parser.parse_args()

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="minimost-stun-bench-") as work:
        server = LiveServer(Path(work) / "data", tls=False, settings={"stun_port": port})
        server.start()
        try:
            assert server.process is not None
            worker = hypercorn_worker(server.process.pid)
            wait_for_answers(port)
            print("| offered/s | answered/s | lost | server CPU | /login p50 ms |")
            print("|---:|---:|---:|---:|---:|")
            for rate in (int(part) for part in args.rates.split(",")):
                stop = threading.Event()
                timings: list[float] = []
                prober = threading.Thread(target=probe_login, args=(server.url, stop, timings))
                if not args.no_http:
                    prober.start()
                cpu_before, wall_before = worker_cpu_seconds(worker), time.perf_counter()
                sent, answered = offer(port, rate, args.seconds, args.sources)
                cpu = worker_cpu_seconds(worker) - cpu_before
                wall = time.perf_counter() - wall_before
                stop.set()
                if not args.no_http:
                    prober.join()
                login_ms = 1000 * statistics.median(timings) if timings else None
                result = Result(rate, sent, answered, args.seconds, 100 * cpu / wall, login_ms)
                print(result.row(), flush=True)
        finally:
            server.close()


if __name__ == "__main__":
    main()
