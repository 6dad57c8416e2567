"""Walks of the URL map (sign-in and CSRF on every route), headers, rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from quart import Quart
from werkzeug.routing import IntegerConverter, Rule

from minimost.web.guards import CONTENT_SECURITY_POLICY
from tests.conftest import GOOD_PASSWORD, AppFactory, browser_for, sign_up

# Every route reachable without signing in. Adding a public route means adding it here.
PUBLIC_ENDPOINTS = {
    "static",
    "auth.login_page",
    "auth.login",
    "auth.signup_page",
    "auth.signup",
    "auth.forgot_password",
    "auth.reset_password_page",
    "auth.reset_password",
    "pages.about",
    "pages.ca_certificate",
    # The installable app: fetched by the browser without the session (manifest) or
    # before there is one (service worker, offline page).
    "pwa.web_manifest",
    "pwa.service_worker",
    "pwa.offline_page",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def concrete_path(rule: Rule) -> str:
    """A real path for a rule, with a plausible value in each variable part."""
    values = {
        name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
        for name in rule.arguments
    }
    return rule.build(values, append_unknown=False)[1]


def routes(app: Quart) -> Iterator[tuple[Rule, str]]:
    """HTTP routes (the websocket route has its own handshake tests)."""
    for rule in app.url_map.iter_rules():
        if rule.websocket:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_public_views_are_exactly_the_listed_ones(make_app: AppFactory) -> None:
    app = make_app()
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "minimost_public", False)
    }
    assert marked | {"static"} == PUBLIC_ENDPOINTS


async def test_every_private_route_refuses_anonymous_callers(make_app: AppFactory) -> None:
    app = make_app()
    checked = 0
    async with app.test_app():
        client = app.test_client()
        for rule, method in routes(app):
            if rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            path = concrete_path(rule)
            response = await client.open(path, method=method)
            if path.startswith("/api/"):
                assert response.status_code == 401, f"{method} {path}"
                body = await response.get_json()
                assert body["error"]["code"] == "unauthorized", f"{method} {path}"
            else:
                assert response.status_code == 302, f"{method} {path}"
                assert response.headers["Location"] == "/login", f"{method} {path}"
            checked += 1
    assert checked >= 10


async def test_every_state_changing_route_refuses_a_missing_csrf_token(
    make_app: AppFactory,
) -> None:
    app = make_app()
    checked = 0
    async with app.test_app():
        user = await sign_up(app)
        for rule, method in routes(app):
            if method not in UNSAFE:
                continue
            path = concrete_path(rule)
            without = await user.client.open(path, method=method, json={})
            assert without.status_code == 403, f"{method} {path} without token"
            forged = await user.client.open(
                path, method=method, json={}, headers={"X-CSRF-Token": "0" * 64}
            )
            assert forged.status_code == 403, f"{method} {path} with a wrong token"
            checked += 1
    assert checked >= 8


async def test_html_form_without_token_is_refused(app: Quart) -> None:
    client = app.test_client()
    response = await client.post("/login", form={"username": "alice", "password": GOOD_PASSWORD})
    assert response.status_code == 403
    assert "You do not have permission" in await response.get_data(as_text=True)


async def test_refusals_are_audited(app: Quart, data_dir: Path) -> None:
    await (await browser_for(app)).get("/api/account")
    log = (data_dir / "audit.log").read_text()
    assert 'event=access_denied outcome=failure user=- src=127.0.0.1 detail="GET /api/account"' in (
        log
    )


async def test_security_headers_on_every_response(app: Quart) -> None:
    client = app.test_client()
    for path in ("/login", "/no-such-page", "/static/css/minimost.css"):
        response = await client.get(path)
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "microphone=(self)" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers, "plain HTTP gets no HSTS"


async def test_hsts_only_over_tls(app: Quart) -> None:
    response = await app.test_client().get("/login", scheme="https")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


async def test_session_cookie_flags(make_app: AppFactory) -> None:
    for tls, secure, name in ((False, False, "carol"), (True, True, "dave")):
        app = make_app(tls=tls)
        async with app.test_app():
            user = await browser_for(app)
            response = await user.form(
                "/signup",
                {"username": name, "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
            )
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("session=")
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
        assert "Expires=" in cookie, "a persistent cookie lives as long as the idle window"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/login", {"username": "alice", "password": "wrong"}),
        ("/signup", {"username": "x y", "password": "p", "confirm_password": "p"}),
    ],
)
async def test_rate_limited_form_pages_answer_429_with_the_wait(
    make_app: AppFactory, path: str, form: dict[str, str]
) -> None:
    app = make_app(rate_limits={"login": [2, 60], "signup": [2, 60]})
    async with app.test_app():
        user = await browser_for(app)
        for _ in range(2):
            assert (await user.form(path, form)).status_code == 200
        refused = await user.form(path, form)
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    body = await refused.get_data(as_text=True)
    assert f"You&#39;re doing that too quickly. Please wait {retry_after} second" in body
    assert 'name="username"' in body, "the form is shown again"


async def test_rate_limits_can_be_switched_off(make_app: AppFactory) -> None:
    app = make_app(rate_limits={"login": [1, 60]}, rate_limit_enabled=False)
    async with app.test_app():
        user = await browser_for(app)
        for _ in range(3):
            response = await user.form("/login", {"username": "a", "password": "b"})
            assert response.status_code == 200


async def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    make_app: AppFactory,
) -> None:
    form = {"username": "alice", "password": "wrong"}
    app = make_app(rate_limits={"login": [1, 60]})
    async with app.test_app():
        user = await browser_for(app)
        first = await user.form("/login", form, headers={"X-Forwarded-For": "203.0.113.1"})
        spoofed = await user.form("/login", form, headers={"X-Forwarded-For": "203.0.113.2"})
    assert first.status_code == 200
    assert spoofed.status_code == 429, "a client cannot pick a fresh key with the header"

    trusting = make_app(rate_limits={"login": [1, 60]}, trusted_proxies=["127.0.0.1"])
    async with trusting.test_app():
        user = await browser_for(trusting)
        for address in ("203.0.113.1", "203.0.113.2"):
            response = await user.form("/login", form, headers={"X-Forwarded-For": address})
            assert response.status_code == 200, "behind the trusted proxy each client counts"


async def test_cookie_is_not_secure_when_tls_could_not_be_provisioned(
    make_app: AppFactory, data_dir: Path
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "ca.pem").write_text("not a certificate")
    (data_dir / "ca-key.pem").write_text("not a key")
    app = make_app(tls=True)  # provisioning fails on the broken CA and serving falls back
    async with app.test_app():
        user = await browser_for(app)
        response = await user.form(
            "/signup",
            {"username": "erin", "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
        )
    assert response.status_code == 302
    assert "Secure" not in response.headers["Set-Cookie"]
