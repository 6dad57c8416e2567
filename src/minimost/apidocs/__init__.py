"""The documented API: the OpenAPI description at /openapi.json and the /api/docs page.

``/openapi.json`` and the docs page need a signed-in user like every other route: the
spec holds nothing secret, but the rule is that every route checks who is asking, and
the developers reading it on the LAN have accounts.
"""

from __future__ import annotations

from quart import Blueprint, Quart, render_template
from quart_schema import QuartSchema, hide

from ..features import Feature
from ..jsoncodec import encode_json_with_orjson
from ..runtime import Runtime
from ..web.answers import send_answers
from .openapi import MiniMostOpenAPI

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
    send_answers(app, check=runtime.boot.check_answers)
    app.register_blueprint(blueprint)


FEATURE = Feature("apidocs", register)
