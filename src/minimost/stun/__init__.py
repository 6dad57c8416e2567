"""The bundled STUN server, so browsers on a LAN find their own address for calls."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .server import StunServer, start_stun_server

log = logging.getLogger(__name__)


def register(app: Quart, runtime: Runtime) -> None:
    @asynccontextmanager
    async def serving() -> AsyncIterator[StunServer | None]:
        port = runtime.settings.stun_port
        try:
            server = await start_stun_server(port, software=f"MiniMost {runtime.version}")
        except OSError as error:
            log.error("STUN server could not bind UDP port %d (%s); calls may fail", port, error)
            yield None
            return
        runtime.services["stun"] = server
        runtime.services["stun_port"] = server.port
        log.info("STUN server answering on %s", ", ".join(f"{h}:{p}" for h, p in server.addresses))
        try:
            yield server
        finally:
            server.close()
            runtime.services.pop("stun", None)

    runtime.while_serving("stun", serving)


FEATURE = Feature("stun", register, enabled=lambda settings: settings.stun_enabled)
