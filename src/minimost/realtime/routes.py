"""``/ws``: one websocket per tab, resuming exactly from the last event it applied.

Handshake: a live session and a same-origin ``Origin``, or no upgrade. Then a
``hello``, the missed events from the log (or ``resync`` when they are gone), and
live frames. Client frames are ``pong`` and whatever types the features registered
with ``Realtime.on_frame`` (presence, typing, call signalling, sends), handled in the
order they arrive. Features hear of each tab's socket opening and closing through
``Realtime.on_connect`` and ``on_disconnect`` (presence does).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from quart import Blueprint, abort, websocket

from ..identity import sessions
from ..ids import is_decimal
from ..jsoncodec import compact, parse
from ..reaches import accepted_websocket_send
from ..runtime import Runtime, get_runtime
from ..web.guards import passive
from . import store
from .hub import CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TOO_MANY, Connection
from .services import realtime_of
from .wire import Wire, cap_incoming, wire_of

MAX_CLIENT_FRAME = 16 * 1024
REPLAY_BATCH = 500
# Client frames allowed per connection: a steady rate with some burst.
CLIENT_RATE = 20.0
CLIENT_BURST = 60.0
# How long a closed client has to finish the closing handshake before it is cut off.
CLOSE_GRACE_SECONDS = 1.0

blueprint = Blueprint("realtime", __name__)


def same_origin() -> bool:
    """Browsers always send Origin on a websocket; it must name this very host."""
    origin = websocket.headers.get("Origin")
    return bool(origin) and urlsplit(origin).netloc == websocket.host


def requested_after() -> int | None:
    raw = websocket.args.get("after")
    if raw is None or raw == "":
        return None
    if not is_decimal(raw):
        abort(400)
    return int(raw)


@blueprint.websocket("/ws")
@passive
async def socket() -> None:
    signed_in = sessions.current()
    if signed_in is None:
        abort(401)
    if not same_origin():
        abort(403)
    after = requested_after()
    runtime = get_runtime()
    realtime = realtime_of(runtime)
    connection = realtime.hub.register(signed_in.username, signed_in.sid)
    if connection is not None:
        cap_incoming(
            _sender_of_accepted_socket().args[0],
            MAX_CLIENT_FRAME,
            partial(connection.close, CLOSE_TOO_BIG, "frame too large"),
        )
    await websocket.accept()
    if connection is None:
        limit = realtime.hub.max_per_user
        await _close(
            CLOSE_TOO_MANY,
            f"Too many open MiniMost tabs (limit {limit}); close one and reload.",
            wire_of(_sender_of_accepted_socket().args[0], realtime.hub.corked),
        )
        return
    try:
        await realtime.connected(connection)
        await _serve(runtime, connection, after)
    finally:
        realtime.hub.unregister(connection)
        await realtime.disconnected(connection)


async def _serve(runtime: Runtime, connection: Connection, after: int | None) -> None:
    head, oldest = await runtime.stores.messages.reading(
        lambda reader: (store.head(reader), store.oldest(reader))
    )
    await websocket.send(
        compact(
            {
                "type": "hello",
                "username": connection.username,
                "last_event_id": head,
                "heartbeat_seconds": runtime.boot.ws_heartbeat_seconds,
            }
        )
    )
    last_sent = head
    if after is not None:
        missing = after > head or (oldest is not None and oldest > after + 1)
        if missing:
            await websocket.send(compact({"type": "resync", "last_event_id": head}))
        else:
            last_sent = await _replay(runtime, connection.username, after, head)
    connection.last_sent = last_sent
    send = _sender_of_accepted_socket()
    wire = wire_of(send.args[0], realtime_of(runtime).hub.corked)
    tasks = [
        asyncio.create_task(_write(connection, send, wire)),
        asyncio.create_task(_read(runtime, connection)),
        asyncio.create_task(connection.closing.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if connection.close_code is not None:
        # The slot is free for a new tab from now on, while this one finishes closing.
        realtime_of(runtime).hub.unregister(connection)
        await _close(connection.close_code, connection.close_reason, wire)


async def _close(code: int, reason: str, wire: Wire | None) -> None:
    """Send the close frame, then take and drop the client's frames until it hangs up.

    Hypercorn reads a socket only while the app takes what was read: a handler that
    returned while a flood was still arriving left Hypercorn waiting forever to hand over
    the next frame, so the client's closing answer was never read and the connection
    stayed open. A client that has not hung up within the grace is cut off; draining
    goes on until Hypercorn reports the disconnect, which ends this handler.
    """
    # A client that stopped reading may never take the close frame; do not wait forever.
    with contextlib.suppress(TimeoutError, OSError):
        await asyncio.wait_for(websocket.close(code, reason), CLOSE_GRACE_SECONDS)
    await _drop_frames_for(CLOSE_GRACE_SECONDS)
    if wire is not None:
        wire.cut()
        # Hypercorn hands over what it had read, then the disconnect that ends this handler.
        await _drop_frames_for(CLOSE_GRACE_SECONDS)


async def _drop_frames_for(seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                await websocket.receive()


async def _replay(runtime: Runtime, username: str, after: int, head: int) -> int:
    """Send every logged event in (after, head] the user may see; return the new cursor."""
    access = realtime_of(runtime).access
    cursor = after
    while cursor < head:
        batch = await runtime.stores.messages.reading(
            lambda reader, cursor=cursor: store.after(reader, cursor, head, REPLAY_BATCH)
        )
        if not batch:
            break
        for event in batch:
            if access.can_see(username, event.audience, event.ts):
                await websocket.send(event.frame)
        cursor = batch[-1].id
    return head


def _sender_of_accepted_socket() -> partial[Awaitable[None]]:
    """The accepted socket's own send: Quart's ``send_data`` bound to the ASGI send.

    Quart's ``websocket.send`` yields to the loop before every frame (so a tight loop of
    sends cannot starve others) and re-checks the handshake; the writer below only runs
    when frames are queued, so it hands each straight to the server instead.
    """
    return accepted_websocket_send()


async def _write(
    connection: Connection, send: Callable[[str], Awaitable[None]], wire: Wire | None
) -> None:
    """Send queued frames in order; from now on, frames for an idle socket skip the queue.

    Once the socket has drained, everything queued meanwhile goes out in one write: a
    client that fell behind is caught up in batches rather than one wake-up per frame.
    """
    queue = connection.queue
    connection.wire = wire
    while True:
        frame = await queue.get()
        connection.writing = True
        try:
            if wire is None:
                text = connection.text_to_send(frame)
                if text is not None:
                    await send(text)
                continue
            await wire.drained()
            frames = [frame]
            while not queue.empty():
                frames.append(queue.get_nowait())
            if wire.open:
                for queued in frames:
                    connection.write_now(wire, queued)
        finally:
            connection.writing = False


async def _read(runtime: Runtime, connection: Connection) -> None:
    realtime = realtime_of(runtime)
    tokens, refilled = CLIENT_BURST, time.monotonic()
    while True:
        text = await websocket.receive()
        if len(text) > MAX_CLIENT_FRAME:
            connection.close(CLOSE_TOO_BIG, "frame too large")
            return
        connection.missed_pings = 0
        try:
            frame: Any = parse(text)
        except ValueError:
            frame = None
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind not in realtime.unmetered_frames:
            now = time.monotonic()
            tokens = min(CLIENT_BURST, tokens + (now - refilled) * CLIENT_RATE)
            refilled = now
            if tokens < 1:
                connection.close(CLOSE_POLICY, "too many messages")
                return
            tokens -= 1
        if kind == "pong":
            continue
        handler = realtime.frame_handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            connection.refuse("Frames are JSON objects with a known type.")
            continue
        await handler(connection, frame)
