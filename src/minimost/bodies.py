"""Answers sent before a request's body has arrived must not break a keep-alive connection.

Refusals (401, 403, 413, …) are decided from the headers, often before the client has
sent its body. Hypercorn reuses an HTTP/1.1 connection only once the whole body is in;
otherwise it closes it after the answer, which did not say so, and the next request the
client sends on that connection is lost. So a small body is waited for (briefly) before
the answer goes out, and an answer that leaves a large body unread says
``Connection: close``.
"""

from __future__ import annotations

import asyncio

from quart import Quart, Response, request
from quart.wrappers.request import Body
from werkzeug.exceptions import HTTPException

# Up to this size the body is waited for: cheaper than a new connection (and TLS handshake).
WAIT_FOR_BYTES = 64 * 1024
WAIT_SECONDS = 5.0
KEEP_ALIVE_VERSIONS = frozenset({"1.0", "1.1"})


class TrackedBody(Body):
    """A request body that tells whether it has arrived in full."""

    def received(self) -> bool:
        return self._complete.is_set()


def settle_request_bodies(app: Quart) -> None:
    """Before each HTTP/1 answer: wait for a small unread body, or announce the close."""

    @app.after_request
    async def settle_request_body(response: Response) -> Response:
        if request.http_version not in KEEP_ALIVE_VERSIONS:
            return response
        length = request.content_length
        if not length and "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
            return response
        body = request.body
        if isinstance(body, TrackedBody) and body.received():
            return response
        if length is not None and length <= WAIT_FOR_BYTES:
            try:
                async with asyncio.timeout(WAIT_SECONDS):
                    await body
            except (TimeoutError, HTTPException):
                pass
            else:
                return response
        response.headers["Connection"] = "close"
        return response
