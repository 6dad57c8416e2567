"""Signing up, in and out; sessions: fresh ids, idle timeout, revocation, old cookies."""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from quart import Quart, Response
from werkzeug.security import generate_password_hash

from minimost.identity import accounts_of
from minimost.runtime import get_runtime
from minimost.web.guards import passive
from tests.conftest import (
    GOOD_PASSWORD,
    AppFactory,
    UserClient,
    browser_for,
    csrf_token_of,
    execute,
    rows,
    sign_up,
)


async def login(
    app: Quart, username: str, password: str = GOOD_PASSWORD
) -> tuple[UserClient, Response]:
    user = await browser_for(app)
    response = await user.form("/login", {"username": username, "password": password})
    if response.status_code == 302:
        user.token = await csrf_token_of(user.client)  # a new session has a new token
    return user, response


# -- sign up --------------------------------------------------------------------------------


async def test_signup_creates_a_signed_in_account_with_a_welcome(
    app: Quart, data_dir: Path
) -> None:
    user = await sign_up(app, "Alice")
    home = await user.get("/")
    assert home.status_code == 200
    assert "Alice" in await home.get_data(as_text=True)
    messages = data_dir / "users" / "messages.db"
    notices = rows(messages, "SELECT channel, sender, content, content_type, ts FROM messages")
    assert len(notices) == 1
    channel, sender, content, content_type, notice_ts = notices[0]
    assert (channel, sender, content_type) == ("general", "system", "system")
    assert content == "Welcome to MiniMost, Alice! 👋 Say hello 👋"
    watermarks = dict(
        rows(messages, "SELECT channel, last_read_ts FROM read_state WHERE user = 'Alice'")
    )
    assert set(watermarks) == {"general", "software", "firmware", "systems", "off-topic"}
    assert all(ts < notice_ts for ts in watermarks.values()), "the welcome itself is unread"
    log = (data_dir / "audit.log").read_text()
    assert "event=account_create outcome=success user=Alice src=127.0.0.1" in log
    assert "event=login outcome=success user=Alice src=127.0.0.1" in log


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("", GOOD_PASSWORD, GOOD_PASSWORD, "Missing fields"),
        ("bob", "", "", "Missing fields"),
        ("Everyone", GOOD_PASSWORD, GOOD_PASSWORD, "&#34;Everyone&#34; is a protected username"),
        ("system", GOOD_PASSWORD, GOOD_PASSWORD, "&#34;system&#34; is a protected username"),
        ("bob smith", GOOD_PASSWORD, GOOD_PASSWORD, "Username may only contain letters"),
        ("b" * 33, GOOD_PASSWORD, GOOD_PASSWORD, "Username may only contain letters"),
        ("bob", "Short-1a", "Short-1a", "Password must be at least 15 characters"),
        ("bob", GOOD_PASSWORD, GOOD_PASSWORD + "x", "Passwords do not match"),
    ],
)
async def test_signup_refusals_rerender_the_form(
    app: Quart, username: str, password: str, confirm: str, message: str
) -> None:
    user = await browser_for(app)
    response = await user.form(
        "/signup", {"username": username, "password": password, "confirm_password": confirm}
    )
    assert response.status_code == 200
    body = await response.get_data(as_text=True)
    assert message in body
    if username.strip():
        assert f'value="{username}"' in body, "the typed name is kept"


async def test_names_are_unique_whatever_the_case(app: Quart) -> None:
    await sign_up(app, "Alice")
    user = await browser_for(app)
    response = await user.form(
        "/signup",
        {"username": "aLiCe", "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
    )
    assert response.status_code == 200
    assert "User already exists" in await response.get_data(as_text=True)


async def test_missing_form_field_is_a_bad_request(app: Quart) -> None:
    user = await browser_for(app)
    response = await user.form("/signup", {"username": "bob"})
    assert response.status_code == 400


# -- sign in --------------------------------------------------------------------------------


async def test_login_uses_the_canonical_name_and_a_fresh_session(
    app: Quart, data_dir: Path
) -> None:
    await sign_up(app, "Alice")
    auth_db = data_dir / "auth.db"
    before = {sid for (sid,) in rows(auth_db, "SELECT sid FROM sessions")}
    user, response = await login(app, "  ALICE ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    after = rows(auth_db, "SELECT sid, username FROM sessions")
    new = [(sid, name) for sid, name in after if sid not in before]
    assert len(new) == 1
    assert new[0][1] == "Alice"
    account = await user.api("GET", "/api/account")
    assert (await account.get_json())["username"] == "Alice"


@pytest.mark.parametrize(
    ("username", "password"),
    [("nobody", GOOD_PASSWORD), ("alice", "Wrong-password-123"), ("alice", "x" * 1025)],
)
async def test_bad_credentials_get_one_generic_message(
    app: Quart, username: str, password: str
) -> None:
    await sign_up(app, "alice")
    _, response = await login(app, username, password)
    assert response.status_code == 200
    body = await response.get_data(as_text=True)
    assert "Invalid credentials" in body
    assert f'value="{username}"' in body


async def test_an_overlong_password_is_not_even_audited(app: Quart, data_dir: Path) -> None:
    await sign_up(app, "alice")
    await login(app, "alice", "x" * 1025)
    assert "event=login outcome=failure" not in (data_dir / "audit.log").read_text()


async def test_lockout_after_consecutive_failures(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(max_login_attempts=3, lockout_duration_minutes=15)
    async with app.test_app():
        await sign_up(app, "alice")
        for _ in range(2):
            _, response = await login(app, "alice", "Wrong-password-123")
            assert "Invalid credentials" in await response.get_data(as_text=True)
        _, locking = await login(app, "alice", "Wrong-password-123")
        assert (
            "Account locked due to too many failed login attempts. Try again in 15 minutes."
            in await locking.get_data(as_text=True)
        )
        _, refused = await login(app, "alice", GOOD_PASSWORD)
        assert "Account locked" in await refused.get_data(as_text=True), "even the right one"
        execute(data_dir / "auth.db", "UPDATE users SET lockout_until = ?", (time.time() + 30,))
        _, soon = await login(app, "alice", GOOD_PASSWORD)
        assert "Try again in 1 minute." in await soon.get_data(as_text=True)
        execute(data_dir / "auth.db", "UPDATE users SET lockout_until = ?", (time.time() - 1,))
        _, ok = await login(app, "alice", GOOD_PASSWORD)
        assert ok.status_code == 302
    assert rows(data_dir / "auth.db", "SELECT failed_attempts, lockout_until FROM users") == [
        (0, None)
    ]
    log = (data_dir / "audit.log").read_text()
    assert "event=account_lockout outcome=success user=alice" in log
    assert 'event=login outcome=failure user=alice src=127.0.0.1 detail="account locked"' in log


async def test_unknown_names_do_not_count_towards_a_lockout(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(max_login_attempts=1)
    async with app.test_app():
        _, response = await login(app, "ghost", "Whatever-123456!")
        assert "Invalid credentials" in await response.get_data(as_text=True)
    assert "event=login outcome=failure user=ghost" in (data_dir / "audit.log").read_text()


async def test_expired_password_refuses_login(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(password_max_age_days=60)
    async with app.test_app():
        await sign_up(app, "alice")
        execute(
            data_dir / "auth.db",
            "UPDATE users SET password_set_ts = ?",
            (time.time() - 61 * 86400,),
        )
        _, response = await login(app, "alice")
        assert response.status_code == 200
        assert (
            "Your password has expired. Ask an administrator to reset it "
            "(minimost reset-password)." in await response.get_data(as_text=True)
        )
        execute(data_dir / "auth.db", "UPDATE users SET password_set_ts = NULL")
        _, never = await login(app, "alice")
        assert never.status_code == 302, "accounts without a recorded age never expire"
    assert (
        "event=password_expired outcome=failure user=alice" in (data_dir / "audit.log").read_text()
    )


@pytest.mark.parametrize(
    "method", ["scrypt:32768:8:1", "pbkdf2:sha256:600000", "pbkdf2:sha256:260000", "pbkdf2:sha256"]
)
async def test_every_stored_werkzeug_format_still_verifies(
    app: Quart, data_dir: Path, method: str
) -> None:
    stored = generate_password_hash("Old-install-pass-42!", method=method)
    assert stored.startswith(method.split(":")[0])
    execute(
        data_dir / "auth.db",
        "INSERT INTO users (username, password_hash, failed_attempts) VALUES ('veteran', ?, 0)",
        (stored,),
    )
    _, response = await login(app, "veteran", "Old-install-pass-42!")
    assert response.status_code == 302
    _, wrong = await login(app, "veteran", "Old-install-pass-43!")
    assert "Invalid credentials" in await wrong.get_data(as_text=True)


# -- sign out and sessions -------------------------------------------------------------------


async def test_logout_is_a_post_that_ends_every_session(app: Quart, data_dir: Path) -> None:
    here = await sign_up(app, "alice")
    there, _ = await login(app, "alice")
    assert (await there.api("GET", "/api/account")).status_code == 200
    page = await here.get("/logout")
    assert page.status_code == 200, "GET only asks for confirmation"
    assert (await here.api("GET", "/api/account")).status_code == 200
    response = await here.form("/logout", {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?logged_out=1"
    banner = await here.get("/login?logged_out=1")
    assert "You have been logged out. Your session was securely terminated." in (
        await banner.get_data(as_text=True)
    )
    assert (await here.api("GET", "/api/account")).status_code == 401
    assert (await there.api("GET", "/api/account")).status_code == 401, "other devices too"
    assert rows(data_dir / "auth.db", "SELECT COUNT(*) FROM sessions") == [(0,)]
    assert rows(data_dir / "presence.db", "SELECT state FROM presence WHERE user = 'alice'") == [
        ("offline",)
    ]
    assert "event=logout outcome=success user=alice" in (data_dir / "audit.log").read_text()


async def test_ended_sessions_are_announced_to_listeners(app: Quart) -> None:
    ended: list[tuple[str, list[str]]] = []

    async def listener(username: str, sids: list[str]) -> None:
        ended.append((username, sids))

    accounts_of(get_runtime(app)).on_sessions_ended(listener)
    here = await sign_up(app, "alice")
    await login(app, "alice")
    await here.form("/logout", {})
    assert len(ended) == 1
    assert ended[0][0] == "alice"
    assert len(ended[0][1]) == 2


async def test_idle_session_times_out(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(session_idle_minutes=10)
    async with app.test_app():
        user = await sign_up(app, "alice")
        execute(
            data_dir / "auth.db", "UPDATE sessions SET last_active_ts = ?", (time.time() - 601,)
        )
        assert (await user.api("GET", "/api/account")).status_code == 401
        page = await user.get("/")
        assert page.status_code == 302
        assert page.headers["Location"] == "/login"
    assert (
        "event=session_timeout outcome=success user=alice" in (data_dir / "audit.log").read_text()
    )


async def test_background_requests_do_not_keep_a_session_alive(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(session_idle_minutes=10)

    @app.get("/poll")
    @passive
    async def poll() -> str:
        return "ok"

    async with app.test_app():
        user = await sign_up(app, "alice")
        stale = time.time() - 300
        execute(data_dir / "auth.db", "UPDATE sessions SET last_active_ts = ?", (stale,))
        assert (await user.get("/poll")).status_code == 200
        assert rows(data_dir / "auth.db", "SELECT last_active_ts FROM sessions") == [(stale,)]
        assert (await user.get("/")).status_code == 200
        (touched,) = rows(data_dir / "auth.db", "SELECT last_active_ts FROM sessions")[0]
        assert touched > stale + 200, "a real page view counts as activity"


async def test_activity_renews_the_cookie_and_a_fresh_one_is_left_alone(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(session_idle_minutes=10)
    async with app.test_app():
        user = await sign_up(app, "alice")
        fresh = await user.get("/api/unread", headers={"Accept": "application/json"})
        assert fresh.status_code == 200
        assert "Set-Cookie" not in fresh.headers, "a just-signed cookie is not signed again"
        stale = time.time() - 300
        execute(data_dir / "auth.db", "UPDATE sessions SET last_active_ts = ?", (stale,))
        renewed = await user.get("/")
        assert renewed.status_code == 200
        expires = re.search(r"Expires=([^;]+)", renewed.headers["Set-Cookie"])
        assert expires is not None, "activity renews the cookie"
        lifetime = parsedate_to_datetime(expires[1]).timestamp() - time.time()
        assert 590 < lifetime <= 600, "for the whole idle timeout from now"


async def test_idle_timeout_zero_never_expires(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(session_idle_minutes=0)
    async with app.test_app():
        user = await sign_up(app, "alice")
        execute(data_dir / "auth.db", "UPDATE sessions SET last_active_ts = 1")
        assert (await user.api("GET", "/api/account")).status_code == 200


async def test_cookie_without_a_server_record_is_refused(app: Quart, data_dir: Path) -> None:
    user = await sign_up(app, "alice")
    execute(data_dir / "auth.db", "DELETE FROM sessions")
    assert (await user.api("GET", "/api/account")).status_code == 401


async def test_a_cookie_checked_once_still_expires_and_a_changed_one_is_refused(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verified cookie is remembered, not trusted forever: its age is still checked."""
    app = make_app(session_idle_minutes=0)  # no idle timeout: only the cookie can expire
    async with app.test_app():
        user = await sign_up(app, "alice")
        assert (await user.api("GET", "/api/account")).status_code == 200
        assert (await user.api("GET", "/api/account")).status_code == 200
        (cookie,) = [c.value for c in user.client.cookie_jar if c.name == "session"]
        # The signature's first character: all six of its bits count (the last one's may not).
        signed, signature = cookie.rsplit(".", 1)
        changed = f"{signed}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
        other = app.test_client()
        other.set_cookie("localhost", "session", changed)
        assert (await other.get("/api/account")).status_code == 401
        a_month_later = time.time() + 32 * 86400
        monkeypatch.setattr(time, "time", lambda: a_month_later)
        assert (await user.api("GET", "/api/account")).status_code == 401


def legacy_cookie(app: Quart, **values: object) -> str:
    """A session cookie exactly as the Flask MiniMost signed it."""
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None
    return serializer.dumps(values)


async def test_cookie_signed_by_the_old_minimost_is_adopted_once(
    app: Quart, data_dir: Path
) -> None:
    await sign_up(app, "alice")
    cookie = legacy_cookie(
        app, user="alice", _sid="ab" * 32, _last_active=time.time() - 60, _permanent=True
    )

    client = app.test_client()
    client.set_cookie("localhost", "session", cookie)
    assert (await client.get("/api/account")).status_code == 200
    assert ("ab" * 32, "alice") in rows(data_dir / "auth.db", "SELECT sid, username FROM sessions")

    here, _ = await login(app, "alice")
    assert (await here.form("/logout", {})).status_code == 302
    stolen = app.test_client()
    stolen.set_cookie("localhost", "session", cookie)
    assert (await stolen.get("/api/account")).status_code == 401, "revoked by signing out"
