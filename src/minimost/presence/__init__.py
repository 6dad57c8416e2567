"""Who is online: presence states, reset when the server starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from . import store


def register(app: Quart, runtime: Runtime) -> None:
    @asynccontextmanager
    async def everyone_offline_at_start() -> AsyncIterator[None]:
        """Nobody is connected to a server that just started, whatever the table says."""
        async with runtime.stores.presence.transaction() as connection:
            await store.mark_everyone_offline(connection)
        yield

    runtime.while_serving("presence reset", everyone_offline_at_start)


FEATURE = Feature("presence", register)
