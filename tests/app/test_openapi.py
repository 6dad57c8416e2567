"""The published API description: every /api/ route in it, bodies checked in our error shape."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from minimost.version import read_version
from minimost.web.schemas import NO_BODY_ATTRIBUTE, ResponseBody, answer
from tests.conftest import AppFactory, UserClient, sign_up

BODY_METHODS = {"POST", "PATCH", "PUT"}
DOCS_PAGE = "/api/docs"
REPO_ROOT = Path(__file__).resolve().parents[2]
SWAGGER_UI = REPO_ROOT / "static" / "vendor" / "swagger-ui"


async def spec_of(user: UserClient) -> dict[str, Any]:
    response = await user.get("/openapi.json")
    assert response.status_code == 200
    return await response.get_json()


def api_operations(app: Quart) -> list[tuple[str, str, Any]]:
    """(OpenAPI path, method, view) of every HTTP route under /api/ in the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.websocket or rule.rule == DOCS_PAGE:
            continue
        path = re.sub(r"<(?:[^:>]*:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((path, method, app.view_functions[rule.endpoint]))
    return found


async def test_every_api_route_is_documented_with_its_answers(app: Quart) -> None:
    """A new /api/ route without declared schemas fails here: declare them (see schemas.py)."""
    spec = await spec_of(await sign_up(app, "alice"))
    operations = api_operations(app)
    assert len(operations) >= 30
    missing = [
        f"{method} {path}"
        for path, method, _ in operations
        if method.lower() not in spec["paths"].get(path, {})
    ]
    assert missing == [], "routes without a schema: answer / no_content / ..."
    for path, method, _ in operations:
        operation = spec["paths"][path][method.lower()]
        answers = {int(status) for status in operation["responses"]}
        assert any(200 <= status < 300 for status in answers), f"{method} {path} has no answer"
        assert 401 in answers, f"{method} {path} does not document the sign-in refusal"
    documented = {path for path in spec["paths"]}
    assert documented == {path for path, _, _ in operations}, "the spec is only the JSON API"


async def test_every_unsafe_route_declares_its_body(app: Quart) -> None:
    spec = await spec_of(await sign_up(app, "alice"))
    undeclared = []
    for path, method, view in api_operations(app):
        if method not in BODY_METHODS:
            continue
        operation = spec["paths"][path][method.lower()]
        declares_none = getattr(view, NO_BODY_ATTRIBUTE, False)
        if ("requestBody" in operation) == declares_none:
            undeclared.append(f"{method} {path}")
        if "requestBody" in operation:
            for content in operation["requestBody"]["content"].values():
                assert content["schema"]["properties"], f"{method} {path} has an empty body"
            assert "400" in operation["responses"]
    assert undeclared == [], "declare validate_request, multipart_form or no_body"


async def test_uploads_document_their_multipart_forms(app: Quart) -> None:
    spec = await spec_of(await sign_up(app, "alice"))
    send = spec["paths"]["/api/channels/{channel}/messages"]["post"]["requestBody"]["content"]
    assert set(send) == {"application/json", "multipart/form-data"}
    assert send["application/json"]["schema"]["required"] == ["content"]
    assert send["multipart/form-data"]["schema"]["properties"]["files"]["items"] == {
        "type": "string",
        "format": "binary",
    }
    avatar = spec["paths"]["/api/account/avatar"]["put"]["requestBody"]["content"]
    assert avatar["multipart/form-data"]["schema"]["required"] == ["avatar"]


async def test_spec_names_the_api_its_error_shape_and_how_callers_authenticate(
    app: Quart,
) -> None:
    spec = await spec_of(await sign_up(app, "alice"))
    assert spec["info"]["title"] == "MiniMost API"
    assert spec["info"]["version"] == read_version()
    error = spec["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message"}
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "in": "cookie", "name": "session"}
    assert schemes["csrfToken"] == {
        **schemes["csrfToken"],
        "in": "header",
        "name": "X-CSRF-Token",
    }
    assert spec["security"] == [{"session": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            refusal = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert refusal == {"$ref": "#/components/schemas/ErrorBody"}
            if method.upper() in BODY_METHODS | {"DELETE"}:
                assert operation["security"] == [{"session": [], "csrfToken": []}], path
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


async def test_spec_and_docs_page_are_for_signed_in_users(app: Quart) -> None:
    client = app.test_client()
    spec = await client.get("/openapi.json", headers={"Accept": "application/json"})
    assert spec.status_code == 401
    assert (await spec.get_json())["error"]["code"] == "unauthorized"
    assert (await client.get(DOCS_PAGE)).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("PATCH", "/api/account", {"bio": 5}, '"bio" must be a string.'),
        ("PATCH", "/api/account", ["bio"], "Send a JSON object."),
        ("POST", "/api/private-channels", {"members": ["bob"]}, '"name" is required.'),
        (
            "POST",
            "/api/private-channels",
            {"name": "plans", "members": ["bob", 7]},
            '"members[1]" must be a string.',
        ),
        ("POST", "/api/channels/general/messages", {"content": 5}, '"content" must be a string.'),
        (
            "POST",
            "/api/channels/general/messages",
            {"content": "hi", "reply_to": True},
            '"reply_to" must be a whole number.',
        ),
        (
            "PUT",
            "/api/presence/override",
            {"override": "away"},
            "\"override\" must be 'active', 'idle' or 'offline'.",
        ),
        (
            "POST",
            "/api/account/password",
            {"current_password": "x"},
            '"new_password" is required.',
        ),
    ],
)
async def test_a_body_that_breaks_its_schema_is_refused_naming_the_field(
    app: Quart, method: str, path: str, body: Any, message: str
) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api(method, path, json=body)
    assert response.status_code == 400
    assert await response.get_json() == {"error": {"code": "bad_request", "message": message}}


async def test_refused_bodies_change_nothing(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    refused = await alice.api(
        "POST", "/api/private-channels", json={"name": "plans", "members": "bob"}
    )
    assert refused.status_code == 400
    assert (await refused.get_json())["error"]["message"] == '"members" must be a list.'
    listed = await (await alice.api("GET", "/api/private-channels")).get_json()
    assert listed == {"channels": []}
    sent = await alice.api("POST", "/api/channels/general/messages", json={"content": None})
    assert sent.status_code == 400
    page = await (await alice.api("GET", "/api/channels/general/messages")).get_json()
    assert [m for m in page["messages"] if m["sender"] == "alice"] == []


async def test_unreadable_json_is_refused_in_our_error_shape(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api(
        "PATCH", "/api/account", data="{bio", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert await response.get_json() == {
        "error": {"code": "bad_request", "message": "Send a JSON object."}
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=ten", '"limit" must be a whole number.'),
        ("before=-4", '"before" must be at least 0.'),
    ],
)
async def test_a_bad_query_string_is_refused_naming_the_argument(
    app: Quart, query: str, message: str
) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api("GET", f"/api/channels/general/messages?{query}")
    assert response.status_code == 400
    assert (await response.get_json())["error"]["message"] == message


async def test_empty_query_arguments_mean_the_default(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api("GET", "/api/channels/general/messages?before=&limit=")
    assert response.status_code == 200
    searched = await alice.api("GET", "/api/search?q=welcome&start=&from=")
    assert searched.status_code == 200


async def test_docs_page_loads_swagger_ui_from_our_origin_without_inline_script(
    app: Quart,
) -> None:
    alice = await sign_up(app, "alice")
    page = await alice.get(DOCS_PAGE)
    assert page.status_code == 200
    html = await page.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "the page starts Swagger UI with scripts"
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("vendor/swagger-ui/swagger-ui-bundle.js" in url for url in assets)
    assert any("vendor/swagger-ui/swagger-ui.css" in url for url in assets)
    assert any("js/api-docs.js" in url for url in assets)
    for url in assets:
        asset = await alice.get(url)
        assert asset.status_code == 200, url
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_swagger_ui_is_vendored_with_its_licence_and_version() -> None:
    script = (REPO_ROOT / "tools" / "vendor_swagger_ui.sh").read_text(encoding="utf-8")
    version = re.search(r'^VERSION="([^"]+)"', script, re.M)
    assert version is not None
    assert (SWAGGER_UI / "VERSION").read_text().strip() == f"swagger-ui-dist {version[1]}"
    assert "Apache License" in (SWAGGER_UI / "LICENSE").read_text(encoding="utf-8")
    assert (SWAGGER_UI / "swagger-ui-bundle.js").stat().st_size > 500_000


class Greeting(ResponseBody):
    text: str
    ok: bool = True


@pytest.mark.parametrize(
    ("answer_body", "status"),
    [
        ({"text": "hi", "ok": True}, 200),
        ({"text": "hi", "ok": True, "surprise": 1}, 500),  # a key the schema does not declare
        ({"text": "hi"}, 500),  # a default the model would add and the handler left out
        ({"text": 5, "ok": True}, 500),  # a type the schema does not allow
    ],
)
async def test_under_test_every_answer_is_exactly_what_its_schema_publishes(
    make_app: AppFactory, answer_body: dict[str, Any], status: int
) -> None:
    app = make_app()

    @app.get("/api/greeting")
    @answer(Greeting)
    async def greeting() -> dict[str, Any]:
        return answer_body

    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await alice.get("/api/greeting")
        assert response.status_code == status
        if status == 200:
            assert await response.get_json() == answer_body


async def test_answers_are_sent_as_built_and_the_same_whether_checked_or_not(
    make_app: AppFactory,
) -> None:
    """Outside the test suite answers are not validated per request; what clients get
    must not depend on it."""
    pages = []
    for check, name in ((True, "alice"), (False, "bob")):
        app = make_app(config={"CHECK_ANSWERS": check})
        async with app.test_app():
            user = await sign_up(app, name)
            if check:
                await user.api("POST", "/api/channels/general/messages", json={"content": "**hi**"})
            response = await user.get("/api/channels/general/messages")
            assert response.status_code == 200
            pages.append((await response.get_json())["messages"])
    checked, unchecked = pages
    assert checked == unchecked[: len(checked)]
    assert [m["content"] for m in unchecked[len(checked) :]] == [
        "Welcome to MiniMost, bob! 👋 Say hello 👋"
    ]
    assert checked[-1]["html"] == "<p><strong>hi</strong></p>"
