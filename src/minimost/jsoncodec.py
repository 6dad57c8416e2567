"""JSON in and out with orjson, for the API, the websocket and the event log.

Every message is encoded for the event log, for its live frame and for API answers, and
every frame a client sends is parsed: orjson does each several times faster than the
standard library. Parsing is also stricter, and that is wanted: ``NaN``, ``Infinity``
and a lone surrogate escape (``"\\ud800"``, text no UTF-8 database or socket can hold)
are refused as bad JSON instead of failing later as a server error.
"""

from __future__ import annotations

from typing import Any

import orjson
from orjson import Fragment
from quart import Quart, Response
from quart.json.provider import DefaultJSONProvider


def compact(value: Any) -> str:
    """JSON text with no spaces and non-ASCII text as is (the websocket frames and log)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def encoded(value: Any) -> bytes:
    """``compact`` as UTF-8 bytes, to be sent later inside ``encoded_array``.

    Keys must be strings: without options orjson encodes small values a third faster.
    """
    return orjson.dumps(value)


def encoded_array(items: list[bytes]) -> Fragment:
    """A JSON array of values encoded already, to place in an answer as it is."""
    return Fragment(b"[" + b",".join(items) + b"]")


def parse(text: str | bytes) -> Any:
    """Parse JSON text; raises a ``ValueError`` on anything not JSON."""
    return orjson.loads(text)


class JsonProvider(DefaultJSONProvider):
    """Quart's JSON (``jsonify``, request bodies, templates' ``tojson``) through orjson.

    Types orjson does not know go to the provider it replaces (quart-schema's, which
    knows pydantic models)."""

    def __init__(self, app: Quart, fallback: DefaultJSONProvider) -> None:
        super().__init__(app)
        self._fallback = fallback.default

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = orjson.OPT_NON_STR_KEYS
        if kwargs.get("indent"):
            option |= orjson.OPT_INDENT_2
        if kwargs.get("sort_keys"):
            option |= orjson.OPT_SORT_KEYS
        return orjson.dumps(obj, default=self._fallback, option=option).decode()

    def answer(self, obj: Any) -> Response:
        """A JSON response straight from orjson's bytes.

        ``response`` would decode them to text, add a newline and encode them again:
        three copies of a 50 kB page for nothing.
        """
        body = orjson.dumps(obj, default=self._fallback, option=orjson.OPT_NON_STR_KEYS)
        return self._app.response_class(body, mimetype=self.mimetype)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


def encode_json_with_orjson(app: Quart) -> None:
    app.json = JsonProvider(app, app.json)  # type: ignore[arg-type]
