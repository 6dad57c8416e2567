"""SIGTERM with connections still open: a prompt exit and a log without tracebacks."""

from __future__ import annotations

import json
import signal
import socket
import ssl
from contextlib import ExitStack

import pytest
from websockets.sync.client import connect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import REPO_ROOT, LiveServer, SignedInBrowser

GRACEFUL_TIMEOUT = 3  # hypercorn.toml


def test_production_config_keeps_its_graceful_timeout() -> None:
    assert f"graceful_timeout = {GRACEFUL_TIMEOUT}\n" in (REPO_ROOT / "hypercorn.toml").read_text()


def keep_alive_request(port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    """An HTTPS connection that has had one answer and stays open for the next request."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection = context.wrap_socket(raw, server_hostname="127.0.0.1")
    connection.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert connection.recv(64).startswith(b"HTTP/1.1 200")
    return connection


def test_sigterm_with_open_websockets_and_keep_alive_is_quiet(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = live_server.data_dir / "ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    context = ssl.create_default_context(cafile=str(ca))
    alice = SignedInBrowser(live_server.url, "alice", GOOD_PASSWORD)
    url = live_server.url.replace("https", "wss", 1) + "/ws"
    with ExitStack() as open_connections:
        for _ in range(3):
            ws = open_connections.enter_context(
                connect(
                    url,
                    ssl=context,
                    origin=live_server.url,
                    additional_headers={"Cookie": alice.cookie},
                )
            )
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        open_connections.enter_context(keep_alive_request(live_server.port, context))
        assert live_server.process is not None
        process = live_server.process

        elapsed = live_server.stop(signal.SIGTERM)

    assert elapsed < GRACEFUL_TIMEOUT + 2, f"shutdown took {elapsed:.1f} s"
    assert process.returncode == 0, live_server.log()
    log = live_server.log()
    assert "Traceback" not in log, log
    assert "Exception in callback" not in log, log
