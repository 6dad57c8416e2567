"""Call signalling relay: one user's websocket frame to the other's, through the server.

Two accounts in one call (alice started it in their DM, bob answered) each hold a
websocket to one Hypercorn worker. Alice sends ``call.signal`` frames addressed to bob,
one at a time, each carrying an ICE-candidate-sized or an SDP-offer-sized payload; the
latency of each is from just before alice's send to bob's receipt (one process, one
monotonic clock). Every frame is checked by the server (both users accepted in a live
call) and relayed to bob's connections only, never written anywhere.

    python bench/signalling.py --signals 1000

Prints a Markdown table. Time from accept to ``connected`` in a browser is measured
by the end-to-end call test (``tests/e2e/test_calls.py``), which prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.server import LiveServer, SignedInBrowser

PASSWORD = "Bench-password-123!"
CANDIDATE = {
    "candidate": {
        "candidate": "candidate:842163049 1 udp 1677729535 192.168.1.20 50123 typ srflx "
        "raddr 0.0.0.0 rport 0 generation 0 ufrag 8f1Q network-cost 999",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "8f1Q",
    }
}
OFFER = {"description": {"type": "offer", "sdp": "a=x" * 1500}}


def post(user: SignedInBrowser, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{user.base}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-CSRF-Token": user.token},
    )
    with user.opener.open(request, timeout=30) as response:
        return json.loads(response.read())


async def open_socket(server: LiveServer, user: SignedInBrowser) -> ClientConnection:
    socket = await connect(
        f"ws://127.0.0.1:{server.port}/ws",
        origin=f"http://127.0.0.1:{server.port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": user.cookie},
        compression=None,
    )
    hello = json.loads(await socket.recv())
    assert hello["type"] == "hello", hello
    return socket


async def next_signal(socket: ClientConnection) -> dict:
    while True:
        frame = json.loads(await socket.recv())
        if frame["type"] == "call.signal":
            return frame
        if frame["type"] == "ping":
            await socket.send('{"type":"pong"}')
        elif frame["type"] == "error":
            raise RuntimeError(frame["message"])


async def measure(server: LiveServer, count: int, payload: dict) -> list[float]:
    alice = SignedInBrowser(server.url, "alice", PASSWORD)
    bob = SignedInBrowser(server.url, "bob", PASSWORD)
    call = post(alice, "/api/calls", {"channel": "dm:alice:bob"})["call"]
    post(bob, f"/api/calls/{call['call_id']}/accept", {})
    sender = await open_socket(server, alice)
    receiver = await open_socket(server, bob)
    latencies = []
    try:
        for index in range(count + 20):
            frame = {"type": "call.signal", "call_id": call["call_id"], "to": "bob"}
            text = json.dumps({**frame, "data": {**payload, "n": index}})
            started = time.perf_counter()
            await sender.send(text)
            received = await next_signal(receiver)
            elapsed = time.perf_counter() - started
            assert received["data"]["n"] == index
            # The server allows 20 frames a second per socket (burst 60): stay under it.
            await asyncio.sleep(0.06)
            if index >= 20:  # the first frames warm up the connections
                latencies.append(elapsed * 1000)
    finally:
        await sender.close()
        await receiver.close()
        post(alice, f"/api/calls/{call['call_id']}/leave", {})
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signals", type=int, default=500)
    args = parser.parse_args()
    print("| payload | frame bytes | signals | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, payload in (("ICE candidate", CANDIDATE), ("SDP offer", OFFER)):
        with tempfile.TemporaryDirectory() as tmp:
            server = LiveServer(Path(tmp) / "data", tls=False)
            server.start()
            try:
                latencies = asyncio.run(measure(server, args.signals, payload))
            finally:
                server.close()
        size = len(json.dumps({"type": "call.signal", "call_id": "x" * 36, "data": payload}))
        print(
            f"| {name} | {size} | {len(latencies)} | {statistics.median(latencies):.2f} | "
            f"{percentile(latencies, 0.9):.2f} | {percentile(latencies, 0.99):.2f} | "
            f"{max(latencies):.2f} |"
        )


if __name__ == "__main__":
    main()
