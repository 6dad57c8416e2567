"""Signed-in clients of each server, sending the way its own browser client sends."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.server import SignedInBrowser

from bench.wire import BlockingSocket

PASSWORD = "Bench-password-123!"
REQUEST_TIMEOUT = 15.0
# A send not answered in this long counts as failed (a user would have given up).
SEND_TIMEOUT = 5.0
FORM_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


class SendError(Exception):
    pass


class Account(SignedInBrowser):
    """A MiniMost account. ``send`` goes over its websocket as a ``message.send`` frame, as
    the browser app sends text; ``post_message`` uses the JSON API on a kept-alive
    connection."""

    def __init__(self, base: str, username: str) -> None:
        super().__init__(base, username, PASSWORD)
        self._connection: http.client.HTTPConnection | None = None
        self._socket: BlockingSocket | None = None

    def keep_alive(self) -> http.client.HTTPConnection:
        """One persistent connection, as a browser keeps one open to the server."""
        parsed = urllib.parse.urlsplit(self.base)
        return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=SEND_TIMEOUT)

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
        if response.status != 201:
            raise SendError(f"HTTP {response.status}")

    def send(self, text: str) -> None:
        """Send over the websocket and wait for the answer; reopen it once if it closed."""
        for attempt in (1, 2):
            if self._socket is None:
                parsed = urllib.parse.urlsplit(self.base)
                self._socket = BlockingSocket(
                    parsed.hostname or "127.0.0.1",
                    parsed.port or 80,
                    "/ws",
                    self.cookie,
                    SEND_TIMEOUT,
                )
            try:
                self._send_frame(self._socket, text)
                return
            except ConnectionError:
                self._socket.close()
                self._socket = None
                if attempt == 2:
                    raise
            except OSError:
                self._socket.close()
                self._socket = None
                raise

    @staticmethod
    def _send_frame(socket: BlockingSocket, text: str) -> None:
        client_id = uuid.uuid4().hex
        frame = {"type": "message.send", "channel": "general", "content": text}
        socket.send_text(json.dumps({**frame, "client_id": client_id}))
        answer, refusal = b'"type":"message.sent"', b'"type":"error"'
        while True:
            opcode, payload = socket.receive()
            if opcode != 0x1 or client_id.encode() not in payload:
                continue
            if answer in payload[:40]:
                return
            if refusal in payload[:40]:
                raise SendError(json.loads(payload).get("message", "refused"))

    def post(self, text: str) -> None:
        """Send through the JSON API, reopening the kept-alive connection once if closed."""
        _send_with_reconnect(self, text)

    def get(self, path: str) -> tuple[int, bytes]:
        return _get(self, path)


class OriginalAccount:
    """A 0.0.4 account made through its sign-up form; sends as its chat page does."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/signup", timeout=REQUEST_TIMEOUT).read().decode()
        token = FORM_TOKEN.search(page)
        assert token, "no CSRF token on the sign-up form"
        form = {
            "username": username,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
            "csrf_token": token.group(1),
        }
        self.opener.open(
            f"{base}/signup", urllib.parse.urlencode(form).encode(), timeout=REQUEST_TIMEOUT
        )
        assert any(cookie.name == "session" for cookie in self.jar), "sign-up failed"
        self._connection: http.client.HTTPConnection | None = None

    @property
    def cookie(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def keep_alive(self) -> http.client.HTTPConnection:
        parsed = urllib.parse.urlsplit(self.base)
        return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=SEND_TIMEOUT)

    def post_message(self, connection: http.client.HTTPConnection, text: str) -> None:
        """``POST /send/general`` as multipart form data with a ``text`` field."""
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
            f"{text}\r\n--{boundary}--\r\n"
        ).encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": self.cookie,
        }
        connection.request("POST", "/send/general", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SendError(f"HTTP {response.status}")

    def send(self, text: str) -> None:
        _send_with_reconnect(self, text)

    def get(self, path: str) -> tuple[int, bytes]:
        return _get(self, path)

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")


def _send_with_reconnect(account: Account | OriginalAccount, text: str) -> None:
    for attempt in (1, 2):
        if account._connection is None:
            account._connection = account.keep_alive()
        try:
            account.post_message(account._connection, text)
            return
        except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
            account._connection.close()
            account._connection = None
            if attempt == 2:
                raise
        except OSError:
            account._connection.close()
            account._connection = None
            raise


def _get(account: Account | OriginalAccount, path: str) -> tuple[int, bytes]:
    """A GET on the kept-alive connection (the caller times it)."""
    if account._connection is None:
        account._connection = account.keep_alive()
    headers = {"Cookie": account.cookie}
    try:
        account._connection.request("GET", path, headers=headers)
        response = account._connection.getresponse()
        return response.status, response.read()
    except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
        account._connection.close()
        account._connection = account.keep_alive()
        account._connection.request("GET", path, headers=headers)
        response = account._connection.getresponse()
        return response.status, response.read()
