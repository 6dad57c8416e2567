"""The documented API: quart-schema validation in our error shape, /openapi.json and /api/docs.

``/openapi.json`` and the docs page need a signed-in user like every other route: the
spec holds nothing secret, but the rule is that every route checks who is asking, and
the developers reading it on the LAN have accounts.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Quart, render_template
from quart_schema import QuartSchema, RequestSchemaValidationError, hide

from ..features import Feature
from ..jsoncodec import JsonProvider, encode_json_with_orjson
from ..runtime import Runtime
from .answers import check_answer
from .openapi import MiniMostOpenAPI
from .validation import JsonRequest, refuse_invalid_request

DESCRIPTION = """\
The JSON API behind MiniMost's web client. Sign in at `/login` in this browser first:
the session cookie authenticates every call, and every POST, PUT, PATCH and DELETE also
needs the `X-CSRF-Token` header (this page adds it for you). Every refusal answers
`{"error": {"code", "message"}}` with the message ready to show to people. Changes reach
other users as events on the `/ws` websocket.
"""

blueprint = Blueprint("apidocs", __name__)


@blueprint.get("/api/docs")
@hide
async def docs_page() -> str:
    """Swagger UI from our own static files: it works on a LAN with no internet."""
    return await render_template("api_docs.html")


def register(app: Quart, runtime: Runtime) -> None:
    app.request_class = JsonRequest
    QuartSchema(
        app,
        openapi_path="/openapi.json",
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,
        info={"title": "MiniMost API", "version": runtime.version, "description": DESCRIPTION},
        openapi_provider_class=MiniMostOpenAPI,
    )
    encode_json_with_orjson(app)  # after QuartSchema, which installs the provider it wraps
    _send_answers(app, check=runtime.boot.check_answers)
    app.register_error_handler(RequestSchemaValidationError, refuse_invalid_request)
    app.register_blueprint(blueprint)


def _send_answers(app: Quart, *, check: bool) -> None:
    """Send a handler's dict or list as JSON (orjson, the app's provider) as built.

    quart-schema would first walk it with pydantic to turn any models inside into plain
    data (a third of the CPU of a 100-message page); our answers are plain data already.
    With ``check`` on (``MINIMOST_CHECK_ANSWERS``), each is first held to its documented
    model. The response then skips quart-schema's wrapper, which has nothing left to convert.
    """
    make_response = app.make_response
    make_plain_response = Quart.make_response.__get__(app)
    provider = app.json
    assert isinstance(provider, JsonProvider)

    async def answer_as_json(result: Any) -> Any:
        value, rest = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
        if isinstance(value, dict | list):
            if check:
                check_answer(value, rest[0] if rest and isinstance(rest[0], int) else 200)
            encoded = provider.answer(value)
            return await make_plain_response((encoded, *rest) if rest else encoded)
        return await make_response(result)

    app.make_response = answer_as_json  # type: ignore[method-assign]


FEATURE = Feature("apidocs", register)
