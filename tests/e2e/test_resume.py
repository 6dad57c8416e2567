"""Exact resume across a real server restart, with a real websocket client."""

from __future__ import annotations

import json
from pathlib import Path

from websockets.sync.client import connect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer, SignedInBrowser


def test_resume_is_exact_across_a_server_restart(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", tls=False, check_answers=True)
    server.start()
    try:
        alice = SignedInBrowser(server.url, "alice", GOOD_PASSWORD)
        bob = SignedInBrowser(server.url, "bob", GOOD_PASSWORD)
        url = server.url.replace("http", "ws", 1) + "/ws"
        with connect(url, origin=server.url, additional_headers={"Cookie": alice.cookie}) as ws:
            last_applied = json.loads(ws.recv(timeout=10))["last_event_id"]
        assert bob.api("PATCH", "/api/account", {"bio": "while alice was away"}) == 200
        server.restart()
        assert bob.api("PATCH", "/api/account", {"bio": "after the restart"}) == 200
        resumed = f"{url}?after={last_applied}"
        with connect(resumed, origin=server.url, additional_headers={"Cookie": alice.cookie}) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            received = []
            while len(received) < 2:
                frame = json.loads(ws.recv(timeout=10))
                if frame["type"] == "event":
                    received.append(frame)
            assert bob.api("PATCH", "/api/account", {"bio": "live again"}) == 200
            while (frame := json.loads(ws.recv(timeout=10)))["type"] != "event":
                pass
            received.append(frame)
    finally:
        server.close()
    assert [event["data"]["bio"] for event in received] == [
        "while alice was away",
        "after the restart",
        "live again",
    ]
    assert [event["id"] for event in received] == [
        last_applied + 1,
        last_applied + 2,
        last_applied + 3,
    ]
