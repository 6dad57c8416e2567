"""Exact resume across a real server restart, with a real websocket client."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer

CSRF = re.compile(
    r'name="csrf_token" value="([0-9a-f]{64})"|name="csrf-token" content="([0-9a-f]{64})"'
)


class Browser:
    """Signs up through the real form and keeps its cookies, like a browser would."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = {
            "username": username,
            "password": GOOD_PASSWORD,
            "confirm_password": GOOD_PASSWORD,
            "csrf_token": self.token("/signup"),
        }
        self.opener.open(f"{base}/signup", urllib.parse.urlencode(form).encode(), timeout=30)

    def token(self, path: str) -> str:
        page = self.opener.open(f"{self.base}{path}", timeout=30).read().decode()
        found = CSRF.search(page)
        assert found
        return found.group(1) or found.group(2)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def set_bio(self, bio: str) -> None:
        request = urllib.request.Request(
            f"{self.base}/api/account",
            data=json.dumps({"bio": bio}).encode(),
            method="PATCH",
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.token("/")},
        )
        assert self.opener.open(request, timeout=30).status == 200


def test_resume_is_exact_across_a_server_restart(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", tls=False)
    server.start()
    try:
        alice = Browser(server.url, "alice")
        bob = Browser(server.url, "bob")
        url = server.url.replace("http", "ws", 1) + "/ws"
        with connect(url, origin=server.url, additional_headers={"Cookie": alice.cookie}) as ws:
            last_applied = json.loads(ws.recv(timeout=10))["last_event_id"]
        bob.set_bio("while alice was away")
        server.restart()
        bob.set_bio("after the restart")
        resumed = f"{url}?after={last_applied}"
        with connect(resumed, origin=server.url, additional_headers={"Cookie": alice.cookie}) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            received = []
            while len(received) < 2:
                frame = json.loads(ws.recv(timeout=10))
                if frame["type"] == "event":
                    received.append(frame)
            bob.set_bio("live again")
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
