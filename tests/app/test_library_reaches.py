"""Each reach into a pinned library's internals still works with the installed version,
and no module but ``minimost.reaches`` touches a library's private attributes."""

from __future__ import annotations

import ast
import asyncio
import socket
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import aiosqlite
import pytest
import websockets
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.protocol import ws_stream
from pydantic import BaseModel
from quart import Quart, websocket
from quart.wrappers.request import Body
from quart_schema import RequestSchemaValidationError, validate_request, validate_response
from werkzeug.exceptions import RequestEntityTooLarge
from wsproto.extensions import PerMessageDeflate

import minimost
from minimost import reaches

SOURCE = Path(minimost.__file__).parent
# Private attributes of the project's own objects, reached from a sibling in its module.
OWN_OBJECTS = {
    ("stun/server.py", "server"),
    ("stun/server.py", "self._server"),
}


@contextmanager
def reach_into(library: str) -> Iterator[None]:
    """Turn any failure into one message naming the library, its version and the fix."""
    try:
        yield
    except Exception as error:
        pytest.fail(
            f"{library} {version(library)} changed what src/minimost/reaches.py relies on: "
            f"{error!r}. Adapt the reach there (or pin the previous version).",
            pytrace=False,
        )


async def test_aiosqlite_work_runs_on_the_connections_thread() -> None:
    async with aiosqlite.connect(":memory:") as connection:
        with reach_into("aiosqlite"):
            kind, thread, answer = await reaches.on_sqlite_thread(
                connection,
                lambda plain: (
                    type(plain),
                    threading.get_ident(),
                    plain.execute("SELECT 6 * 7").fetchone()[0],
                ),
            )
    assert (kind, answer) == (sqlite3.Connection, 42)
    assert thread != threading.get_ident()


async def test_quart_body_cap_refusal_and_completion() -> None:
    body = Body(None, 4)
    with reach_into("quart"):
        assert reaches.body_cap(body) == 4
        assert not reaches.body_refuses(body)
        assert not reaches.body_complete(body)
        reaches.refuse_body(body, RequestEntityTooLarge())
        body.set_complete()
        assert reaches.body_refuses(body)
        assert reaches.body_complete(body)
    with pytest.raises(RequestEntityTooLarge):
        await body


class Sample(BaseModel):
    count: int


def sample_view() -> Callable[[], Awaitable[dict[str, int]]]:
    """A fresh view each time: the decorators mark the function itself."""

    async def view() -> dict[str, int]:
        return {"count": 1}

    return view


def test_quart_schema_marks_and_conversion() -> None:
    with reach_into("quart-schema"):
        validated = validate_response(Sample, 201)(validate_request(Sample)(sample_view()))
        assert reaches.declares_body_or_query(validated)
        assert reaches.declared_answers(validated)[201][0] is Sample
        marked = sample_view()
        reaches.declare_answers(marked, {200: (Sample, None)})
        reaches.declare_json_body(marked, Sample)
        assert reaches.declares_body_or_query(marked)
        assert reaches.declared_answers(marked) == {200: (Sample, None)}
        assert reaches.load_model(Sample, {"count": 3}) == Sample(count=3)
        with pytest.raises(RequestSchemaValidationError):
            reaches.load_model(Sample, {"count": "three"})
        assert reaches.json_schema(Sample)["properties"]["count"]["type"] == "integer"


def websocket_app(found: dict[str, object]) -> Quart:
    app = Quart(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        send = reaches.accepted_websocket_send()
        stream = reaches.websocket_stream(send.args[0])
        found["stream"] = stream
        found["writer"] = None if stream is None else reaches.h11_stream_writer(stream)
        await send("hello")
        await websocket.receive()

    return app


async def test_hypercorn_and_quart_websocket_internals() -> None:
    class Declining(PerMessageDeflate):
        def accept(self, offer: str) -> bool:
            return False

    found: dict[str, object] = {}
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]  # Hypercorn closes it when it stops
    config.accesslog = None
    stop = asyncio.Event()
    original = ws_stream.PerMessageDeflate
    with reach_into("hypercorn"):
        reaches.decline_websocket_extension(Declining)
    server = asyncio.create_task(serve(websocket_app(found), config, shutdown_trigger=stop.wait))
    try:
        # The socket listens already: the handshake waits for Hypercorn to take it.
        async with asyncio.timeout(10), websockets.connect(f"ws://127.0.0.1:{port}/ws") as client:
            assert await client.recv() == "hello"
            assert client.response is not None
            extensions = client.response.headers.get("Sec-WebSocket-Extensions")
            await client.send("bye")
    finally:
        stop.set()
        await server
        reaches.decline_websocket_extension(original)
    with reach_into("hypercorn"):
        assert found["stream"] is not None, "the ASGI send is no longer a WSStream method"
        assert isinstance(found["writer"], asyncio.StreamWriter), "no HTTP/1.1 stream writer"
        assert extensions is None, f"deflate still negotiated: {extensions}"


def private_reaches(path: Path) -> list[str]:
    """``obj._name`` uses outside ``self``/``cls``/``super()``, as "file:line: code"."""
    relative = path.relative_to(SOURCE).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__"):
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in {"self", "cls"}:
            continue
        if isinstance(base, ast.Call) and ast.unparse(base.func) == "super":
            continue
        if (relative, ast.unparse(base)) in OWN_OBJECTS:
            continue
        found.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_the_reaches_module_touches_private_attributes() -> None:
    found = [
        reach
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name != "reaches.py" or path.parent != SOURCE
        for reach in private_reaches(path)
    ]
    assert found == [], "move these into src/minimost/reaches.py:\n" + "\n".join(found)
