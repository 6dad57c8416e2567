"""Link previews (OpenGraph cards, code snippets) fetched safely, with proxied images."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .fetch import GuardedFetcher
from .guard import TargetPolicy, system_resolve
from .routes import blueprint
from .service import PreviewService


def register(app: Quart, runtime: Runtime) -> None:
    settings = runtime.settings
    policy = TargetPolicy.from_lists(
        settings.link_preview_private_hosts, settings.link_preview_ports
    )
    service = PreviewService(
        GuardedFetcher(policy, resolve=system_resolve), app.config["SECRET_KEY"]
    )
    runtime.services.previews = service

    @asynccontextmanager
    async def serving() -> AsyncIterator[PreviewService]:
        try:
            yield service
        finally:
            await service.close()

    runtime.while_serving("previews", serving)
    app.register_blueprint(blueprint)


FEATURE = Feature("previews", register)
