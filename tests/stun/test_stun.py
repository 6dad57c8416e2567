"""Tests for minimost.stun.server: the bundled RFC 5389 Binding-only STUN server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aioice import ice
from aioice.candidate import Candidate
from aioice.stun import COOKIE, Class, Message, Method, parse_message

from minimost.stun import server as stun_server
from minimost.stun.server import StunServer, StunStats, start_stun_server

SOFTWARE = "MiniMost-test 1.0"
TIMEOUT = 5.0


# -- message builders ---------------------------------------------------------------------------


def request(tid: bytes | None = None, *, fingerprint: bool = False) -> tuple[bytes, bytes]:
    """A Binding Request as (wire bytes, transaction id)."""
    msg = Message(Method.BINDING, Class.REQUEST, transaction_id=tid)
    if fingerprint:
        msg.add_fingerprint()
    return bytes(msg), msg.transaction_id


def header(mtype: int, length: int, cookie: int = COOKIE, tid: bytes = b"T" * 12) -> bytes:
    return struct.pack("!HHI12s", mtype, length, cookie, tid)


def with_attribute(mtype: int, attr_type: int, value: bytes) -> bytes:
    padded = value + bytes(-len(value) % 4)
    body = struct.pack("!HH", attr_type, len(value)) + padded
    return header(mtype, len(body)) + body


def sized_request(total: int) -> bytes:
    """A valid Binding Request padded to `total` bytes with an unknown optional attribute."""
    return with_attribute(0x0001, 0x8050, bytes(total - 24))


def bad_fingerprint() -> bytes:
    data, _ = request(fingerprint=True)
    return data[:-1] + bytes([data[-1] ^ 1])


MALFORMED: dict[str, Callable[[], bytes]] = {
    "short": lambda: request()[0][:16],
    "not_multiple_of_4": lambda: header(0x0001, 2) + b"\0\0",
    "wrong_cookie": lambda: header(0x0001, 0, cookie=COOKIE ^ 1),
    "top_bit_set": lambda: header(0x8001, 0),
    "second_top_bit_set": lambda: header(0x4001, 0),
    "length_field_mismatch": lambda: header(0x0001, 8) + b"\0" * 4,
    "bad_fingerprint": bad_fingerprint,
    "random_bytes": lambda: random.Random(5389).randbytes(64),
    "random_odd_bytes": lambda: random.Random(5390).randbytes(37),
    "oversize": lambda: sized_request(2052),
    # These pass the header checks and make aioice's parser raise ValueError / struct.error.
    "short_xor_mapped_address": lambda: with_attribute(0x0001, 0x0020, b"\0\1"),
    "short_change_request": lambda: with_attribute(0x0001, 0x0003, b"\0\0"),
}

IGNORED: dict[str, Callable[[], bytes]] = {
    "allocate_request": lambda: bytes(Message(Method.ALLOCATE, Class.REQUEST)),
    "unknown_method_request": lambda: header(0x000B, 0),
    "binding_indication": lambda: bytes(Message(Method.BINDING, Class.INDICATION)),
    "binding_success_response": lambda: bytes(Message(Method.BINDING, Class.RESPONSE)),
    "binding_error_response": lambda: bytes(Message(Method.BINDING, Class.ERROR)),
}


# -- helpers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def udp_client(host: str = "127.0.0.1") -> Iterator[socket.socket]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.setblocking(False)
        yield sock


async def receive(sock: socket.socket) -> bytes:
    data, _ = await asyncio.wait_for(asyncio.get_running_loop().sock_recvfrom(sock, 4096), TIMEOUT)
    return data


def assert_nothing_pending(sock: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        sock.recv(4096)


async def exchange(sock: socket.socket, port: int, junk: bytes) -> None:
    """Send junk then a valid request; the first and only reply must be the valid one's."""
    target = ("::1" if sock.family == socket.AF_INET6 else "127.0.0.1", port)
    data, tid = request()
    sock.sendto(junk, target)
    sock.sendto(data, target)
    reply = parse_message(await receive(sock))
    assert reply.transaction_id == tid
    assert reply.message_class == Class.RESPONSE
    assert_nothing_pending(sock)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[StunServer]:
    srv = await start_stun_server(0, software=SOFTWARE, host_v4="127.0.0.1", host_v6=None)
    yield srv
    srv.close()


class _Receiver:
    """The parts of aioice.ice.Connection that StunProtocol calls back into."""

    def data_received(self, data: bytes, component: int) -> None:
        raise AssertionError("the STUN server sent a non-STUN datagram")

    def request_received(self, *args: object) -> None:
        raise AssertionError("the STUN server sent a request")

    def protocol_lost(self, protocol: object) -> None:
        pass


@contextlib.asynccontextmanager
async def aioice_protocol(host: str) -> AsyncIterator[ice.StunProtocol]:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(
        lambda: ice.StunProtocol(_Receiver()),  # type: ignore[arg-type]
        local_addr=(host, 0),
    )
    try:
        yield protocol
    finally:
        await protocol.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_server(**kwargs: Any) -> StunServer:
    """A StunServer without sockets, for driving its datagram handler directly."""
    options = {"per_source_rate": 50.0, "per_source_burst": 100, "global_rate": 20000.0}
    options.update(kwargs)
    return StunServer(software=SOFTWARE, **options)  # type: ignore[arg-type]


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_aioice_srflx_candidate_is_the_client_address(server: StunServer) -> None:
    """aioice's own server-reflexive query (StunProtocol.request + Transaction) against us."""
    async with aioice_protocol("127.0.0.1") as protocol:
        host, port = protocol.transport.get_extra_info("sockname")[:2]
        protocol.local_candidate = Candidate(
            foundation="1", component=1, transport="udp", priority=1, host=host, port=port,
            type="host",
        )  # fmt: skip
        candidate, _ = await asyncio.wait_for(
            ice.server_reflexive_candidate(protocol, ("127.0.0.1", server.port)), TIMEOUT
        )
    assert candidate.type == "srflx"
    assert (candidate.host, candidate.port) == (host, port)
    assert server.stats == StunStats(answered=1)


@pytest.mark.asyncio
async def test_response_contents(server: StunServer) -> None:
    with udp_client() as sock:
        data, tid = request()
        sock.sendto(data, ("127.0.0.1", server.port))
        raw = await receive(sock)
        client_addr = sock.getsockname()
    reply = parse_message(raw)  # verifies FINGERPRINT
    assert reply.message_method == Method.BINDING
    assert reply.message_class == Class.RESPONSE
    assert reply.transaction_id == tid
    assert reply.attributes["XOR-MAPPED-ADDRESS"] == client_addr
    assert "MAPPED-ADDRESS" not in reply.attributes
    assert reply.attributes["SOFTWARE"] == SOFTWARE
    assert "FINGERPRINT" in reply.attributes
    assert raw[-8:-4] == b"\x80\x28\x00\x04", "FINGERPRINT must be the last attribute"
    # The fingerprint really covers the message: corrupt one byte and aioice rejects it.
    at = raw.index(SOFTWARE.encode())
    with pytest.raises(ValueError, match="fingerprint"):
        parse_message(raw[:at] + b"X" + raw[at + 1 :])


@pytest.mark.asyncio
async def test_request_with_valid_fingerprint_is_answered(server: StunServer) -> None:
    with udp_client() as sock:
        data, tid = request(fingerprint=True)
        sock.sendto(data, ("127.0.0.1", server.port))
        assert parse_message(await receive(sock)).transaction_id == tid


@pytest.mark.asyncio
async def test_ipv6_round_trip() -> None:
    srv = await start_stun_server(0, software=SOFTWARE, host_v4="127.0.0.1", host_v6="::1")
    try:
        assert srv.addresses == [("127.0.0.1", srv.port), ("::1", srv.port)]
        async with aioice_protocol("::1") as protocol:
            client = protocol.transport.get_extra_info("sockname")[:2]
            response, _ = await asyncio.wait_for(
                protocol.request(Message(Method.BINDING, Class.REQUEST), ("::1", srv.port)),
                TIMEOUT,
            )
    finally:
        srv.close()
    assert response.attributes["XOR-MAPPED-ADDRESS"] == client
    assert response.attributes["SOFTWARE"] == SOFTWARE
    assert srv.stats.answered == 1


@pytest.mark.asyncio
async def test_ipv6_only_server() -> None:
    srv = await start_stun_server(0, software=SOFTWARE, host_v4=None, host_v6="::1")
    try:
        assert srv.addresses == [("::1", srv.port)]
        with udp_client("::1") as sock:
            await exchange(sock, srv.port, b"")
    finally:
        srv.close()


def test_scope_id_is_stripped_from_ipv6_source() -> None:
    srv = make_server()
    data, _ = request()
    reply = srv._handle(data, ("fe80::1%eth0", 4242, 0, 2))
    assert reply is not None
    assert parse_message(reply).attributes["XOR-MAPPED-ADDRESS"] == ("fe80::1", 4242)


@pytest.mark.parametrize(
    "source", [("192.0.2.33", 40123), ("2001:db8::7", 50321), ("fe80::1%eth0", 4242, 0, 2)]
)
def test_reply_is_what_a_generic_stun_codec_builds(source: tuple[Any, ...]) -> None:
    """Byte for byte the message aioice would build: attribute order, padding, CRC."""
    srv = make_server()
    data, tid = request()
    expected = Message(Method.BINDING, Class.RESPONSE, transaction_id=tid)
    expected.attributes["XOR-MAPPED-ADDRESS"] = (source[0].partition("%")[0], source[1])
    expected.attributes["SOFTWARE"] = SOFTWARE
    expected.add_fingerprint()
    assert srv._handle(data, source) == bytes(expected)


@pytest.mark.parametrize("software", ["", "abc", "MiniMost 0.1.0", "é" * 40])
def test_software_of_any_length_is_padded(software: str) -> None:
    srv = StunServer(software=software, per_source_rate=1.0, per_source_burst=1, global_rate=1.0)
    reply = srv._handle(request()[0], ("10.0.0.1", 1))
    assert reply is not None
    assert len(reply) % 4 == 0
    assert parse_message(reply).attributes["SOFTWARE"] == software


@pytest.mark.asyncio
async def test_sockets_buffer_bursts_beyond_the_system_default(server: StunServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain:
        default = plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    for sock in server._sockets:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) > default


# -- garbage and other messages -----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("name", MALFORMED)
async def test_malformed_is_dropped_silently(
    server: StunServer, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with udp_client() as sock:
        await exchange(sock, server.port, MALFORMED[name]())
        await exchange(sock, server.port, MALFORMED[name]())  # and it keeps answering
    assert server.stats == StunStats(answered=2, malformed=2)
    assert caplog.records == []


# Parsing is what the buckets ration; everything else is dropped by the header checks alone.
PARSED = {"bad_fingerprint", "short_xor_mapped_address", "short_change_request"}


@pytest.mark.parametrize("name", sorted(set(MALFORMED) - PARSED) + sorted(IGNORED))
def test_header_checks_drop_without_spending_tokens(clock: FakeClock, name: str) -> None:
    srv = make_server(clock=clock, per_source_rate=0.001, per_source_burst=1)
    junk = {**MALFORMED, **IGNORED}[name]()
    for _ in range(3):
        assert srv._handle(junk, ("10.0.0.1", 1)) is None
    assert srv._handle(request()[0], ("10.0.0.1", 1)) is not None
    assert srv.stats.rate_limited == 0


@pytest.mark.parametrize("name", sorted(PARSED))
def test_request_shaped_junk_spends_tokens(clock: FakeClock, name: str) -> None:
    srv = make_server(clock=clock, per_source_rate=0.001, per_source_burst=1)
    assert srv._handle(MALFORMED[name](), ("10.0.0.1", 1)) is None
    assert srv._handle(request()[0], ("10.0.0.1", 1)) is None
    assert srv.stats == StunStats(malformed=1, rate_limited=1)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", IGNORED)
async def test_other_stun_messages_are_ignored(server: StunServer, name: str) -> None:
    with udp_client() as sock:
        await exchange(sock, server.port, IGNORED[name]())
    assert server.stats == StunStats(answered=1, ignored=1)


@pytest.mark.asyncio
async def test_largest_datagram_is_accepted(server: StunServer) -> None:
    data = sized_request(2048)
    assert len(data) == 2048
    with udp_client() as sock:
        sock.sendto(data, ("127.0.0.1", server.port))
        assert parse_message(await receive(sock)).transaction_id == data[8:20]
    assert server.stats == StunStats(answered=1)


@pytest.mark.asyncio
async def test_junk_flood_logs_at_most_a_summary(caplog: pytest.LogCaptureFixture) -> None:
    # Junk shaped like a Binding Request spends tokens (it is parsed): limits out of the way.
    server = await start_stun_server(
        0, software=SOFTWARE, host_v4="127.0.0.1", host_v6=None,
        per_source_burst=1_000_000, global_rate=1e9,
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    junk = [make() for make in MALFORMED.values()]
    sent = 0
    with udp_client() as sock:
        # Batches small enough for the kernel's receive buffer, each confirmed by a reply.
        for batch in range(200):
            for i in range(50):
                sock.sendto(junk[(batch * 50 + i) % len(junk)], ("127.0.0.1", server.port))
                sent += 1
            await exchange(sock, server.port, b"")
    assert sent == 10_000
    assert server.stats.malformed == 10_000 + 200  # exchange() sends an empty junk datagram
    assert server.stats.answered == 200
    assert server.stats.rate_limited == 0
    server.close()
    assert len(caplog.records) <= 2
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


# -- flood protection ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_per_source_limit_over_the_network() -> None:
    srv = await start_stun_server(
        0, software=SOFTWARE, host_v4="127.0.0.1", host_v6=None,
        per_source_rate=0.001, per_source_burst=5,
    )  # fmt: skip
    try:
        with udp_client("127.0.0.1") as noisy, udp_client("127.0.0.2") as other:
            tids = []
            for _ in range(20):
                data, tid = request()
                tids.append(tid)
                noisy.sendto(data, ("127.0.0.1", srv.port))
            # Another source port on the same IP shares the bucket...
            with udp_client("127.0.0.1") as same_ip:
                same_ip.sendto(request()[0], ("127.0.0.1", srv.port))
                # ...while another source IP, sent last, is still answered.
                await exchange(other, srv.port, b"")
                assert_nothing_pending(same_ip)
            answered = []
            with contextlib.suppress(BlockingIOError):
                while True:
                    answered.append(parse_message(noisy.recv(4096)).transaction_id)
    finally:
        srv.close()
    assert answered == tids[:5]
    assert srv.stats.rate_limited == 16
    assert srv.stats.answered == 6


def default_server(clock: FakeClock) -> StunServer:
    return StunServer(
        software=SOFTWARE,
        per_source_rate=stun_server.PER_SOURCE_RATE,
        per_source_burst=stun_server.PER_SOURCE_BURST,
        global_rate=stun_server.GLOBAL_RATE,
        clock=clock,
    )


def test_default_limits_answer_a_busy_lan(clock: FakeClock) -> None:
    """200 hosts asking 100 times a second each (20,000/s) for two seconds: all answered."""
    srv = default_server(clock)
    data, _ = request()
    sources = [(f"10.0.{i // 250}.{i % 250 + 1}", 5000) for i in range(200)]
    for step in range(40_000):
        clock.now += 1 / 20_000
        srv._handle(data, sources[step % 200])
    assert srv.stats == StunStats(answered=40_000)


def test_default_limits_bound_a_flood(clock: FakeClock) -> None:
    """100,000 requests/s from 1,000 hosts for one second: about the global rate answered."""
    srv = default_server(clock)
    data, _ = request()
    for step in range(100_000):
        clock.now += 1 / 100_000
        srv._handle(data, (f"10.1.{step % 1000 // 250}.{step % 250 + 1}", 5000))
    burst = stun_server.GLOBAL_RATE / 10
    assert stun_server.GLOBAL_RATE <= srv.stats.answered <= stun_server.GLOBAL_RATE + burst
    assert srv.stats.answered + srv.stats.rate_limited == 100_000


def test_bucket_refills_at_the_configured_rate(clock: FakeClock) -> None:
    srv = make_server(clock=clock, per_source_rate=2.0, per_source_burst=3)
    source = ("10.0.0.1", 5000)

    def answered(n: int) -> int:
        return sum(srv._handle(request()[0], source) is not None for _ in range(n))

    assert answered(10) == 3
    clock.now += 0.5  # one token
    assert answered(10) == 1
    clock.now += 100.0  # capped at the burst
    assert answered(10) == 3
    assert srv.stats == StunStats(answered=7, rate_limited=23)


def test_global_limit(clock: FakeClock) -> None:
    srv = make_server(clock=clock, global_rate=30.0)  # burst 3
    sources = [(f"10.0.0.{i}", 5000) for i in range(10)]
    replies = [srv._handle(request()[0], s) for s in sources]
    assert sum(r is not None for r in replies) == 3
    assert srv.stats.rate_limited == 7
    clock.now += 0.1  # three tokens
    replies = [srv._handle(request()[0], s) for s in sources]
    assert sum(r is not None for r in replies) == 3


def test_source_limited_requests_do_not_spend_global_tokens(clock: FakeClock) -> None:
    srv = make_server(clock=clock, per_source_burst=1, global_rate=20.0)  # global burst 2
    for _ in range(10):
        srv._handle(request()[0], ("10.0.0.1", 1))
    assert srv._handle(request()[0], ("10.0.0.2", 1)) is not None
    assert srv.stats == StunStats(answered=2, rate_limited=9)


def test_tiny_global_rate_still_allows_one_request(clock: FakeClock) -> None:
    srv = make_server(clock=clock, global_rate=1.0)
    assert srv._handle(request()[0], ("10.0.0.1", 1)) is not None


def test_source_table_is_bounded(clock: FakeClock) -> None:
    srv = make_server(clock=clock, global_rate=1e9)
    data, _ = request()
    for i in range(25_000):  # spoofed sources, all drained a little and still "active"
        srv._handle(data, (f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", 1))
    assert srv.stats.answered == 25_000
    assert 0 < len(srv._buckets) <= stun_server._MAX_SOURCES
    # Once buckets have refilled they carry no state: a sweep drops all of them first.
    clock.now += 100.0
    for i in range(stun_server._MAX_SOURCES - len(srv._buckets)):
        srv._handle(data, (f"11.0.{i >> 8}.{i & 255}", 1))
    assert len(srv._buckets) == stun_server._MAX_SOURCES
    srv._handle(data, ("12.0.0.1", 1))
    assert list(srv._buckets) == ["12.0.0.1"]


def test_send_errors_are_ignored() -> None:
    srv = make_server()

    class BrokenTransport:
        def sendto(self, data: bytes, addr: object) -> None:
            raise OSError("network is unreachable")

    protocol = stun_server._Protocol(srv)
    protocol.connection_made(BrokenTransport())  # type: ignore[arg-type]
    protocol.datagram_received(request()[0], ("10.0.0.1", 1))
    protocol.error_received(ConnectionRefusedError())
    assert srv.stats.answered == 1


def test_requests_are_dropped_while_writing_is_paused() -> None:
    srv = make_server()
    sent: list[bytes] = []

    class Transport:
        def sendto(self, data: bytes, addr: object) -> None:
            sent.append(data)

    protocol = stun_server._Protocol(srv)
    protocol.connection_made(Transport())  # type: ignore[arg-type]
    protocol.pause_writing()
    protocol.datagram_received(request()[0], ("10.0.0.1", 1))
    protocol.resume_writing()
    protocol.datagram_received(request()[0], ("10.0.0.1", 1))
    assert len(sent) == 1
    assert srv.stats == StunStats(answered=1, rate_limited=1)


# -- binding ------------------------------------------------------------------------------------


def _bind_plain(family: socket.AddressFamily, host: str, port: int) -> None:
    """Bind without SO_REUSEADDR/SO_REUSEPORT: fails while anything else holds the port."""
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))


@pytest.mark.asyncio
async def test_two_servers_share_a_port() -> None:
    first = await start_stun_server(0, software=SOFTWARE)
    try:
        second = await start_stun_server(first.port, software=SOFTWARE)
        try:
            assert second.port == first.port
            assert len(second.addresses) == len(first.addresses)
            # Linux also lets SO_REUSEADDR alone share a UDP port; check the options themselves.
            for sock in first._sockets + second._sockets:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
                if sock.family == socket.AF_INET6:
                    assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
            with udp_client() as sock:
                await exchange(sock, first.port, b"")
            assert first.stats.answered + second.stats.answered == 1
        finally:
            second.close()
    finally:
        first.close()


@pytest.mark.asyncio
async def test_close_is_idempotent_and_frees_the_port() -> None:
    srv = await start_stun_server(0, software=SOFTWARE)
    port = srv.port
    with pytest.raises(OSError, match="in use"):
        _bind_plain(socket.AF_INET, "0.0.0.0", port)
    srv.close()
    srv.close()
    _bind_plain(socket.AF_INET, "0.0.0.0", port)
    assert srv.addresses[1] == ("::", port)
    _bind_plain(socket.AF_INET6, "::", port)


def test_under_uvloop() -> None:
    import uvloop

    async def main() -> None:
        srv = await start_stun_server(0, software=SOFTWARE)
        async with aioice_protocol("127.0.0.1") as protocol:  # uvloop has no sock_recvfrom
            client = protocol.transport.get_extra_info("sockname")[:2]
            protocol.transport.sendto(b"junk", ("127.0.0.1", srv.port))
            response, _ = await asyncio.wait_for(
                protocol.request(Message(Method.BINDING, Class.REQUEST), ("127.0.0.1", srv.port)),
                TIMEOUT,
            )
        assert response.attributes["XOR-MAPPED-ADDRESS"] == client
        assert srv.stats == StunStats(answered=1, malformed=1)
        srv.close()
        srv.close()
        await asyncio.wait_for(srv._wait_closed(), TIMEOUT)  # uvloop frees the fd a tick later
        _bind_plain(socket.AF_INET, "0.0.0.0", srv.port)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


@pytest.mark.asyncio
async def test_ipv6_unavailable_falls_back_to_ipv4(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    srv = await start_stun_server(0, software=SOFTWARE, host_v4="127.0.0.1", host_v6="2001:db8::1")
    try:
        assert srv.addresses == [("127.0.0.1", srv.port)]
        with udp_client() as sock:
            await exchange(sock, srv.port, b"")
    finally:
        srv.close()
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "IPv4 only" in caplog.records[0].getMessage()


@pytest.mark.asyncio
async def test_bind_failures_raise_oserror() -> None:
    with pytest.raises(OSError, match="needs an IPv4 or IPv6 host"):
        await start_stun_server(0, software=SOFTWARE, host_v4=None, host_v6=None)
    with pytest.raises(OSError, match="assign requested address"):
        await start_stun_server(0, software=SOFTWARE, host_v4="203.0.113.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        with pytest.raises(OSError, match="in use"):
            await start_stun_server(
                taken.getsockname()[1], software=SOFTWARE, host_v4="127.0.0.1", host_v6=None
            )


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="SOFTWARE"):
        make_server_with_software("x" * 128)
    with pytest.raises(ValueError, match="positive"):
        make_server(per_source_rate=0.0)


def make_server_with_software(software: str) -> StunServer:
    return StunServer(software=software, per_source_rate=1.0, per_source_burst=1, global_rate=1.0)
