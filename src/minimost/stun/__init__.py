"""The bundled STUN server, so browsers on a LAN find their own address for calls.

It runs while calls are on (``calls_enabled``) and ``stun_enabled`` is true. It listens
where the ``stun_host`` setting says; left empty it follows the host the ``minimost``
command serves HTTP on (the ``serving_host`` boot option), and where that is not
known (an app served by the ``hypercorn`` command, whose bind the app cannot see) on all
interfaces, since a reverse proxy in front does not carry STUN's UDP for the browsers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .server import StunServer, start_stun_server

log = logging.getLogger(__name__)

_ALL_INTERFACES = ("", "0.0.0.0", "::")


async def listen_hosts(host: str) -> tuple[str | None, str | None]:
    """The IPv4 and IPv6 addresses to bind for ``host`` (None: not that family)."""
    if host in _ALL_INTERFACES:
        return "0.0.0.0", "::"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
        v4 = next((info[4][0] for info in found if info[0] == socket.AF_INET), None)
        v6 = next((info[4][0] for info in found if info[0] == socket.AF_INET6), None)
        return v4, v6
    return (host, None) if address.version == 4 else (None, host)


def url(host: str, port: int) -> str:
    return f"udp://[{host}]:{port}" if ":" in host else f"udp://{host}:{port}"


def register(app: Quart, runtime: Runtime) -> None:
    @asynccontextmanager
    async def serving() -> AsyncIterator[StunServer | None]:
        port = runtime.settings.stun_port
        host = runtime.settings.stun_host or runtime.boot.serving_host or ""
        try:
            host_v4, host_v6 = await listen_hosts(host)
            server = await start_stun_server(
                port, software=f"MiniMost {runtime.version}", host_v4=host_v4, host_v6=host_v6
            )
        except OSError as error:
            where = url(host or "0.0.0.0", port)
            log.error("STUN server could not listen on %s (%s); calls may fail", where, error)
            yield None
            return
        runtime.services.stun = server
        log.info("STUN on %s", ", ".join(url(h, p) for h, p in server.addresses))
        try:
            yield server
        finally:
            server.close()
            runtime.services.stun = None

    runtime.while_serving("stun", serving)


FEATURE = Feature(
    "stun", register, enabled=lambda settings: settings.calls_enabled and settings.stun_enabled
)
