"""Outbound HTTP for previews: guarded, DNS-pinned, size- and time-bounded.

Each hop resolves its host once, checks every address, and connects only to those
addresses (the connector's resolver answers from the checked list and does no lookup
of its own), so a name cannot point somewhere else between the check and the connect.
Redirects are followed here, one hop at a time, each one checked again.

aiohttp is imported on the first fetch, not with the app: it is a seventh of start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from .guard import PreviewRefusedError, Resolver, Target, TargetPolicy, checked_addresses, target_of

if TYPE_CHECKING:
    import aiohttp

USER_AGENT = "Mozilla/5.0 (compatible; MiniMost/1.0)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 16 * 1024

# Given a response's media type, how many bytes of its body to read (None refuses it).
BodyLimit = Callable[[str], int | None]


@dataclass(frozen=True)
class Fetched:
    url: str
    """Where the body came from, after redirects."""
    media_type: str
    charset: str | None
    body: bytes
    truncated: bool


class GuardedFetcher:
    """GETs a URL the way a preview may: see the module docstring."""

    def __init__(
        self,
        policy: TargetPolicy,
        *,
        resolve: Resolver,
        timeout: float = 5.0,
        max_redirects: int = 5,
    ) -> None:
        self.policy = policy
        self.resolve = resolve
        self.timeout = timeout
        self.max_redirects = max_redirects

    async def fetch(
        self, url: str, *, accept: str, body_limit: BodyLimit, whole: bool = False
    ) -> Fetched:
        """The body of ``url`` (at most ``body_limit(type)`` bytes) or PreviewRefusedError.

        ``whole`` refuses a body longer than its limit instead of cutting it short.
        """
        import aiohttp

        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(url, accept, body_limit, whole)
        except TimeoutError as error:
            raise PreviewRefusedError(f"no answer within {self.timeout:g} s") from error
        except (aiohttp.ClientError, OSError, ValueError) as error:
            raise PreviewRefusedError(f"fetch failed: {error.__class__.__name__}") from error

    async def _follow(self, url: str, accept: str, body_limit: BodyLimit, whole: bool) -> Fetched:
        for _hop in range(self.max_redirects + 1):
            target = target_of(url)
            self.policy.check_target(target)
            addresses = await checked_addresses(self.policy, self.resolve, target)
            result = await self._request(target, addresses, accept, body_limit, whole)
            if isinstance(result, Fetched):
                return result
            url = urljoin(target.url, result)
        raise PreviewRefusedError(f"more than {self.max_redirects} redirects")

    async def _request(
        self,
        target: Target,
        addresses: list[str],
        accept: str,
        body_limit: BodyLimit,
        whole: bool,
    ) -> Fetched | str:
        """One hop: the fetched body, or the Location to follow next."""
        import aiohttp

        from .pinned import PinnedResolver

        connector = aiohttp.TCPConnector(
            resolver=PinnedResolver(target.host, addresses),
            use_dns_cache=False,
            force_close=True,
        )
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": accept,
            "Accept-Language": "en-US,en;q=0.5",
            "Accept-Encoding": "identity",
        }
        async with (
            aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
            ) as session,
            session.get(target.url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise PreviewRefusedError("redirect without a Location")
                return location
            if response.status != 200:
                raise PreviewRefusedError(f"status {response.status}")
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise PreviewRefusedError(f"unrequested content encoding {encoding}")
            media_type = response.content_type.lower()
            limit = body_limit(media_type)
            if limit is None:
                raise PreviewRefusedError(f"content type {media_type} is not previewed")
            if whole and (response.content_length or 0) > limit:
                raise PreviewRefusedError("body too large")
            body, truncated = await _read_at_most(response, limit)
            if truncated and whole:
                raise PreviewRefusedError("body too large")
            return Fetched(target.url, media_type, response.charset, body, truncated)


async def _read_at_most(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """Read up to ``limit`` bytes; the rest is never downloaded (the connection closes)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        room = limit - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False
