"""Per-action rate limits from ``settings.json``, enforced by quart-rate-limiter.

Each app wraps its own copy of a limited view, so two apps in one process (tests, or
workers with different settings) never share limits. Keys come from the client
address (``X-Forwarded-For`` only behind a trusted proxy) or the signed-in user.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Any, Literal

from quart import Quart, current_app, g
from quart_rate_limiter import RateLimit, RateLimiter, RateLimitExceeded, rate_limit

from .reaches import rate_limit_key
from .runtime import Runtime, get_runtime, need
from .security import client_ip

View = Callable[..., Awaitable[Any]]


def rate_limit_message(retry_after: int) -> str:
    seconds = max(1, retry_after)
    unit = "second" if seconds == 1 else "seconds"
    return f"You're doing that too quickly. Please wait {seconds} {unit} and try again."


async def ip_key() -> str:
    return client_ip(get_runtime(current_app).settings.trusted_proxies)


async def user_key() -> str:
    """The signed-in user, so one person's limit follows them across addresses."""
    signed_in = g.get("minimost_session")
    return f"user:{signed_in.username}" if signed_in else f"ip:{await ip_key()}"


def register_rate_limiter(app: Quart, runtime: Runtime) -> None:
    limiter = RateLimiter(app, key_function=ip_key, enabled=runtime.settings.rate_limit_enabled)
    runtime.services.rate_limiter = limiter


def limited(runtime: Runtime, view: View, action: str, *, by: Literal["ip", "user"] = "ip") -> View:
    """This app's copy of ``view`` limited by the ``rate_limits[action]`` setting."""

    @functools.wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await view(*args, **kwargs)

    count, window = runtime.settings.rate_limits[action]
    key = user_key if by == "user" else ip_key
    limit = RateLimit(count, timedelta(seconds=window), key_function=key)
    return rate_limit(limits=[limit])(wrapper)


async def charge(app: Quart, runtime: Runtime, action: str, endpoint: str, username: str) -> int:
    """Spend one of a user's ``action`` allowance outside an HTTP request (a websocket frame).

    The key is the one the limiter gives the ``limited(..., by="user")`` route at
    ``endpoint``, so the route and the frame share one budget. Returns 0 when allowed,
    else the seconds to wait (nothing is spent then). Same cell rate algorithm as the
    limiter's, on its store (memory or Redis).
    """
    limiter = need(runtime.services.rate_limiter, "rate limiter")
    if not runtime.settings.rate_limit_enabled:
        return 0
    count, window = runtime.settings.rate_limits[action]
    limit = RateLimit(count, timedelta(seconds=window))
    key = rate_limit_key(app, endpoint, limit, f"user:{username}")
    now = datetime.now(UTC)
    stored = await limiter.store.get(key, now)
    if stored.tzinfo is None:
        stored = stored.astimezone(UTC)
    arrival = max(stored, now)
    allowed_ahead = limit.period.total_seconds() - limit.inverse
    ahead = (arrival - now).total_seconds()
    if ahead > allowed_ahead:
        return max(1, ceil(ahead - allowed_ahead))
    await limiter.store.set(key, arrival + timedelta(seconds=limit.inverse))
    return 0


__all__ = ["RateLimitExceeded", "charge", "limited", "rate_limit_message", "register_rate_limiter"]
