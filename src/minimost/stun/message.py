"""Strict checks of a Binding Request's attributes, and the 420 error response (RFC 8489).

A request is malformed (dropped unanswered) when an attribute's length runs past the end,
FINGERPRINT is not last or its CRC is wrong, MESSAGE-INTEGRITY is misplaced or a known
attribute has an impossible length. A well-formed request carrying comprehension-required
attributes (types below 0x8000) that this server does not understand gets a 420 listing them.
"""

from __future__ import annotations

import struct
import zlib

COOKIE = 0x2112A442
FINGERPRINT_XOR = 0x5354554E
BINDING_ERROR = 0x0111

_ATTRIBUTE = struct.Struct("!HH")
_CRC = struct.Struct("!I")
_FINGERPRINT = 0x8028
_FINGERPRINT_ATTRIBUTE = _ATTRIBUTE.pack(_FINGERPRINT, 4)
_MESSAGE_INTEGRITY = 0x0008
_MESSAGE_INTEGRITY_SHA256 = 0x001C
_MAPPED_ADDRESS = 0x0001
_XOR_MAPPED_ADDRESS = 0x0020
_ERROR_CODE = 0x0009
_UNKNOWN_ATTRIBUTES = 0x000A
_ERROR_420 = b"\x00\x00\x04\x14Unknown Attribute"

# Comprehension-required attributes a Binding server understands (RFC 8489 and ICE's, which
# it may ignore). CHANGE-REQUEST, PADDING and RESPONSE-PORT (RFC 5780) are not among them: a
# client asking for NAT behaviour discovery learns from the 420 that it is not offered.
UNDERSTOOD = frozenset(
    {
        _MAPPED_ADDRESS,
        0x0006,  # USERNAME
        _MESSAGE_INTEGRITY,
        _ERROR_CODE,
        _UNKNOWN_ATTRIBUTES,
        0x0014,  # REALM
        0x0015,  # NONCE
        _MESSAGE_INTEGRITY_SHA256,
        0x001D,  # PASSWORD-ALGORITHM
        0x001E,  # USERHASH
        _XOR_MAPPED_ADDRESS,
        0x0024,  # PRIORITY
        0x0025,  # USE-CANDIDATE
    }
)

# Value lengths (inclusive bounds) that known attributes can have; anything else is malformed.
_LENGTHS: dict[int, tuple[int, int]] = {
    _MAPPED_ADDRESS: (8, 20),
    0x0003: (4, 4),  # CHANGE-REQUEST
    0x0006: (0, 508),  # USERNAME: fewer than 509 bytes
    _MESSAGE_INTEGRITY: (20, 20),
    _ERROR_CODE: (4, 767),
    0x0014: (0, 762),  # REALM
    0x0015: (0, 762),  # NONCE
    _MESSAGE_INTEGRITY_SHA256: (16, 32),
    0x001E: (32, 32),  # USERHASH
    _XOR_MAPPED_ADDRESS: (8, 20),
    0x0024: (4, 4),  # PRIORITY
    0x0025: (0, 0),  # USE-CANDIDATE
    0x0027: (4, 4),  # RESPONSE-PORT
    0x8022: (0, 762),  # SOFTWARE
    0x8029: (8, 8),  # ICE-CONTROLLED
    0x802A: (8, 8),  # ICE-CONTROLLING
}
_ADDRESSES = frozenset({_MAPPED_ADDRESS, _XOR_MAPPED_ADDRESS})
_AFTER_INTEGRITY = frozenset({_MESSAGE_INTEGRITY_SHA256, _FINGERPRINT})
_NOTHING_UNKNOWN: tuple[int, ...] = ()


def inspect_attributes(data: bytes) -> tuple[int, ...] | None:
    """None if the attributes are malformed, else the unknown comprehension-required types.

    ``data`` has passed the header checks: its length is a multiple of 4 and matches the
    header, so every attribute that fits ends on a 4-byte boundary and the walk ends exactly
    at the end of the datagram.
    """
    size = len(data)
    if size == 28 and data[20:24] == _FINGERPRINT_ATTRIBUTE:  # what browsers send
        if zlib.crc32(data[:20]) ^ FINGERPRINT_XOR != _CRC.unpack_from(data, 24)[0]:
            return None
        return _NOTHING_UNKNOWN
    unknown: dict[int, None] | None = None  # insertion-ordered, without repeats
    integrity = 0  # 1 after MESSAGE-INTEGRITY, 2 after MESSAGE-INTEGRITY-SHA256
    offset = 20
    unpack = _ATTRIBUTE.unpack_from
    while offset < size:
        kind, length = unpack(data, offset)
        end = offset + 4 + length + (-length & 3)
        if end > size:
            return None
        if kind == _FINGERPRINT:
            if end != size or length != 4:
                return None
            if zlib.crc32(data[:offset]) ^ FINGERPRINT_XOR != _CRC.unpack_from(data, offset + 4)[0]:
                return None
            break
        bounds = _LENGTHS.get(kind)
        if bounds is not None and not _valid_value(data, kind, offset, length, bounds):
            return None
        if integrity and (integrity == 2 or kind not in _AFTER_INTEGRITY):
            return None  # only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow
        if kind == _MESSAGE_INTEGRITY:
            integrity = 1
        elif kind == _MESSAGE_INTEGRITY_SHA256:
            integrity = 2
        elif kind < 0x8000 and kind not in UNDERSTOOD:
            if unknown is None:
                unknown = {kind: None}
            else:
                unknown[kind] = None
        offset = end
    return _NOTHING_UNKNOWN if unknown is None else tuple(unknown)


def _valid_value(data: bytes, kind: int, offset: int, length: int, bounds: tuple[int, int]) -> bool:
    """Whether a known attribute's length (and, for a few types, its value) is possible."""
    if not bounds[0] <= length <= bounds[1]:
        return False
    if kind in _ADDRESSES:
        # Family 1 (IPv4) has an 8-byte value, family 2 (IPv6) a 20-byte one.
        return data[offset + 4] == 0 and (data[offset + 5], length) in ((1, 8), (2, 20))
    if kind == _MESSAGE_INTEGRITY_SHA256:
        return length % 4 == 0
    return True


def unknown_attribute_error(transaction_id: bytes, unknown: tuple[int, ...], tail: bytes) -> bytes:
    """A Binding error response: 420 with UNKNOWN-ATTRIBUTES, ``tail``, then FINGERPRINT."""
    listed = struct.pack(f"!{len(unknown)}H", *unknown)
    body = _attribute(_ERROR_CODE, _ERROR_420) + _attribute(_UNKNOWN_ATTRIBUTES, listed) + tail
    message = struct.pack("!HHI", BINDING_ERROR, len(body) + 8, COOKIE) + transaction_id + body
    crc = zlib.crc32(message) ^ FINGERPRINT_XOR
    return message + _FINGERPRINT_ATTRIBUTE + _CRC.pack(crc)


def _attribute(kind: int, value: bytes) -> bytes:
    return _ATTRIBUTE.pack(kind, len(value)) + value + bytes(-len(value) % 4)
