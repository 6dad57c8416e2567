"""Pages for signing up, in and out, and for resetting a password with an admin's link.

They work without JavaScript: plain forms, errors re-rendered on the same page.
"""

from __future__ import annotations

from quart import Blueprint, Response, abort, redirect, render_template, request

from ..identity import sessions, signed_in_user
from ..runtime import get_runtime
from ..web.guards import public
from ..web.ratelimits import rate_limit_message, rate_limited
from . import actions

LOGGED_OUT = "You have been logged out. Your session was securely terminated."
ACCOUNT_DELETED = "Your account has been deleted."
# Endpoints whose page is re-rendered with the message when a rate limit refuses them.
RATE_LIMITED_PAGES = {
    "auth.login": "login.html",
    "auth.signup": "signup.html",
    "auth.reset_password": "reset_password.html",
}

blueprint = Blueprint("auth", __name__)


async def _form_fields(*names: str) -> list[str]:
    form = await request.form
    if any(name not in form for name in names):
        abort(400)
    return [form[name] for name in names]


@blueprint.get("/login")
@public
async def login_page() -> str | Response:
    if sessions.current() is not None:
        return redirect("/")
    notice = None
    if request.args.get("logged_out"):
        notice = LOGGED_OUT
    elif request.args.get("account_deleted"):
        notice = ACCOUNT_DELETED
    return await render_template("login.html", error=None, notice=notice, username=None)


@blueprint.post("/login")
@rate_limited("login")
@public
async def login() -> str | Response:
    username, password = await _form_fields("username", "password")
    runtime = get_runtime()
    try:
        canonical = await actions.sign_in(runtime, username, password)
    except actions.AccountError as error:
        return await render_template(
            "login.html", error=str(error), notice=None, username=username.strip()
        )
    await actions.open_session(runtime, canonical)
    return redirect("/")


@blueprint.get("/signup")
@public
async def signup_page() -> str | Response:
    if sessions.current() is not None:
        return redirect("/")
    return await render_template("signup.html", error=None, username=None)


@blueprint.post("/signup")
@rate_limited("signup")
@public
async def signup() -> str | Response:
    username, password, confirm = await _form_fields("username", "password", "confirm_password")
    runtime = get_runtime()
    try:
        created = await actions.sign_up(runtime, username, password, confirm)
    except actions.AccountError as error:
        return await render_template("signup.html", error=str(error), username=username.strip())
    await actions.open_session(runtime, created)
    return redirect("/")


@blueprint.get("/logout")
async def logout_page() -> str:
    return await render_template("logout.html")


@blueprint.post("/logout")
async def logout() -> Response:
    await actions.sign_out(get_runtime(), signed_in_user())
    return redirect("/login?logged_out=1")


@blueprint.get("/forgot-password")
@public
async def forgot_password() -> str:
    return await render_template("forgot_password.html")


@blueprint.get("/reset-password/<token>")
@public
async def reset_password_page(token: str) -> str:
    username = await actions.reset_link_user(get_runtime(), token)
    if username is None:
        return await render_template("reset_password.html", state="invalid", error=None)
    return await render_template(
        "reset_password.html", state="form", reset_user=username, error=None
    )


@blueprint.post("/reset-password/<token>")
@rate_limited("password_reset")
@public
async def reset_password(token: str) -> str:
    password, confirm = await _form_fields("password", "confirm_password")
    runtime = get_runtime()
    try:
        await actions.reset_password(runtime, token, password, confirm)
    except actions.AccountError as error:
        if error.status == 404:
            return await render_template("reset_password.html", state="invalid", error=None)
        username = await actions.reset_link_user(runtime, token)
        return await render_template(
            "reset_password.html", state="form", reset_user=username, error=str(error)
        )
    return await render_template("reset_password.html", state="done", error=None)


async def rate_limited_page(retry_after: int) -> Response | None:
    """Re-render the form a rate limit refused, with the wait in words."""
    template = RATE_LIMITED_PAGES.get(request.endpoint or "")
    if template is None:
        return None
    form = await request.form
    context = {"error": rate_limit_message(retry_after), "notice": None}
    if template == "reset_password.html":
        token = (request.view_args or {}).get("token", "")
        context.update(state="form", reset_user=await actions.reset_link_user(get_runtime(), token))
    else:
        context["username"] = (form.get("username") or "").strip() or None
    response = Response(await render_template(template, **context), status=429)
    response.headers["Retry-After"] = str(retry_after)
    return response
