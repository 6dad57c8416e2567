"""Accounts: sign-in and sign-up pages, passwords, avatars, the account API and CLI."""

from __future__ import annotations

import contextlib

from quart import Quart, Response, request

from ..features import Feature
from ..runtime import Runtime
from ..web.errors import error_response
from ..web.ratelimits import RateLimitExceeded, rate_limit_message, register_rate_limiter
from . import admin_api, api, cli, routes


def register(app: Quart, runtime: Runtime) -> None:
    register_rate_limiter(app, runtime)
    app.register_blueprint(routes.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(admin_api.blueprint)
    cli.register_commands(app)

    @app.errorhandler(RateLimitExceeded)
    async def rate_limited(error: RateLimitExceeded) -> Response:
        retry_after = int(error.retry_after)
        page = await routes.rate_limited_page(retry_after)
        if page is not None:
            return page
        return await error_response(
            429, {"Retry-After": str(retry_after)}, message=rate_limit_message(retry_after)
        )

    @app.before_request
    async def remember_served_url() -> None:
        """Reset links printed by the admin command point where users really connect."""
        # Building ``host_url`` costs more than the rest of this hook: only on a change.
        seen = (request.scheme, request.host, request.root_path)
        if app.config.get("MINIMOST_SERVED_AT") == seen:
            return
        app.config["MINIMOST_SERVED_AT"] = seen
        if app.config.get("MINIMOST_SERVED_URL") == request.host_url:
            return
        app.config["MINIMOST_SERVED_URL"] = request.host_url
        marker = runtime.data_root.path / cli.SERVED_URL_FILE
        with contextlib.suppress(OSError):
            marker.write_text(request.host_url.rstrip("/") + "\n")


FEATURE = Feature("auth", register)
