"""What a running MiniMost shares between features: settings, data root, stores, services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from quart import Quart, current_app

from .boot import BootOptions
from .db import Stores
from .paths import DataRoot
from .settings import Settings, SettingsSource

if TYPE_CHECKING:
    from quart_rate_limiter import RateLimiter

    from .audit import AuditLog
    from .calls.actions import CallService
    from .chat.message_cache import EncodedMessages
    from .chat.older_html import OlderHtml
    from .housekeeping.scheduler import Housekeeper
    from .identity.lifecycle import AccountLifecycle
    from .presence.live import PresenceTracker
    from .presence.typing_notices import TypingNotices
    from .previews.service import PreviewService
    from .realtime.services import Realtime
    from .stun.server import StunServer
    from .tls import TLSFiles

log = logging.getLogger(__name__)

ServiceFactory = Callable[[], AbstractAsyncContextManager[object]]
T = TypeVar("T")


class MissingServiceError(RuntimeError):
    """Code asked for the service of a feature that is switched off: a wiring mistake."""


@dataclass
class Services:
    """One attribute per service; None while its feature is off (or, for STUN, not listening).

    Each feature sets its own in ``register()``; code that cannot work without one
    takes it through :func:`need`.
    """

    accounts: AccountLifecycle | None = None
    rate_limiter: RateLimiter | None = None
    realtime: Realtime | None = None
    presence: PresenceTracker | None = None
    typing: TypingNotices | None = None
    encoded_messages: EncodedMessages | None = None
    older_html: OlderHtml | None = None
    previews: PreviewService | None = None
    calls: CallService | None = None
    stun: StunServer | None = None
    housekeeping: Housekeeper | None = None


def need(service: T | None, name: str) -> T:
    """``service``, or a clear error naming the feature that should have registered it."""
    if service is None:
        raise MissingServiceError(f"the {name} service is not running: its feature is off")
    return service


@dataclass
class Runtime:
    data_root: DataRoot
    settings_source: SettingsSource
    settings: Settings
    version: str
    stores: Stores
    tls: TLSFiles | None = None
    audit: AuditLog | None = None
    boot: BootOptions = field(default_factory=BootOptions)
    services: Services = field(default_factory=Services)
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
