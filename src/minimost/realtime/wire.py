"""Writing websocket frames straight to the connection's transport.

Fan-out sends one event to every open socket. Through the ASGI layers each frame
costs a task wake-up, Quart's send, Hypercorn's send, wsproto framing and a drain,
per connection: measured at 1,000 sockets, that per-frame path was most of the
worker's time. A server frame is unmasked, so its bytes are the same for every
recipient: they are built once per event and written directly to each socket whose
buffer has room. Frames written in the same turn of the event loop (the events of one
group commit) are joined and handed to each transport in one write at the end of it.

This reaches into Hypercorn (``WSStream.app_send`` → ``H11Protocol.stream_send`` →
``TCPServer.protocol_send`` and its stream writer), through ``minimost.reaches`` like
every other use of a library's internals; Hypercorn 0.18 is pinned. When the socket
is not served that way (the test client, another server) ``wire_of`` answers None and
frames go through the ASGI send as before, and so do websockets over HTTP/2 (RFC
8441), whose frames travel in the connection's h2 DATA frames.
``tests/realtime/test_backpressure.py`` checks that Hypercorn's sockets are reached
directly, so an upgrade that changes this is noticed.

Incoming, the stream's message buffer is swapped for one with our size cap
(``cap_incoming``), whatever the server's own setting;
``tests/reliability/test_socket_limits.py`` checks it under Hypercorn started with and
without our config.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable
from typing import Any

from ..reaches import (
    WSStream,
    cap_websocket_messages,
    h11_stream_writer,
    websocket_open,
    websocket_stream,
)

TEXT_FRAME = 0x81  # FIN + text opcode


def text_frame(text: str) -> bytes:
    """An unmasked, unfragmented server text frame (RFC 6455 §5.2)."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        return struct.pack("!BB", TEXT_FRAME, length) + payload
    if length < 1 << 16:
        return struct.pack("!BBH", TEXT_FRAME, 126, length) + payload
    return struct.pack("!BBQ", TEXT_FRAME, 127, length) + payload


class Corked:
    """Wires with frames waiting for the end of this turn of the event loop."""

    def __init__(self) -> None:
        self._wires: list[Wire] = []

    def add(self, wire: Wire) -> None:
        if not self._wires:
            asyncio.get_running_loop().call_soon(self.flush)
        self._wires.append(wire)

    def flush(self) -> None:
        wires, self._wires = self._wires, []
        for wire in wires:
            wire.flush()


class Wire:
    """One accepted websocket's stream writer, for frames that need no ASGI round trip."""

    def __init__(self, stream: WSStream, writer: asyncio.StreamWriter, corked: Corked) -> None:
        self._stream = stream
        self._writer = writer
        self._transport = writer.transport
        self._high_water = self._transport.get_write_buffer_limits()[1]
        self._corked = corked
        self._pending: list[bytes] = []

    @property
    def open(self) -> bool:
        """Still open both ways: no close frame sent or received, transport not closing."""
        return websocket_open(self._stream) and not self._transport.is_closing()

    @property
    def has_room(self) -> bool:
        """The transport buffers less than its high-water mark (the client keeps up)."""
        return self._transport.get_write_buffer_size() < self._high_water

    def write(self, frame: bytes) -> None:
        """Send the frame at the end of this turn of the loop, after those written before."""
        if not self._pending:
            self._corked.add(self)
        self._pending.append(frame)

    def flush(self) -> None:
        frames, self._pending = self._pending, []
        if frames and self.open:
            self._transport.write(frames[0] if len(frames) == 1 else b"".join(frames))

    async def drained(self) -> None:
        """Wait until the transport's buffer has gone down to its low-water mark."""
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    def cut(self) -> None:
        """Drop the TCP connection of a client that did not finish the closing handshake."""
        self._transport.abort()


def cap_incoming(
    asgi_send: Callable[..., Any], limit: int, on_overflow: Callable[[], None]
) -> bool:
    """Make Hypercorn refuse client messages over ``limit`` while they arrive.

    Whatever ``websocket_max_message_size`` the server was started with (16 MiB when
    none was given), Hypercorn closes the socket with 1009 once a message passes the
    cap, before buffering the rest. Answers whether the socket is Hypercorn's.
    """
    stream = websocket_stream(asgi_send)
    if stream is None:
        return False
    cap_websocket_messages(stream, limit, on_overflow)
    return True


def wire_of(asgi_send: Callable[..., Any], corked: Corked) -> Wire | None:
    """The Hypercorn stream writer behind an HTTP/1.1 ASGI websocket ``send``, or None."""
    stream = websocket_stream(asgi_send)
    writer = None if stream is None else h11_stream_writer(stream)
    if stream is None or writer is None:
        return None
    return Wire(stream, writer, corked)
