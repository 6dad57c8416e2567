"""Pages for signing up, in and out, and for resetting a password with an admin's link.

They work without JavaScript: plain forms, errors re-rendered on the same page.
"""

from __future__ import annotations

from quart import Blueprint, Response, abort, redirect, render_template, request

from ..identity import sessions
from ..runtime import Runtime, get_runtime
from ..web.guards import public
from ..web.ratelimits import limited, rate_limit_message
from . import actions

LOGGED_OUT = "You have been logged out. Your session was securely terminated."
ACCOUNT_DELETED = "Your account has been deleted."
# Endpoints whose page is re-rendered with the message when a rate limit refuses them.
RATE_LIMITED_PAGES = {
    "auth.login": "login.html",
    "auth.signup": "signup.html",
    "auth.reset_password": "reset_password.html",
}


async def _form_fields(*names: str) -> list[str]:
    form = await request.form
    if any(name not in form for name in names):
        abort(400)
    return [form[name] for name in names]


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


@public
async def signup_page() -> str | Response:
    if sessions.current() is not None:
        return redirect("/")
    return await render_template("signup.html", error=None, username=None)


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


async def logout_page() -> str:
    return await render_template("logout.html")


async def logout() -> Response:
    signed_in = sessions.current()
    assert signed_in is not None
    await actions.sign_out(get_runtime(), signed_in)
    return redirect("/login?logged_out=1")


@public
async def forgot_password() -> str:
    return await render_template("forgot_password.html")


@public
async def reset_password_page(token: str) -> str:
    username = await actions.reset_link_user(get_runtime(), token)
    if username is None:
        return await render_template("reset_password.html", state="invalid", error=None)
    return await render_template(
        "reset_password.html", state="form", reset_user=username, error=None
    )


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


def build_blueprint(runtime: Runtime) -> Blueprint:
    blueprint = Blueprint("auth", __name__)
    add = blueprint.add_url_rule
    add("/login", "login_page", login_page, methods=["GET"])
    add("/login", "login", limited(runtime, login, "login"), methods=["POST"])
    add("/signup", "signup_page", signup_page, methods=["GET"])
    add("/signup", "signup", limited(runtime, signup, "signup"), methods=["POST"])
    add("/logout", "logout_page", logout_page, methods=["GET"])
    add("/logout", "logout", logout, methods=["POST"])
    add("/forgot-password", "forgot_password", forgot_password, methods=["GET"])
    add("/reset-password/<token>", "reset_password_page", reset_password_page, methods=["GET"])
    add(
        "/reset-password/<token>",
        "reset_password",
        limited(runtime, reset_password, "password_reset"),
        methods=["POST"],
    )
    return blueprint
