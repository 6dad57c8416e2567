"""What a running MiniMost shares between features: settings, data root, stores, services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quart import Quart, current_app

from .db import Stores
from .paths import DataRoot
from .settings import Settings, SettingsSource

if TYPE_CHECKING:
    from .audit import AuditLog
    from .tls import TLSFiles

log = logging.getLogger(__name__)

ServiceFactory = Callable[[], AbstractAsyncContextManager[object]]


@dataclass
class Runtime:
    data_root: DataRoot
    settings_source: SettingsSource
    settings: Settings
    version: str
    stores: Stores
    tls: TLSFiles | None = None
    audit: AuditLog | None = None
    services: dict[str, object] = field(default_factory=dict)
    serving: asyncio.Event = field(default_factory=asyncio.Event)
    _serving: list[tuple[str, ServiceFactory]] = field(default_factory=list)

    def while_serving(self, name: str, factory: ServiceFactory) -> None:
        """Run ``factory()`` as a context for as long as the app serves.

        Contexts start in registration (feature) order and stop in reverse, and a failed
        start stops whatever had already started.
        """
        self._serving.append((name, factory))

    async def lifespan(self) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for name, factory in self._serving:
                log.debug("starting %s", name)
                await stack.enter_async_context(factory())
            self.serving.set()
            try:
                yield
            finally:
                self.serving.clear()
                log.debug("stopping services")


def get_runtime(app: Quart | None = None) -> Runtime:
    """The runtime of ``app`` (or of the app handling the current request)."""
    runtime = (app or current_app).extensions["minimost"]
    assert isinstance(runtime, Runtime)
    return runtime
