"""Fan-out benchmark: K websocket listeners in one channel, one sender, one Hypercorn worker.

The sender sends messages to ``general`` as ``message.send`` frames on its websocket, as
the browser app does (``--send-over api``: POSTs to the JSON API); each is written with
its event in one transaction, published, and delivered to every listener's websocket.
Latency is measured from just before the sender's send to each listener's receipt, on
the machine's monotonic clock, shared by all processes.

    python bench/fanout.py --clients 1,100,1000 --events 200 --rate 20

Prints a Markdown table; server CPU and peak RSS come from /proc. "From commit" is the
same delivery measured from the event's own timestamp, stamped inside the writing
transaction: the fan-out alone, without the sender's request.

The listeners share the machine with the server. By default they are bare protocols
(``ws-raw`` in ``bench/listeners.py``) so that a thousand of them leave the CPU to the
server; ``--client websockets`` runs them on the ``websockets`` library, as earlier
figures did.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.server import LiveServer

from bench.accounts import Account
from bench.listeners import ListenerPool, Target
from bench.procstats import (
    StallWatch,
    cpu_seconds,
    largest_process,
    machine_speed_ms,
    percentile,
    proc_status,
)


def run_case(
    server: LiveServer,
    protocol: str,
    compression: str | None,
    sender: Account,
    listener: Account,
    clients: int,
    events: int,
    rate: float,
    over: str,
    watch: StallWatch,
) -> dict[str, Any]:
    pool = ListenerPool(
        Target(protocol, "127.0.0.1", server.port, listener.cookie, compression=compression),
        clients,
    )
    opened = pool.open(timeout=300)
    assert server.process is not None
    pid = largest_process(server.process.pid)  # Hypercorn serves from its worker process
    idle_cpu_start, idle_wall_start = cpu_seconds(pid), time.perf_counter()
    time.sleep(2)  # a measurement window, not synchronisation
    idle_cpu = (cpu_seconds(pid) - idle_cpu_start) / (time.perf_counter() - idle_wall_start)
    sent_at: dict[str, float] = {}
    cpu_start, wall_start = cpu_seconds(pid), time.perf_counter()
    interval = 1 / rate
    send = sender.send if over == "socket" else sender.post
    for n in range(events):
        text = f"bench {clients} {n}"
        sent_at[text] = time.perf_counter()
        send(text)
        delay = wall_start + (n + 1) * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    pool.wait_for(opened.connected * events, time.perf_counter() + 120)
    cpu = (cpu_seconds(pid) - cpu_start) / (time.perf_counter() - wall_start)
    receipts = pool.close()
    mine = [(at, since) for text, at, since in receipts if text in sent_at]
    wall = max(at for at, _ in mine) - wall_start if mine else 0.0
    latencies = sorted(at - sent_at[text] for text, at, _ in receipts if text in sent_at)
    from_commit = sorted(since for _, since in mine)
    delivered_by: dict[str, float] = {}
    for text, at, _ in receipts:
        if text in sent_at:
            delivered_by[text] = max(at, delivered_by.get(text, at))
    across_stall = {
        text for text, last in delivered_by.items() if watch.within(sent_at[text], last)
    }
    clear = sorted(
        at - sent_at[text]
        for text, at, _ in receipts
        if text in sent_at and text not in across_stall
    )

    def pct(p: float, values: list[float] = latencies) -> float:
        return percentile(values, p) * 1000

    return {
        "clients": clients,
        "expected": clients * events,
        "delivered": len(latencies),
        "p50": pct(0.50),
        "p99": pct(0.99),
        "commit_p50": pct(0.50, from_commit),
        "commit_p99": pct(0.99, from_commit),
        "stalls": watch.summary(wall_start, max(delivered_by.values(), default=wall_start)),
        "events_across_stall": len(across_stall),
        "clear_p99": pct(0.99, clear),
        "max": latencies[-1] * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "deliveries_per_s": len(latencies) / wall if wall else 0.0,
        "cpu": cpu * 100,
        "idle_cpu": idle_cpu * 100,
        "rss_mb": int(proc_status(pid)["VmHWM"].split()[0]) / 1024,
        "processes": len(pool.processes),
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
    parser.add_argument(
        "--send-over",
        choices=["socket", "api"],
        default="socket",
        help="the sender's messages as websocket frames (as the browser app sends) or POSTs",
    )
    args = parser.parse_args()
    counts = [int(value) for value in args.clients.split(",")]
    protocol = "ws-raw" if args.client == "raw" else "ws"
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
        speed_before = machine_speed_ms()
        try:
            sender = Account(server.url, "sender")
            listener = Account(server.url, "listener")
            with StallWatch() as watch:
                rows = [
                    run_case(
                        server,
                        protocol,
                        compression,
                        sender,
                        listener,
                        k,
                        args.events,
                        args.rate,
                        args.send_over,
                        watch,
                    )
                    for k in counts
                ]
        finally:
            server.close()
    speed_after = machine_speed_ms()
    print(
        f"machine speed: reference loop {speed_before:.0f} ms before, {speed_after:.0f} ms "
        "after (lower is faster)"
    )
    print(
        f"events per case: {args.events} at {args.rate:g}/s; one Hypercorn worker (uvloop); "
        f"{args.client} listeners; sent over "
        f"{'the websocket' if args.send_over == 'socket' else 'HTTP POST'}"
    )
    print()
    print(
        "| K | listener processes | delivered | p50 ms | p99 ms | max ms | "
        "from commit p50 / p99 ms | deliveries/s | server CPU | idle CPU (K open) | "
        "peak RSS MB | machine stalls | events across one | p99 of the rest ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['clients']} | {row['processes']} | {row['delivered']}/{row['expected']} | "
            f"{row['p50']:.1f} | "
            f"{row['p99']:.1f} | {row['max']:.1f} | "
            f"{row['commit_p50']:.1f} / {row['commit_p99']:.1f} | {row['deliveries_per_s']:.0f} | "
            f"{row['cpu']:.0f} % | {row['idle_cpu']:.1f} % | {row['rss_mb']:.0f} | "
            f"{row['stalls']} | {row['events_across_stall']} | {row['clear_p99']:.1f} |"
        )


if __name__ == "__main__":
    main()
