"""The chat app at /, the account screen, the about page and the downloadable CA certificate."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, abort, current_app, render_template, send_file

from ..identity import signed_in_user
from ..identity.users import account_summary
from ..runtime import get_runtime
from ..web.guards import public

blueprint = Blueprint("pages", __name__)
PANELS_STYLESHEET = "css/panels.css"
CALLS_STYLESHEET = "css/calls.css"


@blueprint.get("/")
async def chat() -> str:
    """The chat client (anonymous visitors are sent to /login by the guard)."""
    runtime = get_runtime()
    user = await _signed_in_summary()
    return await render_template(
        "chat.html",
        user=user,
        public_channels=list(runtime.settings.channels),
        feature_stylesheets=_feature_stylesheets(runtime.settings.calls_enabled),
        calls_enabled=runtime.settings.calls_enabled,
    )


@blueprint.get("/account")
async def account() -> str:
    """The account screen as a page of its own, usable without the chat client."""
    return await render_template("home.html", user=await _signed_in_summary())


def _feature_stylesheets(calls: bool) -> list[str]:
    """The panels' and (with calls on) calls' stylesheets that this install ships."""
    assert current_app.static_folder is not None
    static = Path(current_app.static_folder)
    sheets = [PANELS_STYLESHEET, CALLS_STYLESHEET] if calls else [PANELS_STYLESHEET]
    return [sheet for sheet in sheets if (static / sheet).is_file()]


async def _signed_in_summary() -> dict[str, object]:
    return await account_summary(get_runtime(), signed_in_user().username)


@blueprint.get("/about")
@public
async def about() -> str:
    return await render_template("about.html", tls_ca_available=_ca_file_exists())


@blueprint.get("/ca.pem")
@public
async def ca_certificate() -> Response:
    """Let users download the local CA so their browser trusts this server."""
    if not _ca_file_exists():
        abort(404)
    return await send_file(
        get_runtime().data_root.ca_cert,
        mimetype="application/x-pem-file",
        as_attachment=True,
        attachment_filename="minimost-ca.pem",
    )


def _ca_file_exists() -> bool:
    runtime = get_runtime()
    return runtime.tls is not None and runtime.tls.ca is not None and runtime.tls.ca.is_file()
