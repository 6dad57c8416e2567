"""Serving for real: Hypercorn with our config, STUN on the same loop, clean shutdown."""

from __future__ import annotations

import re
import signal
import socket
import ssl
import urllib.request
from pathlib import Path

import pytest
from aioice import stun

from tests.e2e.server import LiveServer


def fetch(url: str, cafile: Path | None = None) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return response.status, response.read().decode()


def test_https_with_the_local_ca_verifies(live_server: LiveServer) -> None:
    status, body = fetch(f"{live_server.url}/login", cafile=live_server.data_dir / "ca.pem")
    assert status == 200
    assert "Sign in" in body
    for name in ("ca.pem", "ca-key.pem", "cert.pem", "key.pem", "secret.key"):
        assert (live_server.data_dir / name).is_file()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_shuts_down_cleanly_within_seconds(live_server: LiveServer, sig: int) -> None:
    fetch(f"{live_server.url}/login", cafile=live_server.data_dir / "ca.pem")
    assert live_server.process is not None
    process = live_server.process
    elapsed = live_server.stop(sig)
    assert elapsed < 5, f"shutdown took {elapsed:.1f} s"
    assert process.returncode == 0, live_server.log()
    assert "Traceback" not in live_server.log()


def test_stun_answers_on_the_serving_loop(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", tls=False, settings={"stun_port": 0}, check_answers=True)
    server.start()
    try:
        status, _body = fetch(f"{server.url}/login")
        assert status == 200
        found = re.search(r"STUN on udp://0\.0\.0\.0:(\d+)", server.log())
        assert found, server.log()
        port = int(found.group(1))
        mapped = binding_request(port)
        assert mapped[0] == "127.0.0.1"
    finally:
        server.close()


def binding_request(port: int) -> tuple[str, int]:
    """One Binding Request from a plain socket, decoded with aioice's codec."""
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.bind(("127.0.0.1", 0))
        client.sendto(bytes(request), ("127.0.0.1", port))
        response = stun.parse_message(client.recv(2048))
        assert response.transaction_id == request.transaction_id
        assert response.attributes["XOR-MAPPED-ADDRESS"] == client.getsockname()
        return response.attributes["XOR-MAPPED-ADDRESS"]
