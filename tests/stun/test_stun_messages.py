"""What the STUN server answers to requests with attributes: strict checks and the 420."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import zlib
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from aioice.stun import Class, Message, Method, parse_message

from minimost.stun.server import StunServer, StunStats, start_stun_server

SOFTWARE = "MiniMost-test 1.0"
COOKIE = 0x2112A442
FINGERPRINT = 0x8028
MESSAGE_INTEGRITY = 0x0008
MESSAGE_INTEGRITY_SHA256 = 0x001C
TID = b"0123456789ab"
TIMEOUT = 5.0


def attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + bytes(-len(value) % 4)


def request(*attributes: bytes, fingerprint: bool = True, mtype: int = 0x0001) -> bytes:
    """A message of ``attributes``, with a correct FINGERPRINT last unless told otherwise."""
    body = b"".join(attributes)
    extra = 8 if fingerprint else 0
    data = struct.pack("!HHI", mtype, len(body) + extra, COOKIE) + TID + body
    if fingerprint:
        data += struct.pack("!HHI", FINGERPRINT, 4, zlib.crc32(data) ^ 0x5354554E)
    return data


def ice_check() -> Message:
    """A connectivity check as browsers send them: every attribute known to the server."""
    msg = Message(Method.BINDING, Class.REQUEST)
    msg.attributes.update(
        {
            "USERNAME": "abcd:efgh",
            "PRIORITY": 1853824767,
            "ICE-CONTROLLING": 42,
            "USE-CANDIDATE": None,
        }
    )
    msg.add_message_integrity(b"0123456789abcdef0123")
    msg.add_fingerprint()
    return msg


@contextlib.contextmanager
def udp_client() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        yield sock


@pytest_asyncio.fixture
async def server() -> AsyncIterator[StunServer]:
    srv = await start_stun_server(0, software=SOFTWARE, host_v4="127.0.0.1", host_v6=None)
    yield srv
    srv.close()


async def send(sock: socket.socket, port: int, data: bytes) -> bytes | None:
    """Send ``data`` then a plain request; the reply to ``data``, or None if it got none."""
    loop = asyncio.get_running_loop()
    probe = Message(Method.BINDING, Class.REQUEST)
    sock.sendto(data, ("127.0.0.1", port))
    sock.sendto(bytes(probe), ("127.0.0.1", port))
    first = await asyncio.wait_for(loop.sock_recv(sock, 4096), TIMEOUT)
    if first[8:20] == probe.transaction_id:
        return None
    second = await asyncio.wait_for(loop.sock_recv(sock, 4096), TIMEOUT)
    assert second[8:20] == probe.transaction_id
    return first


def unknown_attributes(reply: bytes) -> list[int]:
    """The types listed in a reply's UNKNOWN-ATTRIBUTES (aioice does not decode it)."""
    offset = 20
    while offset < len(reply):
        kind, length = struct.unpack_from("!HH", reply, offset)
        if kind == 0x000A:
            return list(struct.unpack_from(f"!{length // 2}H", reply, offset + 4))
        offset += 4 + length + (-length % 4)
    raise AssertionError("no UNKNOWN-ATTRIBUTES")


MALFORMED = {
    "attribute_past_end": request(struct.pack("!HH", 0x8022, 9) + b"abcd", fingerprint=False),
    "attribute_past_end_before_fingerprint": request(struct.pack("!HH", 0x8050, 16) + b"abcd"),
    "fingerprint_not_last": (
        request(attribute(0x8022, b"x"))[:2]
        + struct.pack("!H", 24)
        + request(attribute(0x8022, b"x"))[4:]
        + attribute(0x8022, b"after")
    ),
    "fingerprint_wrong_crc": request(attribute(0x8022, b"x"))[:-1] + b"\0",
    "fingerprint_wrong_length": request(attribute(FINGERPRINT, bytes(8)), fingerprint=False),
    "attribute_after_message_integrity": request(
        attribute(MESSAGE_INTEGRITY, bytes(20)), attribute(0x8022, b"x")
    ),
    "unknown_required_after_message_integrity": request(
        attribute(MESSAGE_INTEGRITY, bytes(20)), attribute(0x0030, b"x")
    ),
    "two_message_integrities": request(
        attribute(MESSAGE_INTEGRITY, bytes(20)), attribute(MESSAGE_INTEGRITY, bytes(20))
    ),
    "message_integrity_after_sha256": request(
        attribute(MESSAGE_INTEGRITY_SHA256, bytes(32)), attribute(MESSAGE_INTEGRITY, bytes(20))
    ),
    "message_integrity_short": request(attribute(MESSAGE_INTEGRITY, bytes(16))),
    "message_integrity_sha256_short": request(attribute(MESSAGE_INTEGRITY_SHA256, bytes(12))),
    "xor_mapped_address_bad_family": request(attribute(0x0020, b"\0\3" + bytes(6))),
    "priority_short": request(attribute(0x0024, b"\0\1")),
    "use_candidate_with_value": request(attribute(0x0025, b"\0\0\0\1")),
    "unknown_required_then_truncated": request(
        attribute(0x0030, b"x"), struct.pack("!HH", 0x8022, 40), fingerprint=False
    ),
}

ANSWERED = {
    "software_and_fingerprint": request(attribute(0x8022, b"Firefox")),
    "unknown_optional": request(attribute(0x8050, b"anything"), attribute(0xC057, b"\0\1\0\0")),
    "no_fingerprint": request(attribute(0x8022, b"x"), fingerprint=False),
    "message_integrity_then_sha256": request(
        attribute(MESSAGE_INTEGRITY, bytes(20)), attribute(MESSAGE_INTEGRITY_SHA256, bytes(32))
    ),
    "ice_check": bytes(ice_check()),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", MALFORMED)
async def test_malformed_requests_get_no_answer(
    server: StunServer, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with udp_client() as sock:
        assert await send(sock, server.port, MALFORMED[name]) is None
    assert server.stats == StunStats(answered=1, malformed=1)
    assert caplog.records == []


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ANSWERED)
async def test_well_formed_requests_are_answered(server: StunServer, name: str) -> None:
    with udp_client() as sock:
        reply = await send(sock, server.port, ANSWERED[name])
        assert reply is not None
        parsed = parse_message(reply)
        assert parsed.message_class == Class.RESPONSE
        assert parsed.transaction_id == ANSWERED[name][8:20]
        assert parsed.attributes["XOR-MAPPED-ADDRESS"] == sock.getsockname()
    assert server.stats == StunStats(answered=2)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("attributes", "listed"),
    [
        ([attribute(0x0030, b"abcd")], [0x0030]),
        ([attribute(0x0003, bytes(4))], [0x0003]),  # CHANGE-REQUEST: no NAT behaviour tests
        (
            [
                attribute(0x7FFF, b""),
                attribute(0x8022, b"x"),
                attribute(0x0027, b"\0\1\0\0"),  # RESPONSE-PORT
                attribute(0x7FFF, b"again"),
                attribute(0x0000, b""),
            ],
            [0x7FFF, 0x0027, 0x0000],
        ),
    ],
)
async def test_unknown_comprehension_required_attributes_get_420(
    server: StunServer, attributes: list[bytes], listed: list[int]
) -> None:
    with udp_client() as sock:
        reply = await send(sock, server.port, request(*attributes))
    assert reply is not None
    parsed = parse_message(reply)  # checks the reply's FINGERPRINT
    assert parsed.message_method == Method.BINDING
    assert parsed.message_class == Class.ERROR
    assert parsed.transaction_id == TID
    assert parsed.attributes["ERROR-CODE"] == (420, "Unknown Attribute")
    assert parsed.attributes["SOFTWARE"] == SOFTWARE
    assert "XOR-MAPPED-ADDRESS" not in parsed.attributes
    assert unknown_attributes(reply) == listed
    assert reply[-8:-4] == b"\x80\x28\x00\x04", "FINGERPRINT must be the last attribute"
    assert len(reply) % 4 == 0
    assert server.stats == StunStats(answered=1, rejected=1)


@pytest.mark.asyncio
async def test_unknown_attributes_in_an_indication_get_no_answer(server: StunServer) -> None:
    with udp_client() as sock:
        indication = request(attribute(0x0030, b"abcd"), mtype=0x0011)
        assert await send(sock, server.port, indication) is None
    assert server.stats == StunStats(answered=1, ignored=1)
