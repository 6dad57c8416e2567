"""Every use of a pinned library's private attributes or internals, each named for why.

The rest of the code calls these instead of reaching in itself, so an upgrade that
moves one breaks here, and ``tests/app/test_library_reaches.py`` names the library.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import aiosqlite
from hypercorn.protocol import ws_stream
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.protocol.ws_stream import FrameTooLargeError, WebsocketBuffer, WSStream
from pydantic import BaseModel
from quart import websocket
from quart.wrappers.request import Body
from quart_schema import RequestSchemaValidationError
from quart_schema.conversion import model_load, model_schema
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
    QUART_SCHEMA_RESPONSE_ATTRIBUTE,
    DataSource,
)
from wsproto.connection import ConnectionState
from wsproto.events import Message
from wsproto.extensions import PerMessageDeflate

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


# -- aiosqlite ------------------------------------------------------------------------------


async def on_sqlite_thread(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``work`` with the plain sqlite3 connection on the connection's own thread.

    aiosqlite has no public call for this; ``_execute`` is how its own methods reach
    the thread, and ``_conn`` is the sqlite3 connection living there.
    """
    return await connection._execute(lambda: work(connection._conn))


# -- Quart ----------------------------------------------------------------------------------


def accepted_websocket_send() -> partial[Awaitable[None]]:
    """The current websocket's own ASGI send, without the loop yield of ``websocket.send``.

    Quart keeps it as the private ``_send`` of the request-context websocket object.
    """
    current = websocket._get_current_object()
    return current._send  # type: ignore[no-any-return]


def body_cap(body: Body) -> int | None:
    """The byte cap Quart gave a request body (``MAX_CONTENT_LENGTH``), kept privately."""
    return body._max_content_length  # type: ignore[no-any-return]


def body_refuses(body: Body) -> bool:
    """Whether awaiting the body will already raise (Quart's private ``_must_raise``)."""
    return body._must_raise is not None


def refuse_body(body: Body, error: Exception) -> None:
    """Make whoever awaits the body get ``error``, the way Quart refuses one itself."""
    body._must_raise = error


def body_complete(body: Body) -> bool:
    """Whether the whole body has arrived; Quart only keeps a private event for it."""
    return body._complete.is_set()  # type: ignore[no-any-return]


# -- Hypercorn ------------------------------------------------------------------------------


def decline_websocket_extension(extension: type[PerMessageDeflate]) -> None:
    """Have Hypercorn's websocket handshake offer ``extension`` instead of permessage-deflate.

    Hypercorn hard-codes the class its handshake instantiates in ``ws_stream``.
    """
    ws_stream.PerMessageDeflate = extension  # type: ignore[misc]


def websocket_stream(asgi_send: Callable[..., Any]) -> WSStream | None:
    """Hypercorn's stream behind an ASGI websocket ``send`` (its bound method), or None."""
    stream = getattr(asgi_send, "__self__", None)
    return stream if isinstance(stream, WSStream) else None


def h11_stream_writer(stream: WSStream) -> asyncio.StreamWriter | None:
    """The TCP writer under a websocket carried by HTTP/1.1, or None (HTTP/2 streams share
    their connection and need h2 framing). Found through the bound ``send`` methods
    Hypercorn hands from stream to protocol to connection."""
    protocol = getattr(stream.send, "__self__", None)
    if not isinstance(protocol, H11Protocol):
        return None
    server = getattr(getattr(protocol, "send", None), "__self__", None)
    writer = getattr(server, "writer", None)
    return writer if isinstance(writer, asyncio.StreamWriter) else None


class CappedBuffer(WebsocketBuffer):
    """Hypercorn's message buffer, refusing a message as soon as it outgrows the cap.

    Hypercorn appends each received piece before checking the size, and goes on
    appending whatever the client still sends after its close: the piece that would
    overflow is dropped instead, so a huge frame never takes more than the cap.
    """

    def __init__(self, max_length: int, on_overflow: Callable[[], None]) -> None:
        super().__init__(max_length)
        self._on_overflow = on_overflow

    def extend(self, event: Message) -> None:
        if self.length + len(event.data) > self.max_length:
            self.length += len(event.data)
            self._on_overflow()
            raise FrameTooLargeError()
        super().extend(event)


def cap_websocket_messages(stream: WSStream, limit: int, on_overflow: Callable[[], None]) -> None:
    """Swap the stream's message buffer for one that refuses messages over ``limit``
    (never above the server's own ``websocket_max_message_size``)."""
    stream.buffer = CappedBuffer(min(limit, stream.buffer.max_length), on_overflow)


def websocket_open(stream: WSStream) -> bool:
    """No close frame sent or received on the stream yet (Hypercorn's and wsproto's state)."""
    return not stream.closed and stream.connection.state is ConnectionState.OPEN


# -- quart-schema ---------------------------------------------------------------------------


def declared_answers(view: Callable[..., Any]) -> dict[int, tuple[Any, Any]]:
    """The answers declared on ``view``, as quart-schema marks them: status to
    (model, headers model)."""
    return dict(getattr(view, QUART_SCHEMA_RESPONSE_ATTRIBUTE, {}))


def declare_answers(view: Callable[..., Any], answers: dict[int, tuple[Any, Any]]) -> None:
    """Mark ``view``'s answers the way quart-schema's ``validate_response`` does, so its
    OpenAPI document lists them without validating each answer."""
    setattr(view, QUART_SCHEMA_RESPONSE_ATTRIBUTE, answers)


def declare_json_body(view: Callable[..., Any], model: type[BaseModel]) -> None:
    """Mark ``view`` as taking a JSON body of ``model``, as ``validate_request`` does."""
    setattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, (model, DataSource.JSON))


def declares_body_or_query(view: Callable[..., Any]) -> bool:
    """Whether quart-schema validates a body or query string for ``view``."""
    return hasattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE) or hasattr(
        view, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE
    )


def load_model(model: type[M], data: Any) -> M:
    """Check ``data`` against ``model`` exactly as quart-schema checks a declared body."""
    return model_load(data, model, RequestSchemaValidationError)


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema quart-schema publishes for ``model``."""
    return model_schema(model)
