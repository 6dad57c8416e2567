"""Calls and screen shares: live ones cannot survive a restart, so startup ends them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from . import store


def register(app: Quart, runtime: Runtime) -> None:
    @asynccontextmanager
    async def end_live_calls_at_start() -> AsyncIterator[None]:
        """End calls and shares left live by the previous process, without notices."""
        database = runtime.stores.presence
        async with database.transaction() as connection:
            now = time.time()
            await store.end_live_calls(connection, now)
            await store.end_active_screenshares(connection, now)
            await store.delete_all_signals(connection)
        async with (
            database.writer() as connection,
            connection.execute("PRAGMA incremental_vacuum") as cursor,
        ):
            await cursor.fetchall()
        yield

    runtime.while_serving("calls reset", end_live_calls_at_start)


FEATURE = Feature("calls", register)
