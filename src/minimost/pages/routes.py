"""The about page, the root redirect and the downloadable CA certificate."""

from __future__ import annotations

from quart import Blueprint, Response, abort, render_template, send_file

from ..auth import actions, sessions
from ..runtime import get_runtime
from ..security import public

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
async def home() -> str:
    """The signed-in landing page (anonymous visitors are sent to /login by the guard)."""
    signed_in = sessions.current()
    assert signed_in is not None
    user = await actions.account_summary(get_runtime(), signed_in.username)
    return await render_template("home.html", user=user)


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
