"""Facts about the incoming request: which one it is and the address it came from."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from quart import has_request_context, request, websocket


def incoming() -> Any:
    """The current request, or the websocket handshake when there is no request."""
    return request if has_request_context() else websocket


def client_ip(trusted_proxies: Iterable[str] = ()) -> str:
    """The client's address; ``X-Forwarded-For`` counts only behind a trusted proxy.

    Walks the forwarded chain from the right, skipping trusted proxies, so a client
    cannot pick its own rate-limit key by sending the header itself.
    """
    current = incoming()
    remote = current.remote_addr or "unknown"
    networks = [ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies]
    if not networks or not _in_networks(remote, networks):
        return remote
    forwarded = [
        part.strip()
        for header in current.headers.getlist("X-Forwarded-For")
        for part in header.split(",")
        if part.strip()
    ]
    for address in reversed(forwarded):
        if not _in_networks(address, networks):
            return address
    return forwarded[0] if forwarded else remote


def _in_networks(
    address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
