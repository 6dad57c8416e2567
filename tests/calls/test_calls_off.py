"""``calls_enabled: false``: no call API, call frames refused, no STUN, no call buttons."""

from __future__ import annotations

import json
import socket as sockets
from typing import Any

import pytest
from quart import Quart

from minimost.runtime import get_runtime
from tests.conftest import AppFactory, UserClient, sign_up
from tests.helpers.network import free_udp_port
from tests.helpers.pages import CONFIG
from tests.helpers.sockets import frame_of, hello, socket

DM = "dm:alice:bob"
CALL_ROUTES = [
    ("POST", "/api/calls", {"channel": DM}),
    ("GET", f"/api/calls/current?channel={DM}", None),
    ("GET", "/api/calls/mine", None),
    ("GET", "/api/calls/1", None),
    ("POST", "/api/calls/1/accept", None),
    ("POST", "/api/calls/1/reject", None),
    ("POST", "/api/calls/1/leave", None),
    ("POST", "/api/calls/1/invite", {"username": "bob"}),
    ("POST", "/api/calls/1/heartbeat", None),
    ("POST", "/api/calls/1/screenshare", {"sharing": True}),
    ("GET", "/api/screenshares", None),
    ("POST", "/api/screenshares", {"channel": DM}),
    ("POST", "/api/screenshares/1/stop", None),
    ("POST", "/api/screenshares/1/heartbeat", None),
]


@pytest.fixture
async def calls_off(make_app: AppFactory) -> Any:
    app = make_app(calls_enabled=False)
    async with app.test_app():
        yield app


async def chat_config(user: UserClient) -> dict[str, Any]:
    page = await (await user.get("/")).get_data(as_text=True)
    found = CONFIG.search(page)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize(("method", "path", "body"), CALL_ROUTES)
async def test_every_call_route_answers_404_with_the_json_error(
    calls_off: Quart, method: str, path: str, body: dict[str, Any] | None
) -> None:
    alice = await sign_up(calls_off, "alice")
    response = await alice.api(method, path, **({"json": body} if body else {}))
    assert response.status_code == 404
    # The route itself is gone: not a call or share that was not found.
    assert await response.get_json() == {
        "error": {"code": "not_found", "message": "The requested resource was not found."}
    }


async def test_no_call_route_is_registered(calls_off: Quart) -> None:
    endpoints = {rule.endpoint for rule in calls_off.url_map.iter_rules()}
    assert not {endpoint for endpoint in endpoints if endpoint.startswith("calls_api.")}
    assert any(endpoint.startswith("chat_api.") for endpoint in endpoints)


async def test_the_same_routes_exist_with_calls_on(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    response = await alice.api("GET", "/api/calls/mine")
    assert response.status_code == 200
    assert await response.get_json() == {"calls": []}


@pytest.mark.parametrize("kind", ["call.signal", "share.signal"])
async def test_the_socket_refuses_call_frames_saying_calls_are_off(
    calls_off: Quart, kind: str
) -> None:
    alice = await sign_up(calls_off, "alice")
    await sign_up(calls_off, "bob")
    async with socket(alice) as ws:
        await hello(ws)
        await ws.send(json.dumps({"type": kind, "call_id": 1, "to": "bob", "data": {}}))
        refused = await frame_of(ws, "error")
        assert refused == {
            "type": "error",
            "message": "Calls are turned off on this server.",
            "about": kind,
        }
        await ws.send(json.dumps({"type": "typing", "channel": "general"}))
        await ws.send(json.dumps({"type": "bogus"}))
        unknown = await frame_of(ws, "error")
        assert unknown["message"] == "Frames are JSON objects with a known type."


async def test_no_stun_server_runs_with_calls_off(make_app: AppFactory) -> None:
    port = free_udp_port()
    app = make_app(calls_enabled=False, stun_enabled=True, stun_port=port)
    async with app.test_app():
        assert get_runtime(app).services.stun is None
        # Nobody holds the port on either family (STUN would listen on both).
        for family, host in ((sockets.AF_INET, "0.0.0.0"), (sockets.AF_INET6, "::")):
            with sockets.socket(family, sockets.SOCK_DGRAM) as probe:
                probe.bind((host, port))


async def test_the_page_leaves_the_call_client_out(calls_off: Quart) -> None:
    alice = await sign_up(calls_off, "alice")
    assert (await chat_config(alice))["calls"] is False
    page = await (await alice.get("/")).get_data(as_text=True)
    assert "css/calls.css" not in page
    assert "css/panels.css" in page


async def test_the_page_loads_the_call_client_with_calls_on(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    assert (await chat_config(alice))["calls"] is True
    assert "css/calls.css" in await (await alice.get("/")).get_data(as_text=True)
