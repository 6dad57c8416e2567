"""Talking to /ws from the in-process test client: open, read frames, send messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from quart.testing.connections import TestWebsocketConnection as WebsocketConnection

from tests.conftest import UserClient

ORIGIN = {"Origin": "http://localhost"}
TIMEOUT = 5.0


@asynccontextmanager
async def socket(
    user: UserClient, query: str = "", headers: dict[str, str] | None = None
) -> AsyncIterator[WebsocketConnection]:
    path = f"/ws{query}"
    async with user.client.websocket(path, headers=ORIGIN if headers is None else headers) as ws:
        yield ws


async def raw_frame(ws: WebsocketConnection) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.receive(), TIMEOUT))


async def frame(ws: WebsocketConnection) -> dict[str, Any]:
    """The next frame, answering pings on the way as every real client does."""
    while (received := await raw_frame(ws))["type"] == "ping":
        await ws.send('{"type": "pong"}')
    return received


async def frame_of(ws: WebsocketConnection, kind: str) -> dict[str, Any]:
    """The next frame of a kind, skipping others (presence notices, pings)."""
    while True:
        received = await frame(ws)
        if received["type"] == kind:
            return received


async def presence_of(ws: WebsocketConnection, username: str) -> str:
    """The next presence state announced for one user."""
    while True:
        received = await frame_of(ws, "presence")
        if received["username"] == username:
            return received["state"]


async def hello(ws: WebsocketConnection) -> dict[str, Any]:
    first = await frame(ws)
    assert first["type"] == "hello"
    return first


async def events(ws: WebsocketConnection, count: int) -> list[dict[str, Any]]:
    return [await frame_of(ws, "event") for _ in range(count)]


async def send_frame(ws: WebsocketConnection, **fields: Any) -> None:
    await ws.send(json.dumps({"type": "message.send", **fields}))


async def answer_to(ws: WebsocketConnection, client_id: str) -> dict[str, Any]:
    """The ``message.sent`` or ``error`` frame answering one send, skipping the rest."""
    while True:
        received = await frame(ws)
        if received["type"] in ("message.sent", "error") and received.get("client_id") == client_id:
            return received
