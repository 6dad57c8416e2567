"""The documented API: quart-schema validation in our error shape, /openapi.json and /api/docs.

``/openapi.json`` and the docs page need a signed-in user like every other route: the
spec holds nothing secret, but the rule is that every route checks who is asking, and
the developers reading it on the LAN have accounts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from quart import Blueprint, Quart, render_template
from quart_schema import QuartSchema, RequestSchemaValidationError, hide

from ..features import Feature
from ..jsoncodec import encode_json_with_orjson
from ..runtime import Runtime
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
    _encode_answers_with_pydantic(app)
    app.register_error_handler(RequestSchemaValidationError, refuse_invalid_request)
    app.register_blueprint(blueprint)


def _encode_answers_with_pydantic(app: Quart) -> None:
    """Write a validated answer model straight to JSON with pydantic's own encoder.

    quart-schema would turn the model back into dicts and lists for Flask's encoder to
    walk again (sorting keys): measured, that was a third of the CPU of a 100-message page.
    The JSON is the same apart from key order and unescaped non-ASCII text.
    """
    make_response = app.make_response

    async def answer_as_json(result: Any) -> Any:
        value, rest = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
        if isinstance(value, BaseModel):
            encoded = app.response_class(value.model_dump_json(), mimetype="application/json")
            result = (encoded, *rest) if rest else encoded
        return await make_response(result)

    app.make_response = answer_as_json  # type: ignore[method-assign]


FEATURE = Feature("apidocs", register)
