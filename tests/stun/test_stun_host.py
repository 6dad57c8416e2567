"""Where the STUN server listens: the serving host by default, the stun_host setting if set."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
import sys
from pathlib import Path

import pytest
from aioice.stun import Class, Message, Method, parse_message

from minimost.runtime import get_runtime
from minimost.settings import SettingsError
from minimost.stun.server import StunServer
from tests.conftest import AppFactory

TIMEOUT = 10.0


# Linux reports an ICMP "port unreachable" to an unconnected UDP socket with these set.
IP_RECVERR = 11
IPV6_RECVERR = 25


async def ask(host: str, port: int) -> tuple[str, int] | None:
    """A Binding Request to host:port: the mapped address, or None if nothing listens there.

    The socket stays unconnected, as a browser's: a server bound to all interfaces answers
    from the address its route picks, which need not be the one asked.
    """
    loop = asyncio.get_running_loop()
    ipv6 = ":" in host
    request = Message(Method.BINDING, Class.REQUEST)
    with socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        if ipv6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
        sock.setblocking(False)
        sock.bind(("::1" if ipv6 else "127.0.0.1", 0))
        sock.sendto(bytes(request), (host, port))
        try:
            reply = parse_message(await asyncio.wait_for(loop.sock_recv(sock, 2048), TIMEOUT))
        except ConnectionRefusedError:
            return None
        client = sock.getsockname()[:2]
    assert reply.message_class == Class.RESPONSE
    assert reply.transaction_id == request.transaction_id
    mapped = reply.attributes["XOR-MAPPED-ADDRESS"]
    assert mapped == client
    return mapped


def stun_of(app: object) -> StunServer:
    server = get_runtime(app).services.stun  # type: ignore[arg-type]
    assert isinstance(server, StunServer)
    return server


def stun_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("STUN")]


async def test_serving_host_keeps_stun_off_other_interfaces(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="minimost.stun")
    app = make_app(config={"SERVING_HOST": "127.0.0.1"})
    async with app.test_app():
        port = stun_of(app).port
        assert await ask("127.0.0.1", port) is not None
        assert await ask("127.0.0.2", port) is None, "another interface's address"
        assert await ask("::1", port) is None
    assert stun_lines(caplog) == [f"STUN on udp://127.0.0.1:{port}"]


async def test_ipv6_serving_host(make_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="minimost.stun")
    app = make_app(config={"SERVING_HOST": "::1"})
    async with app.test_app():
        port = stun_of(app).port
        assert await ask("::1", port) is not None
        assert await ask("127.0.0.1", port) is None
    assert stun_lines(caplog) == [f"STUN on udp://[::1]:{port}"]


async def test_stun_host_setting_wins_over_the_serving_host(make_app: AppFactory) -> None:
    app = make_app(stun_host="0.0.0.0", config={"SERVING_HOST": "127.0.0.1"})
    async with app.test_app():
        server = stun_of(app)
        assert server.addresses == [("0.0.0.0", server.port), ("::", server.port)]
        assert await ask("127.0.0.2", server.port) is not None
    app = make_app(stun_host="127.0.0.1", config={"SERVING_HOST": "0.0.0.0"})
    async with app.test_app():
        server = stun_of(app)
        assert server.addresses == [("127.0.0.1", server.port)]
        assert await ask("127.0.0.2", server.port) is None


async def test_host_name_is_resolved(make_app: AppFactory) -> None:
    app = make_app(stun_host="localhost")
    async with app.test_app():
        server = stun_of(app)
        assert server.addresses[0] == ("127.0.0.1", server.port)
        assert await ask("127.0.0.1", server.port) is not None
        assert await ask("127.0.0.2", server.port) is None


async def test_unknown_serving_host_means_all_interfaces(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """An app served by the hypercorn command cannot see its bind: STUN serves everywhere."""
    caplog.set_level(logging.INFO, logger="minimost.stun")
    app = make_app()
    async with app.test_app():
        port = stun_of(app).port
        assert await ask("127.0.0.2", port) is not None
        assert await ask("::1", port) is not None
    assert stun_lines(caplog) == [f"STUN on udp://0.0.0.0:{port}, udp://[::]:{port}"]


async def test_an_address_not_on_this_machine_is_logged_and_the_app_serves(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="minimost.stun")
    app = make_app(stun_host="192.0.2.1")
    async with app.test_app():
        assert get_runtime(app).services.stun is None
        assert (await app.test_client().get("/login")).status_code == 200
    [line] = stun_lines(caplog)
    assert line.startswith("STUN server could not listen on udp://192.0.2.1:0 (")
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


@pytest.mark.parametrize("value", ["*.lan", "not a host", "1.2.3.4:5", 3478, None])
def test_invalid_stun_host_names_the_setting(make_app: AppFactory, value: object) -> None:
    with pytest.raises(SettingsError, match='setting "stun_host" in overrides must be ""'):
        make_app(stun_host=value)


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_minimost_command_serves_stun_on_its_host(tmp_path: Path) -> None:
    """``minimost --host 127.0.0.1``: HTTP and STUN both on loopback, and it says so."""
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"stun_port": 0}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIMOST_")}
    env.update(
        MINIMOST_DATA_DIR=str(tmp_path / "data"),
        MINIMOST_SETTINGS=str(settings),
        MINIMOST_SKIP_TLS="1",
        MINIMOST_SKIP_CLEANUP="1",
        PYTHONUNBUFFERED="1",
    )
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "minimost", "--host", "127.0.0.1", "--port", str(free_tcp_port())],
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        while not any("Running on" in line for line in seen):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "the server exited: " + "".join(seen)
            seen.append(line.decode())
        urls = [m.group(1) for m in map(re.compile(r"STUN on (udp://\S*)$").search, seen) if m]
        assert len(urls) == 1, "".join(seen)
        found = re.fullmatch(r"udp://127\.0\.0\.1:(\d+)", urls[0])
        assert found, urls[0]
        port = int(found.group(1))
        assert await ask("127.0.0.1", port) is not None
        assert await ask("127.0.0.2", port) is None
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), TIMEOUT)
