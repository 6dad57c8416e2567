"""Pages for signing in."""

from __future__ import annotations

from quart import Blueprint, render_template

blueprint = Blueprint("auth", __name__)


@blueprint.get("/login")
async def login_page() -> str:
    return await render_template("login.html")
