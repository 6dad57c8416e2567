"""Services on the app's loop: STUN follows its settings, everything stops with the app."""

from __future__ import annotations

import asyncio
import socket

from aioice import stun
from quart import Quart, render_template_string

from minimost.runtime import get_runtime, need
from minimost.stun.server import StunServer
from tests.conftest import AppFactory
from tests.helpers.network import free_udp_port


async def binding_request(port: int) -> tuple[str, int]:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.setblocking(False)
        client.bind(("127.0.0.1", 0))
        request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
        await loop.sock_sendto(client, bytes(request), ("127.0.0.1", port))
        data = await asyncio.wait_for(loop.sock_recv(client, 2048), 5)
        response = stun.parse_message(data)
        assert response.transaction_id == request.transaction_id
        return response.attributes["XOR-MAPPED-ADDRESS"]


async def test_stun_serves_on_the_configured_port_while_the_app_serves(
    make_app: AppFactory,
) -> None:
    port = free_udp_port()
    app = make_app(stun_port=port)
    async with app.test_app():
        server = get_runtime(app).services.stun
        assert isinstance(server, StunServer)
        assert server.port == port
        client = await binding_request(port)
        assert client[0] == "127.0.0.1"
        assert server.stats.answered == 1
    assert get_runtime(app).services.stun is None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rebind:
        rebind.bind(("0.0.0.0", port))  # the port was released on shutdown


async def test_pages_tell_the_browser_the_bound_stun_port(app: Quart) -> None:
    server = get_runtime(app).services.stun
    assert isinstance(server, StunServer)
    bound = server.port
    assert bound > 0
    async with app.app_context():
        assert await render_template_string("{{ stun_port }}") == str(bound)


async def test_stun_can_be_switched_off(make_app: AppFactory) -> None:
    port = free_udp_port()
    app = make_app(stun_enabled=False, stun_port=port)
    async with app.test_app():
        assert get_runtime(app).services.stun is None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("0.0.0.0", port))  # nobody holds the port


async def test_a_busy_stun_port_does_not_stop_the_app(make_app: AppFactory) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("0.0.0.0", 0))
        app = make_app(stun_port=squatter.getsockname()[1])
        async with app.test_app():
            assert get_runtime(app).services.stun is None
            assert (await app.test_client().get("/login")).status_code == 200


async def test_housekeeping_scheduler_runs_only_while_serving(make_app: AppFactory) -> None:
    app = make_app(config={"HOUSEKEEPING": True, "HOUSEKEEPING_FIRST_RUN_SECONDS": 0.01})
    housekeeper = need(get_runtime(app).services.housekeeping, "housekeeping")
    async with app.test_app():
        assert await asyncio.wait_for(housekeeper.wait_for_runs(1), 10) >= 1
        assert housekeeper.scheduler is not None
        assert housekeeper.scheduler.running
    assert not housekeeper.scheduler.running
