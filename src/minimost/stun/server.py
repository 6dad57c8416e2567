"""Bundled STUN server (RFC 8489 Binding only) for server-reflexive ICE candidates on a LAN.

It runs as datagram endpoints on the application's own event loop, which also serves HTTP and
websockets, so every datagram costs at most a few cheap checks before it is dropped, nothing is
logged per datagram, and token buckets bound the work a flood can cause.

Binding Requests as browsers send them (no attributes, or FINGERPRINT only) and every reply
are handled by a few struct/zlib calls; requests with other attributes are walked strictly by
``message.inspect_attributes`` (malformed ones are dropped, unknown comprehension-required
attributes get a 420), rationed by the same buckets.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import itertools
import logging
import math
import socket
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .message import inspect_attributes, unknown_attribute_error

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("!HHI")
_COOKIE = 0x2112A442
_BINDING_REQUEST = 0x0001
_BINDING_SUCCESS = 0x0101
_XOR_MAPPED_ADDRESS = 0x0020
_SOFTWARE = 0x8022
_FINGERPRINT = 0x8028
_FINGERPRINT_XOR = 0x5354554E
_CRC = struct.Struct("!I")
# Ask for this much kernel buffering so bursts wait for the loop instead of being dropped
# (Linux caps it at net.core.rmem_max / wmem_max).
_SOCKET_BUFFER = 4 << 20
_MAX_DATAGRAM = 2048
# Default limits. A browser sends a handful of requests per call; a whole LAN calling at once
# stays far below these. Answering costs some 5-10 us of the loop (two system calls included),
# so the global rate keeps a flood to about a quarter of one core, while HTTP and websockets
# on the same loop carry on; the per-source rate keeps one host from taking all of it.
PER_SOURCE_RATE = 250.0
PER_SOURCE_BURST = 500
GLOBAL_RATE = 30_000.0
# Per-source buckets kept at most; a spoofed flood must not grow memory without limit.
_MAX_SOURCES = 10_000
# After a sweep the table is at most this big, so sweeps stay amortised O(1) per new source.
_SWEEP_TARGET = _MAX_SOURCES * 3 // 4
_SUMMARY_INTERVAL = 60.0
# EADDRINUSE on the IPv6 twin of an OS-chosen port: try a fresh port this many times.
_PORT_ATTEMPTS = 10
_IPV6_UNAVAILABLE = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


@dataclass
class StunStats:
    answered: int = 0  # Binding success responses sent
    malformed: int = 0  # datagrams dropped as not-STUN / unparsable
    ignored: int = 0  # valid STUN that is not a Binding Request (responses, indications, ...)
    rate_limited: int = 0  # Binding Requests dropped by the per-source or global limit
    rejected: int = 0  # 420 error responses sent for unknown comprehension-required attributes


class _Protocol(asyncio.DatagramProtocol):
    """One bound socket; hands datagrams to the shared StunServer and sends its replies."""

    def __init__(self, server: StunServer, lost: asyncio.Future[None] | None = None) -> None:
        self._server = server
        self._lost = lost
        self._transport: asyncio.DatagramTransport | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def pause_writing(self) -> None:
        """The kernel is not taking our replies: drop requests rather than buffer without end."""
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        reply = self._server._handle(data, addr, self._paused)
        if reply is not None and self._transport is not None:
            # A failed reply (unreachable, buffer full, closing) must never reach the loop.
            # (try/except rather than contextlib.suppress: this runs for every datagram.)
            try:
                self._transport.sendto(reply, addr)
            except Exception:
                return

    def error_received(self, exc: Exception) -> None:
        """ICMP errors for earlier replies (e.g. port unreachable) are expected; ignore them."""


class StunServer:
    """A running STUN server; create it with start_stun_server()."""

    port: int
    addresses: list[tuple[str, int]]
    stats: StunStats

    def __init__(
        self,
        *,
        software: str,
        per_source_rate: float,
        per_source_burst: int,
        global_rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if len(software) >= 128:
            raise ValueError("SOFTWARE must be fewer than 128 characters (RFC 5389)")
        if not (per_source_rate > 0 and global_rate > 0 and per_source_burst >= 1):
            raise ValueError("rates must be positive and the burst at least 1")
        self.port = 0
        self.addresses = []
        self.stats = StunStats()
        encoded = software.encode()
        self._software_attribute = (
            struct.pack("!HH", _SOFTWARE, len(encoded)) + encoded + bytes(-len(encoded) % 4)
        )
        # Whole replies but for the trailing CRC: header, XOR-MAPPED-ADDRESS, SOFTWARE and
        # FINGERPRINT's type and length; message lengths count the CRC's 4 bytes.
        software = len(self._software_attribute)
        self._v4_response = struct.Struct(f"!HHI12sHHHHI{software}sHH")
        self._v6_response = struct.Struct(f"!HHI12sHHHH16s{software}sHH")
        self._v4_length = self._v4_response.size - 20 + 4
        self._v6_length = self._v6_response.size - 20 + 4
        self._rate = float(per_source_rate)
        self._burst = float(per_source_burst)
        self._global_rate = float(global_rate)
        # At least one token, or a small global rate would never let anything through.
        self._global_burst = max(1.0, global_rate / 10)
        self._global_tokens = self._global_burst
        self._clock = clock
        self._global_last = clock()
        self._buckets: dict[str, list[float]] = {}  # source IP -> [tokens, last refill time]
        self._last_summary = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sockets: list[socket.socket] = []
        self._transports: list[asyncio.DatagramTransport] = []
        self._lost: list[asyncio.Future[None]] = []
        self._closed = False

    def close(self) -> None:
        """Close every transport and release the port at once, so it can be rebound."""
        if self._closed:
            return
        self._closed = True
        for transport in self._transports:
            transport.abort()
        # Transports close their socket one loop iteration later. With asyncio's selector loop
        # abort() has already unregistered it, so closing it here is safe and frees the port
        # now; uvloop's libuv handle owns the fd, which it closes (and detaches) itself later.
        selector = isinstance(self._loop, asyncio.SelectorEventLoop)
        for index, sock in enumerate(self._sockets):
            if selector or index >= len(self._transports):
                sock.close()
        self._transports.clear()

    async def _wait_closed(self) -> None:
        """Wait until every transport is gone (the port is free even on uvloop)."""
        await asyncio.gather(*self._lost)

    def _handle(self, data: bytes, addr: tuple[Any, ...], paused: bool = False) -> bytes | None:
        """Classify one datagram; return the reply to send, or None to drop it."""
        size = len(data)
        if size < 20 or size > _MAX_DATAGRAM or size & 3:
            return self._drop_malformed()
        mtype, length, cookie = _HEADER.unpack_from(data)
        if mtype & 0xC000 or cookie != _COOKIE or length != size - 20:
            return self._drop_malformed()
        if mtype != _BINDING_REQUEST:
            # Never answer responses: two STUN servers must not be able to ping-pong.
            self.stats.ignored += 1
            return None
        host = addr[0]
        if paused or not self._take_token(host):
            self.stats.rate_limited += 1
            self._maybe_summarise()
            return None
        if size != 20:
            unknown = inspect_attributes(data)
            if unknown is None:
                return self._drop_malformed()
            if unknown:
                self.stats.rejected += 1
                return unknown_attribute_error(data[8:20], unknown, self._software_attribute)
        if "%" in host:
            host = host.partition("%")[0]
        self.stats.answered += 1
        return self._success(data[8:20], host, addr[1])

    def _success(self, transaction_id: bytes, host: str, port: int) -> bytes:
        """Binding success: XOR-MAPPED-ADDRESS, SOFTWARE, then FINGERPRINT over the rest."""
        if ":" in host:
            mask = int.from_bytes(_COOKIE.to_bytes(4, "big") + transaction_id, "big")
            address = int.from_bytes(socket.inet_pton(socket.AF_INET6, host), "big") ^ mask
            message = self._v6_response.pack(
                _BINDING_SUCCESS, self._v6_length, _COOKIE, transaction_id,
                _XOR_MAPPED_ADDRESS, 20, 2, port ^ 0x2112, address.to_bytes(16, "big"),
                self._software_attribute, _FINGERPRINT, 4,
            )  # fmt: skip
        else:
            message = self._v4_response.pack(
                _BINDING_SUCCESS, self._v4_length, _COOKIE, transaction_id,
                _XOR_MAPPED_ADDRESS, 8, 1, port ^ 0x2112, _xor_ipv4(host),
                self._software_attribute, _FINGERPRINT, 4,
            )  # fmt: skip
        return message + _CRC.pack(zlib.crc32(message[:-4]) ^ _FINGERPRINT_XOR)

    def _drop_malformed(self) -> None:
        self.stats.malformed += 1
        self._maybe_summarise()

    def _maybe_summarise(self) -> None:
        """Log dropped traffic at most once a minute instead of once per datagram."""
        now = self._clock()
        if now - self._last_summary >= _SUMMARY_INTERVAL:
            self._last_summary = now
            s = self.stats
            logger.debug(
                "STUN on port %d so far: %d answered, %d rejected, %d malformed, %d ignored, "
                "%d rate-limited",
                self.port,
                s.answered,
                s.rejected,
                s.malformed,
                s.ignored,
                s.rate_limited,
            )

    def _take_token(self, source: str) -> bool:
        """Per-source bucket first, so one noisy source cannot drain the global budget."""
        now = self._clock()
        bucket = self._buckets.get(source)
        if bucket is None:
            if len(self._buckets) >= _MAX_SOURCES:
                self._sweep(now)
            bucket = self._buckets[source] = [self._burst, now]
            tokens = self._burst
        else:
            tokens = min(self._burst, bucket[0] + (now - bucket[1]) * self._rate)
            bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        global_tokens = min(
            self._global_burst, self._global_tokens + (now - self._global_last) * self._global_rate
        )
        self._global_last = now
        if global_tokens < 1.0:
            self._global_tokens = global_tokens
            bucket[0] = tokens
            return False
        self._global_tokens = global_tokens - 1.0
        bucket[0] = tokens - 1.0
        return True

    def _sweep(self, now: float) -> None:
        """Drop refilled buckets (same as absent), then the oldest ones if still too many."""
        rate, burst = self._rate, self._burst
        buckets = self._buckets
        for source in [s for s, b in buckets.items() if b[0] + (now - b[1]) * rate >= burst]:
            del buckets[source]
        excess = len(buckets) - _SWEEP_TARGET
        if excess > 0:
            for source in list(itertools.islice(buckets, excess)):
                del buckets[source]


@functools.lru_cache(maxsize=_MAX_SOURCES)
def _xor_ipv4(host: str) -> int:
    """An IPv4 source as XOR-MAPPED-ADDRESS carries it; cached, as sources repeat."""
    return int.from_bytes(socket.inet_aton(host), "big") ^ _COOKIE


def _bind(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Lets several Hypercorn worker processes serve the same port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _bind_all(port: int, host_v4: str | None, host_v6: str | None) -> list[socket.socket]:
    """Bind IPv4 (required if asked for) then IPv6 on the same port (optional if IPv4 is up)."""
    if host_v4 is None and host_v6 is None:
        raise OSError(errno.EINVAL, "STUN server needs an IPv4 or IPv6 host to bind")
    if host_v4 is None:
        return [_bind(socket.AF_INET6, host_v6, port)]  # type: ignore[arg-type]
    for _ in range(_PORT_ATTEMPTS):
        v4 = _bind(socket.AF_INET, host_v4, port)
        if host_v6 is None:
            return [v4]
        try:
            return [v4, _bind(socket.AF_INET6, host_v6, v4.getsockname()[1])]
        except OSError as exc:
            if port == 0 and exc.errno == errno.EADDRINUSE:
                v4.close()  # the OS-chosen port is taken on IPv6: choose another
                continue
            what = "unavailable" if exc.errno in _IPV6_UNAVAILABLE else "not bindable"
            logger.warning(
                "STUN: IPv6 %s on [%s]:%d (%s); serving IPv4 only",
                what,
                host_v6,
                v4.getsockname()[1],
                exc,
            )
            return [v4]
    raise OSError(errno.EADDRINUSE, "STUN server found no port free on both IPv4 and IPv6")


async def start_stun_server(
    port: int,
    *,
    software: str,
    host_v4: str | None = "0.0.0.0",
    host_v6: str | None = "::",
    per_source_rate: float = PER_SOURCE_RATE,
    per_source_burst: int = PER_SOURCE_BURST,
    global_rate: float = GLOBAL_RATE,
) -> StunServer:
    """Bind UDP `port` on IPv4 and IPv6 and answer Binding Requests until close()."""
    server = StunServer(
        software=software,
        per_source_rate=per_source_rate,
        per_source_burst=per_source_burst,
        global_rate=global_rate,
    )
    loop = asyncio.get_running_loop()
    sockets = _bind_all(port, host_v4, host_v6)
    server._loop = loop
    server._sockets = sockets
    try:
        for sock in sockets:
            lost = loop.create_future()
            transport, _ = await loop.create_datagram_endpoint(
                lambda lost=lost: _Protocol(server, lost), sock=sock
            )
            server._transports.append(transport)
            server._lost.append(lost)
    except BaseException:
        server.close()
        raise
    server.addresses = [sock.getsockname()[:2] for sock in sockets]
    server.port = server.addresses[0][1]
    logger.debug("STUN server listening on %s", server.addresses)
    return server
