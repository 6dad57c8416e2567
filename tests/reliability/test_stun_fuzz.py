"""A flood of malformed datagrams gets no answer, and real requests are answered throughout.

The STUN server runs on its own event loop thread (uvloop, as under Hypercorn) with real
UDP sockets; every datagram comes from a fixed-seed generator, so a failure replays exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator

import pytest
import uvloop
from aioice.stun import Class, Message, Method, parse_message

from minimost.stun.server import StunServer, start_stun_server

COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
SOFTWARE = 0x8022
FINGERPRINT = 0x8028
MESSAGE_INTEGRITY = 0x0008
TOTAL = 100_000
# Small enough for the server socket's receive buffer: the kernel drops nothing.
BATCH = 50
TIMEOUT = 5.0
SEED = 8489

Maker = Callable[[random.Random], bytes]


def attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + bytes(-len(value) % 4)


def message(body: bytes, rng: random.Random, mtype: int = BINDING_REQUEST) -> bytes:
    return struct.pack("!HHI", mtype, len(body), COOKIE) + rng.randbytes(12) + body


def fingerprint(data: bytes) -> bytes:
    """``data`` (whose length field already counts it) with a correct FINGERPRINT appended."""
    crc = zlib.crc32(data) ^ 0x5354554E
    return data + struct.pack("!HHI", FINGERPRINT, 4, crc)


def optional_attributes(rng: random.Random) -> bytes:
    """Well-formed comprehension-optional attributes (SOFTWARE, unknown ones)."""
    return b"".join(
        attribute(rng.choice((SOFTWARE, 0x8050, 0xC057)), rng.randbytes(rng.randrange(0, 40)))
        for _ in range(rng.randrange(1, 4))
    )


def with_fingerprint(body: bytes, rng: random.Random) -> bytes:
    """A Binding Request carrying ``body`` then a correct FINGERPRINT."""
    head = message(body, rng)
    head = head[:2] + struct.pack("!H", len(body) + 8) + head[4:]
    return fingerprint(head)


def truncated(rng: random.Random) -> bytes:
    whole = with_fingerprint(optional_attributes(rng), rng)
    return whole[: rng.randrange(0, len(whole))]


def bad_length_field(rng: random.Random) -> bytes:
    whole = bytearray(with_fingerprint(optional_attributes(rng), rng))
    real = len(whole) - 20
    struct.pack_into("!H", whole, 2, rng.choice([n for n in range(0, real + 64, 4) if n != real]))
    return bytes(whole)


def bad_cookie(rng: random.Random) -> bytes:
    whole = bytearray(with_fingerprint(optional_attributes(rng), rng))
    struct.pack_into("!I", whole, 4, rng.choice([0, 0x2112A443, rng.getrandbits(32) | 1]))
    return bytes(whole)


def top_bits_set(rng: random.Random) -> bytes:
    whole = bytearray(with_fingerprint(b"", rng))
    whole[0] |= rng.choice((0x40, 0x80, 0xC0))
    return bytes(whole)


def not_multiple_of_four(rng: random.Random) -> bytes:
    body = rng.randbytes(rng.choice((1, 2, 3, 5, 6, 7, 9, 13)))
    return message(body, rng)


def attribute_past_end(rng: random.Random) -> bytes:
    body = optional_attributes(rng)
    room = rng.randrange(0, 64) * 4
    declared = room + rng.randrange(1, 300)
    last = struct.pack("!HH", rng.choice((SOFTWARE, 0x0006, 0x0020, 0x8050)), declared)
    return message(body + last + rng.randbytes(room), rng)


def misplaced_fingerprint(rng: random.Random) -> bytes:
    """A correct FINGERPRINT followed by more attributes."""
    first = with_fingerprint(optional_attributes(rng), rng)
    tail = optional_attributes(rng)
    return first[:2] + struct.pack("!H", len(first) - 20 + len(tail)) + first[4:] + tail


def wrong_fingerprint(rng: random.Random) -> bytes:
    body = optional_attributes(rng) if rng.random() < 0.5 else b""
    whole = bytearray(with_fingerprint(body, rng))
    whole[-1 - rng.randrange(4)] ^= 1 << rng.randrange(8)
    return bytes(whole)


def fingerprint_wrong_size(rng: random.Random) -> bytes:
    size = rng.choice((0, 8, 12))
    return message(optional_attributes(rng) + attribute(FINGERPRINT, rng.randbytes(size)), rng)


def attribute_after_integrity(rng: random.Random) -> bytes:
    body = attribute(MESSAGE_INTEGRITY, rng.randbytes(20)) + optional_attributes(rng)
    return with_fingerprint(body, rng)


def integrity_wrong_size(rng: random.Random) -> bytes:
    body = attribute(MESSAGE_INTEGRITY, rng.randbytes(rng.choice((0, 4, 16, 24, 32))))
    return with_fingerprint(body, rng)


def known_attribute_wrong_size(rng: random.Random) -> bytes:
    kind, size = rng.choice(
        [(0x0020, 4), (0x0020, 12), (0x0001, 16), (0x0024, 2), (0x0025, 4), (0x8029, 4)]
    )
    return with_fingerprint(attribute(kind, rng.randbytes(size)), rng)


def random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.randrange(0, 600))


def garbage_body(rng: random.Random) -> bytes:
    """A good header, then an attribute whose declared length overruns the body."""
    body = bytearray(rng.randbytes(rng.randrange(1, 128) * 4))
    struct.pack_into("!H", body, 2, rng.randrange(len(body) - 3, 0x10000))
    return message(bytes(body), rng)


def oversize(rng: random.Random) -> bytes:
    return message(attribute(0x8050, rng.randbytes(2048)), rng)


def other_classes(rng: random.Random) -> bytes:
    """Indications, responses and other methods: never answered, whatever they carry."""
    mtype = rng.choice((0x0011, 0x0101, 0x0111, 0x0003, 0x0009, 0x000B))
    return message(rng.randbytes(rng.randrange(0, 32) * 4), rng, mtype)


KINDS: dict[str, Maker] = {
    maker.__name__: maker
    for maker in (
        truncated,
        bad_length_field,
        bad_cookie,
        top_bits_set,
        not_multiple_of_four,
        attribute_past_end,
        misplaced_fingerprint,
        wrong_fingerprint,
        fingerprint_wrong_size,
        attribute_after_integrity,
        integrity_wrong_size,
        known_attribute_wrong_size,
        random_bytes,
        garbage_body,
        oversize,
        other_classes,
    )
}


def junk(seed: int = SEED, total: int = TOTAL) -> Iterator[tuple[str, bytes]]:
    """``total`` malformed or unanswerable datagrams, the same ones for the same seed."""
    rng = random.Random(seed)
    names = list(KINDS)
    for index in range(total):
        name = names[index % len(names)]
        yield name, KINDS[name](rng)


class ServerThread:
    """A STUN server on its own uvloop event loop in a thread, as a worker process runs it."""

    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()
        self.server: StunServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        # Limits out of the way: every datagram is to reach the checks, none the buckets.
        self.server = await start_stun_server(
            0, software="MiniMost fuzz", host_v4="127.0.0.1", host_v6=None,
            per_source_burst=10**9, global_rate=1e12,
        )  # fmt: skip

    def __enter__(self) -> StunServer:
        self._thread.start()
        assert self._ready.wait(TIMEOUT), "the STUN server did not start"
        assert self.server is not None
        return self.server

    def __exit__(self, *exc: object) -> None:
        server = self.server

        async def stop() -> None:
            if server is not None:
                server.close()
                await server._wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)
        self.loop.close()


@contextlib.contextmanager
def client(host: str) -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(TIMEOUT)
        yield sock


def assert_answered(sock: socket.socket, port: int, *, fingerprinted: bool) -> None:
    """One Binding Request; the next datagram back is its success, mapping the sender."""
    request = Message(Method.BINDING, Class.REQUEST)
    if fingerprinted:
        request.add_fingerprint()
    sock.sendto(bytes(request), ("127.0.0.1", port))
    reply = parse_message(sock.recv(4096))  # checks the reply's FINGERPRINT too
    assert reply.message_class == Class.RESPONSE
    assert reply.transaction_id == request.transaction_id
    assert reply.attributes["XOR-MAPPED-ADDRESS"] == sock.getsockname()


def assert_nothing_arrived(sock: socket.socket, batch: list[tuple[str, bytes]]) -> None:
    sock.setblocking(False)
    try:
        reply = sock.recv(4096)
    except BlockingIOError:
        return
    finally:
        sock.settimeout(TIMEOUT)
    pytest.fail(f"answered {reply.hex()} to one of {[(n, d.hex()) for n, d in batch]}")


def test_generator_is_deterministic_and_covers_every_kind() -> None:
    first = list(junk(total=2 * len(KINDS)))
    assert first == list(junk(total=2 * len(KINDS)))
    assert {name for name, _ in first} == set(KINDS)


def test_malformed_flood_gets_no_answer_and_requests_still_do() -> None:
    sent = answered = 0
    with ServerThread() as server, client("127.0.0.1") as noisy, client("127.0.0.2") as user:
        target = ("127.0.0.1", server.port)
        batch: list[tuple[str, bytes]] = []
        for name, data in junk():
            noisy.sendto(data, target)
            batch.append((name, data))
            sent += 1
            if len(batch) == BATCH:
                # Replies leave in arrival order: once this one is back, every datagram sent
                # before it has been handled, and any reply to them would already be here.
                assert_answered(user, server.port, fingerprinted=sent % 2 == 0)
                answered += 1
                assert_nothing_arrived(noisy, batch)
                batch.clear()
        for fingerprinted in (False, True):
            assert_answered(noisy, server.port, fingerprinted=fingerprinted)
            assert_answered(user, server.port, fingerprinted=fingerprinted)
        stats = server.stats
    assert sent == TOTAL
    assert stats.answered == answered + 4
    assert stats.malformed + stats.ignored == TOTAL, "every datagram reached the server"
    assert stats.rejected == stats.rate_limited == 0
