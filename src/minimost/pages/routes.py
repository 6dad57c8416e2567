"""The about page, the root redirect and the downloadable CA certificate."""

from __future__ import annotations

from quart import Blueprint, Response, abort, redirect, render_template, send_file

from ..runtime import get_runtime

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
async def home() -> Response:
    return redirect("/login")


@blueprint.get("/about")
async def about() -> str:
    return await render_template("about.html", tls_ca_available=_ca_file_exists())


@blueprint.get("/ca.pem")
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
