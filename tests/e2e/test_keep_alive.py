"""Refusals on a keep-alive connection: it stays usable, or the answer says it closes.

A client that reuses its connection must never find it dropped after an answer that
did not say ``Connection: close``: the request it sent next would be lost. A raw
HTTP/1.1 client sends each request's headers and body as two writes, as browsers do,
so the server may answer before the body has arrived.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.server import LiveServer

ROUNDS = 420
SMALL_BODY = b'{"content": "' + b"x" * 200 + b'"}'
LARGE_BODY_LENGTH = 2 * 1024 * 1024  # over the whole-request cap of the 1 MB limits set below


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def closes(self) -> bool:
        return "close" in self.headers.get("connection", "").lower()

    def error_code(self) -> str:
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        error = json.loads(self.body)["error"]
        assert error["message"], error
        return str(error["code"])


@dataclass
class RawClient:
    """One HTTP/1.1 connection at a time; counts connections and silent drops."""

    server: LiveServer
    connections: int = 0
    silent_drops: int = 0
    explicit_closes: int = 0
    cookie: str = ""
    _sock: socket.socket | None = None
    _reader: object | None = None

    def _connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.tls:
            context = ssl.create_default_context(cafile=str(self.server.data_dir / "ca.pem"))
            sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
        self._sock = sock
        self._reader = sock.makefile("rb")
        self.connections += 1

    def close(self) -> None:
        if self._sock is not None:
            self._reader.close()  # type: ignore[attr-defined]
            self._sock.close()
        self._sock = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        content_type: str = "application/json",
        length: int | None = None,
        send_body: bool = True,
    ) -> Answer:
        """Send one request (headers, then body) and read its answer.

        If the connection turns out closed although the last answer did not say so,
        that is a silent drop: counted, and the request is sent again on a new one.
        """
        length = len(body) if length is None else length
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
            "Accept: application/json\r\n"
            + (f"Cookie: {self.cookie}\r\n" if self.cookie else "")
            + "\r\n"
        ).encode()
        for _ in range(2):
            if self._sock is None:
                self._connect()
            assert self._sock is not None
            try:
                self._sock.sendall(head)
                if send_body and body:
                    self._sock.sendall(body)
                answer = self._read_answer()
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                answer = None
            if answer is not None:
                if answer.closes:
                    self.explicit_closes += 1
                    self._expect_end()
                return answer
            self.silent_drops += 1
            self.close()
        raise AssertionError("a fresh connection was dropped without an answer")

    def _read_answer(self) -> Answer | None:
        reader = self._reader
        status_line = reader.readline()  # type: ignore[attr-defined]
        if not status_line:
            return None
        status = int(status_line.split()[1])
        headers = {}
        while (line := reader.readline()) not in (b"\r\n", b""):  # type: ignore[attr-defined]
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0")))  # type: ignore[attr-defined]
        return Answer(status, headers, body)

    def _expect_end(self) -> None:
        """After ``Connection: close`` the server must end the connection, and we start anew."""
        with contextlib.suppress(ConnectionResetError, ssl.SSLError):
            assert self._reader.read() == b"", "data after an answer that closes"  # type: ignore[attr-defined]
        self.close()


@pytest.fixture(params=[False, True], ids=["http", "https"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path / "data",
        tls=request.param,
        settings={"max_upload_size_mb": 1, "max_avatar_size_mb": 1},
        check_answers=True,
    )
    live.start()
    yield live
    live.close()
    assert "Traceback" not in live.log()


def session_cookie(client: RawClient) -> str:
    """A visitor's session cookie (it holds the CSRF token the sign-in form checks)."""
    answer = client.request("GET", "/login", send_body=False)
    assert answer.status == 200
    return answer.headers["set-cookie"].split(";", 1)[0]


def test_refused_requests_with_bodies_keep_the_connection(server: LiveServer) -> None:
    """401 for an anonymous API call and 403 for a form without its CSRF token, over and
    over on one connection: every answer arrives and the connection is reused."""
    client = RawClient(server)
    try:
        statuses = []
        for n in range(ROUNDS):
            if n % 2:
                answer = client.request(
                    "POST",
                    "/login",
                    b"username=alice&password=secret",
                    content_type="application/x-www-form-urlencoded",
                )
            else:
                answer = client.request("POST", "/api/channels/general/messages", SMALL_BODY)
            statuses.append((answer.status, answer.error_code()))
    finally:
        client.close()
    assert statuses.count((401, "unauthorized")) == ROUNDS // 2
    assert statuses.count((403, "forbidden")) == ROUNDS // 2
    assert client.silent_drops == 0
    assert client.explicit_closes == 0
    assert client.connections == 1


def test_refusals_of_large_bodies_say_the_connection_closes(server: LiveServer) -> None:
    """A body too large to wait for (or over the cap) is not read: the answer says
    ``Connection: close`` before the body is sent, and the next request goes out on a
    new connection."""
    client = RawClient(server)
    try:
        anonymous = client.request(
            "POST", "/api/channels/general/messages", length=512 * 1024, send_body=False
        )
        assert (anonymous.status, anonymous.error_code()) == (401, "unauthorized")
        assert anonymous.closes
        client.cookie = session_cookie(client)
        too_large = client.request(
            "POST",
            "/login",
            content_type="application/x-www-form-urlencoded",
            length=LARGE_BODY_LENGTH,
            send_body=False,
        )
        assert (too_large.status, too_large.error_code()) == (413, "too_large")
        assert too_large.closes
        after = client.request("POST", "/api/channels/general/messages", SMALL_BODY)
        assert after.status == 401
    finally:
        client.close()
    assert client.silent_drops == 0
    assert client.connections == 3
