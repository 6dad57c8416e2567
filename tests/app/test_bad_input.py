"""Bad input on every route and frame: a clear 4xx in the error shape, never a server error.

The tables walk the URL map, so a new route is held to the same rules without being
listed here: every JSON body route refuses text that is not UTF-8, every ``<int:…>``
path answers 404 for an id no database row can have, every whole-number query argument
and body field refuses one with 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import BaseModel
from quart import Quart, Response
from quart.testing.connections import WebsocketResponseError
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
    DataSource,
)
from werkzeug.routing import IntegerConverter, Rule

from tests.conftest import AppFactory, UserClient, rows, sign_up
from tests.helpers.chat import created
from tests.helpers.sockets import frame_of, hello, socket

# Beyond SQLite's signed 64-bit integers, one just beyond and one far beyond.
TOO_BIG = (2**63, 10**30)
LARGEST = 2**63 - 1
NOT_UTF8 = b'{"content":"\xff\xfe","name":"\xc3\x28","username":"\xed\xa0\x80"}'
PLAUSIBLE = {"name": "thumbsup"}
SOME_BODY = {"content": "x", "name": "x", "username": "bob"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
ARGUMENT = re.compile(r"<(?:[^:>]*:)?([^>]+)>")


@pytest.fixture
async def busy_app(make_app: AppFactory) -> AsyncIterator[Quart]:
    """An app whose rate limits stay out of the way of a walk over every route."""
    application = make_app(rate_limit_enabled=False)
    async with application.test_app():
        yield application


def http_rules(app: Quart) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if not rule.websocket
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS)
    ]


def int_arguments(rule: Rule) -> list[str]:
    return [
        name
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
    ]


def path_of(rule: Rule, **values: Any) -> str:
    """The rule's path with ``values`` filled in and a plausible value for the rest."""
    ints = int_arguments(rule)

    def value_of(found: re.Match[str]) -> str:
        name = found.group(1)
        return str(values.get(name, 1 if name in ints else PLAUSIBLE.get(name, "general")))

    return ARGUMENT.sub(value_of, rule.rule)


def declared(app: Quart, rule: Rule, attribute: str) -> Any:
    return getattr(app.view_functions[rule.endpoint], attribute, None)


def json_body_model(app: Quart, rule: Rule) -> type[BaseModel] | None:
    schema = declared(app, rule, QUART_SCHEMA_REQUEST_ATTRIBUTE)
    if schema is None or schema[1] != DataSource.JSON:
        return None
    return schema[0]


def whole_number_fields(model: type[BaseModel]) -> list[str]:
    """Fields that take a whole number (alone, optional or constrained), by the name sent."""
    schema = model.model_json_schema(by_alias=True)
    return [
        name
        for name, field in schema["properties"].items()
        if "integer"
        in [field.get("type"), *(option.get("type") for option in field.get("anyOf", []))]
    ]


async def assert_refused(response: Response, status: int, where: str) -> dict[str, Any]:
    text = await response.get_data(as_text=True)
    assert response.status_code == status, f"{where}: {response.status_code} {text[:300]}"
    assert response.mimetype == "application/json", where
    body = json.loads(text)
    assert set(body) == {"error"}, where
    assert set(body["error"]) == {"code", "message"}, where
    assert body["error"]["message"].strip(), where
    return body["error"]


BOUNDARY = "minimost-test-boundary"


def multipart(fields: dict[str, str], file: bytes) -> bytes:
    """A multipart form as a browser sends it: text fields, then one file part."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + file
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def message_count(data_dir: Path) -> int:
    return rows(data_dir / "users" / "messages.db", "SELECT COUNT(*) FROM messages")[0][0]


async def some_state(app: Quart) -> UserClient:
    """Alice and Bob, a message and a private channel: real ids for the routes to find."""
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    sent = await alice.api("POST", "/api/channels/general/messages", json={"content": "hi"})
    assert sent.status_code == 201
    await created(alice, "team", ["bob"])
    return alice


async def test_text_that_is_not_utf8_is_refused_on_every_json_route(
    busy_app: Quart, data_dir: Path
) -> None:
    alice = await some_state(busy_app)
    before = message_count(data_dir)
    tried = []
    for rule, method in http_rules(busy_app):
        if json_body_model(busy_app, rule) is None:
            continue
        where = f"{method} {rule.rule}"
        response = await alice.api(
            method,
            path_of(rule),
            data=NOT_UTF8,
            headers={"Content-Type": "application/json"},
        )
        error = await assert_refused(response, 400, where)
        assert error["code"] == "bad_request", where
        assert "UTF-8" in error["message"], where
        tried.append(where)
    assert len(tried) >= 8
    assert "PATCH /api/account" in tried
    assert message_count(data_dir) == before
    still = await alice.api("GET", "/api/account")
    assert still.status_code == 200


@pytest.mark.parametrize("value", [*TOO_BIG, LARGEST])
async def test_ids_no_row_can_have_are_unknown_on_every_int_route(
    busy_app: Quart, value: int
) -> None:
    alice = await some_state(busy_app)
    tried = []
    for rule, method in http_rules(busy_app):
        names = int_arguments(rule)
        if not names:
            continue
        where = f"{method} {rule.rule} with {value}"
        path = path_of(rule, **{name: value for name in names})
        body = {"json": SOME_BODY} if json_body_model(busy_app, rule) else {}
        response = await alice.api(method, path, **body)
        error = await assert_refused(response, 404, where)
        assert error["code"] == "not_found", where
        tried.append(where)
    assert len(tried) >= 8


@pytest.mark.parametrize("value", TOO_BIG)
async def test_channels_with_ids_no_row_can_have_are_unknown(busy_app: Quart, value: int) -> None:
    alice = await some_state(busy_app)
    tried = []
    for rule, method in http_rules(busy_app):
        if "channel" not in rule.arguments:
            continue
        for channel in (f"private:{value}", f"private:-{value}"):
            where = f"{method} {rule.rule} with {channel}"
            body = {"json": {"content": "x"}} if json_body_model(busy_app, rule) else {}
            response = await alice.api(method, path_of(rule, channel=channel), **body)
            expected = 400 if rule.endpoint == "chat_api.hide_dm" else 404
            await assert_refused(response, expected, where)
            tried.append(where)
    assert len(tried) >= 8
    for channel in (f"private:{value}", f"private:-{value}"):
        response = await alice.api("POST", "/api/calls", json={"channel": channel})
        assert 400 <= response.status_code < 500, channel
        await assert_refused(response, response.status_code, f"call in {channel}")


@pytest.mark.parametrize("value", TOO_BIG)
async def test_whole_number_query_arguments_beyond_64_bits_are_refused(
    busy_app: Quart, value: int
) -> None:
    alice = await some_state(busy_app)
    tried = []
    for rule, method in http_rules(busy_app):
        model = declared(busy_app, rule, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE)
        if model is None:
            continue
        for name in whole_number_fields(model):
            where = f"{method} {rule.rule}?{name}={value}"
            response = await alice.api(method, f"{path_of(rule)}?{name}={value}")
            error = await assert_refused(response, 400, where)
            assert name in error["message"], where
            tried.append(where)
    assert f"GET /api/channels/<channel>/messages?before={value}" in tried
    largest = await alice.api("GET", f"/api/channels/general/messages?before={LARGEST}")
    assert largest.status_code == 200
    assert [m["content"] for m in (await largest.get_json())["messages"]][-1] == "hi"


@pytest.mark.parametrize("value", TOO_BIG)
async def test_whole_number_body_fields_beyond_64_bits_are_refused(
    busy_app: Quart, data_dir: Path, value: int
) -> None:
    alice = await some_state(busy_app)
    before = message_count(data_dir)
    tried = []
    for rule, method in http_rules(busy_app):
        model = json_body_model(busy_app, rule)
        if model is None:
            continue
        for name in whole_number_fields(model):
            where = f"{method} {rule.rule} {{{name}: {value}}}"
            body = b'{"content":"x","name":"x","%s":%d}' % (name.encode(), value)
            response = await alice.api(
                method, path_of(rule), data=body, headers={"Content-Type": "application/json"}
            )
            error = await assert_refused(response, 400, where)
            assert name in error["message"], where
            tried.append(where)
    assert f"POST /api/channels/<channel>/messages {{reply_to: {value}}}" in tried
    form = await alice.api(
        "POST",
        "/api/channels/general/messages",
        data=multipart({"content": "x", "reply_to": str(value)}, b"a file"),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    error = await assert_refused(form, 400, "multipart reply_to")
    assert "reply_to" in error["message"]
    assert message_count(data_dir) == before
    assert sorted(path.name for path in (data_dir / "uploads").iterdir()) == []


async def test_a_reply_to_in_other_digits_is_no_server_error(
    busy_app: Quart, data_dir: Path
) -> None:
    alice = await some_state(busy_app)
    form = await alice.api(
        "POST",
        "/api/channels/general/messages",
        data=multipart({"content": "superscript", "reply_to": "\u00b2"}, b"a file"),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert form.status_code == 201, await form.get_data(as_text=True)
    assert (await form.get_json())["message"]["reply_to"] is None


async def test_bad_frames_get_an_error_frame_and_the_socket_stays(busy_app: Quart) -> None:
    alice = await some_state(busy_app)
    big = TOO_BIG[1]
    bad_frames: list[str | bytes] = [
        b'{"type":"message.send","content":"\xff\xfe"}',
        b"\xff\xfe\xfd",
        '{"type": "message.send", "channel": "general", "content": "x", "client_id": "c-1", '
        f'"reply_to": {2**63}}}',
        '{"type": "message.send", "channel": "general", "content": "x", "client_id": "c-2", '
        f'"reply_to": {big}}}',
        json.dumps(
            {
                "type": "message.send",
                "channel": f"private:{big}",
                "content": "x",
                "client_id": "c-3",
            }
        ),
        json.dumps({"type": "typing", "channel": f"private:{2**63}"}),
        json.dumps({"type": "call.signal", "call_id": big, "to": "bob", "data": {}}),
        json.dumps({"type": "share.signal", "share_id": big, "to": "bob", "data": {}}),
        json.dumps({"type": big}),
        "{" * 2000,
    ]
    async with socket(alice) as ws:
        await hello(ws)
        for bad in bad_frames:
            await ws.send(bad)
            error = await frame_of(ws, "error")
            assert error["message"], bad
        await ws.send(
            json.dumps(
                {"type": "message.send", "channel": "general", "content": "ok", "client_id": "c-9"}
            )
        )
        sent = await frame_of(ws, "message.sent")
    assert sent["message"]["content"] == "ok"


@pytest.mark.parametrize("value", [*TOO_BIG, LARGEST])
async def test_a_resume_cursor_beyond_the_log_asks_for_a_resync(
    busy_app: Quart, value: int
) -> None:
    alice = await some_state(busy_app)
    async with socket(alice, f"?after={value}") as ws:
        await hello(ws)
        resync = await frame_of(ws, "resync")
    assert resync["last_event_id"] >= 1


@pytest.mark.parametrize("cursor", ["\u00b2", "1\u0663"])
async def test_a_resume_cursor_in_other_digits_is_refused(busy_app: Quart, cursor: str) -> None:
    alice = await some_state(busy_app)
    with pytest.raises(WebsocketResponseError) as refused:
        async with socket(alice, f"?after={quote(cursor)}") as ws:
            await ws.receive()
    assert refused.value.response.status_code == 400
