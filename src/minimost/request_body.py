"""Request bodies held to ``MAX_CONTENT_LENGTH`` as a whole, however they are sent.

Quart compares the cap with the Content-Length header and otherwise only with the bytes
not yet read, so a body without a length (chunked HTTP/1.1, HTTP/2 with no
content-length) read as it arrives could run past the cap without end.
"""

from __future__ import annotations

from quart.wrappers.request import Body
from werkzeug.exceptions import RequestEntityTooLarge


class CappedBody(Body):
    """A request body that counts every byte received against the cap, read or not."""

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        super().__init__(expected_content_length, max_content_length)
        self.received = 0

    def append(self, data: bytes) -> None:
        self.received += len(data)
        cap = self._max_content_length
        if cap is not None and self.received > cap and self._must_raise is None:
            self._must_raise = RequestEntityTooLarge()
            self.set_complete()
            return
        super().append(data)
