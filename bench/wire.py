"""Lean HTTP/1.1 keep-alive and websocket clients for benchmarks.

The load generator shares the machine with the server, so its own cost must stay
small: these speak just enough of each protocol to drive MiniMost, with no parsing
beyond what a measurement needs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
import time
from collections.abc import Callable


class KeepAlive:
    """One persistent HTTP/1.1 connection, requests one after another."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.headers = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> KeepAlive:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            return status, await self.reader.readexactly(int(fields["content-length"]))
        chunks = []
        while True:
            size = int((await self.reader.readline()).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        return status, b"".join(chunks)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def _upgrade_request(host: str, port: int, path: str, cookie: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    ).encode()


def _masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    else:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    return head + mask + masked


class WebSocket:
    """A websocket client reading unmasked server frames straight off the stream."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host: str, port: int, path: str, cookie: str) -> WebSocket:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(_upgrade_request(host, port, path, cookie))
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode("latin-1"))
        return cls(reader, writer)

    async def receive(self) -> tuple[int, bytes]:
        """The next frame's opcode and payload (fragments are not expected from the server)."""
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    def send_text(self, text: str) -> None:
        self.writer.write(_masked_frame(0x1, text.encode()))

    def pong(self, payload: bytes) -> None:
        self.writer.write(_masked_frame(0xA, payload))

    def close(self) -> None:
        self.writer.write(_masked_frame(0x8, struct.pack("!H", 1000)))
        self.writer.close()


class BlockingSocket:
    """A blocking websocket client, for a paced sender in a plain loop."""

    def __init__(self, host: str, port: int, path: str, cookie: str, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(_upgrade_request(host, port, path, cookie))
        self.buffer = bytearray()
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        end = self.buffer.index(b"\r\n\r\n")
        head = bytes(self.buffer[:end])
        del self.buffer[: end + 4]
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            self.sock.close()
            raise ConnectionError(head.decode("latin-1"))

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the websocket")
        self.buffer += data

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        taken = bytes(self.buffer[:count])
        del self.buffer[:count]
        return taken

    def receive(self) -> tuple[int, bytes]:
        """The next frame's opcode and payload; pings are answered on the way."""
        while True:
            first, second = self._take(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._take(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._take(8))
            opcode, payload = first & 0x0F, self._take(length)
            if opcode == 0x9:
                self.sock.sendall(_masked_frame(0xA, payload))
                continue
            if opcode == 0x8:
                raise ConnectionError("the server closed the websocket")
            return opcode, payload

    def send_text(self, text: str) -> None:
        self.sock.sendall(_masked_frame(0x1, text.encode()))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(_masked_frame(0x8, struct.pack("!H", 1000)))
        self.sock.close()


TextHandler = Callable[["FrameListener", bytes, float], None]


class FrameListener(asyncio.Protocol):
    """A websocket client as a bare protocol: frames are parsed as bytes arrive.

    No task, no await and no JSON per frame: a thousand of these in one process cost
    little more than the bytes they read, so a fan-out measurement measures the server.
    ``opened`` resolves with the first text frame (MiniMost's hello).
    """

    def __init__(self, request: bytes, on_text: TextHandler) -> None:
        self.request = request
        self.on_text = on_text
        self.buffer = bytearray()
        self.upgraded = False
        self.opened: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    @classmethod
    async def connect(
        cls, host: str, port: int, path: str, cookie: str, on_text: TextHandler
    ) -> FrameListener:
        request = _upgrade_request(host, port, path, cookie)
        loop = asyncio.get_running_loop()
        _, listener = await loop.create_connection(lambda: cls(request, on_text), host, port)
        await listener.opened
        return listener

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed before the hello"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status_line = bytes(buffer[: buffer.find(b"\r\n")])
            if b" 101 " not in status_line:
                self.opened.set_exception(ConnectionError(status_line.decode("latin-1")))
                return
            del buffer[: end + 4]
            self.upgraded = True
        position = 0
        available = len(buffer)
        while available - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, head = second & 0x7F, 2
            if length == 126:
                if available - position < 4:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if available - position < 10:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            if available - position < head + length:
                break
            payload = bytes(buffer[position + head : position + head + length])
            position += head + length
            opcode = first & 0x0F
            if opcode == 0x1:
                if not self.opened.done():
                    self.opened.set_result(payload)
                else:
                    self.on_text(self, payload, now)
            elif opcode == 0x9:
                self.write(_masked_frame(0xA, payload))
        del buffer[:position]

    def write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def send_text(self, text: str) -> None:
        self.write(_masked_frame(0x1, text.encode()))

    def close(self) -> None:
        self.write(_masked_frame(0x8, struct.pack("!H", 1000)))
        if self.transport is not None:
            self.transport.close()
