"""Call signalling relay: how long one participant's ICE candidate takes to reach the other.

Both servers get the same workload: alice starts a call in her DM with bob, bob accepts,
and alice sends ``signals`` small ICE-candidate signals spaced 0.1–0.5 s apart (as ICE
gathering spaces them; the same seeded spacing for both). Latency runs from just before
alice's send to bob's receipt, on one monotonic clock.

- 0.0.4: ``POST /calls/<id>/signal``; bob's page polls ``GET /calls/<id>/signals`` every
  600 ms, as 0.0.4's client does.
- ours: ``POST /api/calls``, ``POST /api/calls/<id>/accept``, then ``call.signal`` frames
  over alice's websocket, relayed to bob's websocket (``{"type": "call.signal", "call_id",
  "to", "data"}`` in, ``{"type": "call.signal", "call_id", "from", "data"}`` out). A build
  without calls answers ``{"available": False, "reason": ...}`` instead of figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import random
import statistics
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.accounts import Account, OriginalAccount
from bench.procstats import percentile

POLL_INTERVAL_S = 0.6  # 0.0.4's call page polls for signals this often
DRAIN_S = 5.0
HEARTBEAT_EVERY_S = 10.0  # our calls drop a participant after 30 s without one
CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 192.168.1.20 50123 typ srflx "
    "raddr 0.0.0.0 rport 0 generation 0 ufrag 8f1Q network-cost 999",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "8f1Q",
}


class CallsUnavailableError(Exception):
    """The server under test has no call signalling to measure."""


def spacing(signals: int) -> list[float]:
    """Pauses between signals: the same seeded sequence for every server."""
    chooser = random.Random(7)
    return [chooser.uniform(0.1, 0.5) for _ in range(signals)]


def figures(sent: dict[int, float], received: dict[int, float]) -> dict[str, Any]:
    delays = sorted(received[seq] - sent[seq] for seq in received if seq in sent)
    return {
        "available": True,
        "signals": len(sent),
        "relayed": len(delays),
        "p50": percentile(delays, 0.5) * 1000 if delays else None,
        "p95": percentile(delays, 0.95) * 1000 if delays else None,
        "max": delays[-1] * 1000 if delays else None,
    }


# --- 0.0.4: POST a signal, the other side polls --------------------------------------------


def original(base: str, signals: int) -> dict[str, Any]:
    caller = OriginalAccount(base, "alice")
    callee = OriginalAccount(base, "bob")
    _, started = caller.post_json("/calls/initiate", {"channel": "dm:alice:bob"})
    call = started["call_id"]
    _, accepted = callee.post_json(f"/calls/{call}/accept", {})
    received: dict[int, float] = {}
    stop = threading.Event()
    poll_errors: queue.Queue[str] = queue.Queue()

    def poll(after: int = accepted.get("last_signal_id", 0)) -> None:
        """Bob's page: GET the call's signals every 600 ms."""
        while not stop.wait(POLL_INTERVAL_S):
            try:
                _, body = callee.get(f"/calls/{call}/signals?after={after}")
            except OSError as error:
                poll_errors.put(type(error).__name__)
                continue
            now = time.perf_counter()
            for item in json.loads(body):
                received.setdefault(item["payload"]["seq"], now)
                after = max(after, item["id"])

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    sent: dict[int, float] = {}
    posts = []
    try:
        for seq, pause in enumerate(spacing(signals)):
            sent[seq] = time.perf_counter()
            caller.post_json(
                f"/calls/{call}/signal",
                {"to": "bob", "type": "ice_candidate", "payload": {"seq": seq, **CANDIDATE}},
            )
            posts.append(time.perf_counter() - sent[seq])
            time.sleep(pause)  # the sender's pacing
        deadline = time.perf_counter() + DRAIN_S
        while len(received) < len(sent) and time.perf_counter() < deadline:
            time.sleep(0.05)  # waiting for the poller thread, bounded
    finally:
        stop.set()
        poller.join(5)
    result = figures(sent, dict(received))
    result["post_p50"] = statistics.median(posts) * 1000
    result["poll_interval_ms"] = POLL_INTERVAL_S * 1000
    result["poll_errors"] = poll_errors.qsize()
    return result


# --- ours: websocket frames relayed by the server ------------------------------------------


def _post(account: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{account.base}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-CSRF-Token": account.token},
    )
    with account.opener.open(request, timeout=15) as response:
        return json.loads(response.read() or b"null")


def _check_build(account: Account) -> None:
    """Raise CallsUnavailableError when this build's API has no calls."""
    try:
        with account.opener.open(f"{account.base}/openapi.json", timeout=15) as response:
            paths = json.loads(response.read()).get("paths", {})
    except urllib.error.HTTPError:
        return  # no API description: starting a call below tells
    if "/api/calls" not in paths:
        raise CallsUnavailableError("this build has no /api/calls")


def _start_call(alice: Account, bob: Account) -> str:
    _check_build(alice)
    try:
        call = _post(alice, "/api/calls", {"channel": "dm:alice:bob"})["call"]
    except urllib.error.HTTPError as error:
        if error.code in (404, 405):
            raise CallsUnavailableError(f"POST /api/calls answers HTTP {error.code}") from None
        raise
    _post(bob, f"/api/calls/{call['call_id']}/accept", {})
    return call["call_id"]


async def _open(account: Account) -> ClientConnection:
    host = account.base.removeprefix("http://")
    socket = await connect(
        f"ws://{host}/ws",
        origin=account.base,  # type: ignore[arg-type]
        additional_headers={"Cookie": account.cookie},
        compression=None,
        open_timeout=10,
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    if hello.get("type") != "hello":
        raise RuntimeError(f"unexpected first frame {hello}")
    return socket


async def _read(
    socket: ClientConnection,
    received: dict[int, float],
    refusals: list[str],
    arrived: asyncio.Event,
) -> None:
    """Record each relayed signal's arrival; answer pings; keep refusals."""
    async for raw in socket:
        now = time.perf_counter()
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "call.signal":
            received.setdefault(frame["data"]["seq"], now)
            arrived.set()
        elif kind == "ping":
            await socket.send('{"type":"pong"}')
        elif kind == "error":
            refusals.append(frame.get("message", "error"))
            arrived.set()


async def _relay(alice: Account, bob: Account, call_id: str, signals: int) -> dict[str, Any]:
    sender, receiver = await _open(alice), await _open(bob)
    received: dict[int, float] = {}
    refusals: list[str] = []
    arrived = asyncio.Event()
    readers = [
        asyncio.create_task(_read(receiver, received, refusals, arrived)),
        asyncio.create_task(_read(sender, {}, refusals, arrived)),
    ]
    sent: dict[int, float] = {}
    last_heartbeat = time.perf_counter()
    try:
        for seq, pause in enumerate(spacing(signals)):
            frame = {"type": "call.signal", "call_id": call_id, "to": "bob"}
            text = json.dumps({**frame, "data": {"candidate": CANDIDATE, "seq": seq}})
            sent[seq] = time.perf_counter()
            await sender.send(text)
            await asyncio.sleep(pause)  # the sender's pacing
            if refusals and not received:
                break  # the build does not relay the frame at all
            if time.perf_counter() - last_heartbeat > HEARTBEAT_EVERY_S:
                for account in (alice, bob):
                    await asyncio.to_thread(_post, account, f"/api/calls/{call_id}/heartbeat", {})
                last_heartbeat = time.perf_counter()
        deadline = time.perf_counter() + DRAIN_S
        while len(received) < len(sent) and not refusals:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), left)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await sender.close()
        await receiver.close()
    if refusals and not received:
        raise CallsUnavailableError(f"the server refused call.signal: {refusals[0]}")
    result = figures(sent, received)
    result["refused"] = len(refusals)
    return result


def ours(base: str, signals: int) -> dict[str, Any]:
    alice = Account(base, "alice")
    bob = Account(base, "bob")
    try:
        call_id = _start_call(alice, bob)
        result = asyncio.run(_relay(alice, bob, call_id, signals))
    except CallsUnavailableError as missing:
        return {"available": False, "reason": str(missing)}
    with contextlib.suppress(OSError):
        _post(alice, f"/api/calls/{call_id}/leave", {})
    return result
