"""Request bodies: held to the size cap as a whole, and settled before the answer goes out.

Quart compares ``MAX_CONTENT_LENGTH`` with the Content-Length header and otherwise only
with the bytes not yet read, so a body without a length (chunked HTTP/1.1, HTTP/2 with no
content-length) read as it arrives could run past the cap without end: every byte
received counts here, read or not.

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
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .reaches import body_cap, body_complete, body_refuses, refuse_body

# Up to this size the body is waited for: cheaper than a new connection (and TLS handshake).
WAIT_FOR_BYTES = 64 * 1024
WAIT_SECONDS = 5.0
KEEP_ALIVE_VERSIONS = frozenset({"1.0", "1.1"})


class RequestBody(Body):
    """A request body that counts every byte received against the cap and tells whether
    it has arrived in full."""

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        super().__init__(expected_content_length, max_content_length)
        self.received_bytes = 0

    def append(self, data: bytes) -> None:
        self.received_bytes += len(data)
        cap = body_cap(self)
        if cap is not None and self.received_bytes > cap and not body_refuses(self):
            refuse_body(self, RequestEntityTooLarge())
            self.set_complete()
            return
        super().append(data)

    def is_complete(self) -> bool:
        return body_complete(self)


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
        if isinstance(body, RequestBody) and body.is_complete():
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
