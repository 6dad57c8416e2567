"""Per-action rate limits from ``settings.json``, kept in quart-rate-limiter's store.

Each limit is a budget named by its action, spent per client address
(``X-Forwarded-For`` only behind a trusted proxy) or per signed-in user. Every app has
its own store, so two apps in one process (tests, or workers with different settings)
never share limits.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Any, Literal, TypeVar, cast

from quart import Quart, Response, current_app, g, has_request_context
from quart_rate_limiter import RateLimit, RateLimiter, RateLimitExceeded

from ..runtime import Runtime, get_runtime, need
from .requests import client_ip

View = Callable[..., Awaitable[Any]]
V = TypeVar("V", bound=View)
# The action whose budget a limited view spends.
LIMITED_ACTION_ATTRIBUTE = "minimost_limited_action"


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

    @app.after_request
    async def limit_headers(response: Response) -> Response:
        return _add_limit_headers(response)


def rate_limited(action: str, *, by: Literal["ip", "user"] = "ip") -> Callable[[V], V]:
    """Limit a view by the ``rate_limits[action]`` setting, per address or per user.

    The budget is named by the action and read from the serving app's settings at each
    request, so two apps in one process never share one; a websocket frame doing the
    same thing spends the same per-user budget through :func:`charge`.
    """

    def decorate(view: V) -> V:
        @functools.wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            wait = await _spend(current_app, get_runtime(current_app), action, await _who(by))
            if wait:
                raise RateLimitExceeded(wait)
            return await view(*args, **kwargs)

        setattr(wrapper, LIMITED_ACTION_ATTRIBUTE, action)
        return cast(V, wrapper)

    return decorate


async def _who(by: Literal["ip", "user"]) -> str:
    if by == "user":
        return await user_key()
    return f"ip:{await ip_key()}"


def is_limited(view: Callable[..., Any]) -> bool:
    """Whether callers of ``view`` can be refused for asking too often (a 429)."""
    return bool(getattr(view, LIMITED_ACTION_ATTRIBUTE, None))


async def charge(action: str, username: str) -> int:
    """Spend one of ``username``'s ``action`` allowance, as the limited route does.

    Returns 0 when allowed, else the seconds to wait (nothing is spent then). For
    websocket frames: the route limited ``by="user"`` for the same action shares the budget.
    """
    return await _spend(current_app, get_runtime(current_app), action, f"user:{username}")


async def _spend(app: Quart, runtime: Runtime, action: str, who: str) -> int:
    """The cell rate algorithm on the limiter's store (memory or Redis), keyed by action."""
    limiter = need(runtime.services.rate_limiter, "rate limiter")
    if not runtime.settings.rate_limit_enabled:
        return 0
    count, window = runtime.settings.rate_limits[action]
    limit = RateLimit(count, timedelta(seconds=window))
    key = f"{app.import_name}-action:{action}-{limit.key}-{who}"
    now = datetime.now(UTC)
    stored = await limiter.store.get(key, now)
    if stored.tzinfo is None:
        stored = stored.astimezone(UTC)
    arrival = max(stored, now)
    allowed_ahead = limit.period.total_seconds() - limit.inverse
    ahead = (arrival - now).total_seconds()
    if ahead > allowed_ahead:
        if has_request_context():
            g.minimost_rate_limit = (limit, ahead)
        return max(1, ceil(ahead - allowed_ahead))
    arrival += timedelta(seconds=limit.inverse)
    await limiter.store.set(key, arrival)
    if has_request_context():
        g.minimost_rate_limit = (limit, (arrival - now).total_seconds())
    return 0


def _add_limit_headers(response: Response) -> Response:
    """The ``RateLimit-*`` headers the limiter sends with its own limits, for ours too."""
    spent = g.get("minimost_rate_limit")
    if spent is not None:
        limit, ahead = spent
        remaining = int((limit.period.total_seconds() - ahead) / limit.inverse)
        response.headers["RateLimit-Limit"] = str(limit.count)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(ceil(ahead))
    return response


__all__ = [
    "RateLimitExceeded",
    "charge",
    "is_limited",
    "rate_limit_message",
    "rate_limited",
    "register_rate_limiter",
]
