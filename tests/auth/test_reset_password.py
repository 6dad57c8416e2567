"""Admin reset links: the ``reset-password`` command and the page that uses the link."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from quart import Quart, Response
from werkzeug.security import generate_password_hash

from minimost.cli import cli
from tests.conftest import (
    GOOD_PASSWORD,
    AppFactory,
    UserClient,
    browser_for,
    execute,
    rows,
    sign_up,
)

NEW_PASSWORD = "Fresh-Horse-Battery-42"
RATE_LIMITED = "You're doing that too quickly. Please wait"
INVALID = "Link invalid or expired"
TOKEN = r"[A-Za-z0-9_-]{43}"


# -- helpers -----------------------------------------------------------------------------


def reset_password_command(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["reset-password", *args],
        env={"MINIMOST_DATA_DIR": str(data_dir), "MINIMOST_SKIP_TLS": "1"},
    )


def printed_token(result: Result) -> str:
    found = re.search(rf"/reset-password/({TOKEN})$", result.stdout.splitlines()[1])
    assert found, result.stdout
    return found.group(1)


async def create_users(app: Quart, *usernames: str) -> None:
    """Sign the users up through the app, then shut it down so the CLI opens the databases."""
    async with app.test_app():
        for username in usernames:
            await sign_up(app, username)


def issue_link(data_dir: Path, username: str = "alice", minutes: float = 60) -> str:
    """A reset token row as the admin command leaves it."""
    token = secrets.token_urlsafe(32)
    execute(
        data_dir / "auth.db",
        "INSERT INTO password_reset_tokens (token, username, expires_ts, used) VALUES (?, ?, ?, 0)",
        (token, username, time.time() + minutes * 60),
    )
    return token


def audit_lines(data_dir: Path) -> list[str]:
    path = data_dir / "audit.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


async def page_text(response: Response) -> str:
    return html.unescape(await response.get_data(as_text=True))


async def submit(
    app: Quart, token: str, password: str = NEW_PASSWORD, confirm: str | None = None
) -> Response:
    browser = await browser_for(app)
    return await browser.form(
        f"/reset-password/{token}",
        {"password": password, "confirm_password": password if confirm is None else confirm},
    )


async def signs_in(app: Quart, username: str, password: str) -> bool:
    browser = await browser_for(app)
    response = await browser.form("/login", {"username": username, "password": password})
    if response.status_code == 302:
        assert response.headers["Location"] == "/"
        return True
    assert response.status_code == 200
    assert "Invalid credentials" in await response.get_data(as_text=True)
    return False


async def is_signed_in(user: UserClient) -> bool:
    status = (await user.api("GET", "/api/account")).status_code
    assert status in (200, 401), status
    return status == 200


# -- the reset-password command ------------------------------------------------------------


def test_command_prints_a_link_and_notifies_the_user(make_app: AppFactory, data_dir: Path) -> None:
    asyncio.run(create_users(make_app(), "alice", "bob"))
    before = time.time()
    result = reset_password_command(
        data_dir, "ALICE", "--expires", "1", "--base-url", "https://chat.lan/"
    )
    after = time.time()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0] == "Password reset URL for 'alice' (expires in 1 minute):"
    assert re.fullmatch(rf"https://chat\.lan/reset-password/{TOKEN}", lines[1])
    token = printed_token(result)

    [(username, expires_ts, used)] = rows(
        data_dir / "auth.db",
        "SELECT username, expires_ts, used FROM password_reset_tokens WHERE token = ?",
        (token,),
    )
    assert (username, used) == ("alice", 0)
    assert before + 60 - 1 <= expires_ts <= after + 60 + 1

    notices = rows(
        data_dir / "users" / "messages.db",
        "SELECT sender, content_type, content FROM messages WHERE channel = 'dm:alice:system'",
    )
    assert notices == [
        (
            "system",
            "system",
            "A password reset has been requested for your account. The reset link will "
            "expire in 1 minute. If you did not request this, please contact your "
            "administrators.",
        )
    ]
    assert (
        rows(
            data_dir / "users" / "messages.db",
            "SELECT 1 FROM messages WHERE channel LIKE '%bob%'",
        )
        == []
    )


def test_command_uses_the_address_the_server_was_reached_at(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app()

    async def serve_requests() -> None:
        async with app.test_app():
            await sign_up(app, "alice")
            # Quart's test client takes the address as scheme and Host header.
            response = await app.test_client().get(
                "/login", scheme="https", headers={"Host": "chat.example:8443"}
            )
            assert response.status_code == 200

    asyncio.run(serve_requests())
    result = reset_password_command(data_dir, "alice")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Password reset URL for 'alice' (expires in 60 minutes):"
    assert re.fullmatch(rf"https://chat\.example:8443/reset-password/{TOKEN}", lines[1])
    [(content,)] = rows(
        data_dir / "users" / "messages.db",
        "SELECT content FROM messages WHERE channel = 'dm:alice:system'",
    )
    assert "The reset link will expire in 60 minutes." in content


def test_command_defaults_to_local_http_when_nothing_was_served(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app()

    async def start_and_stop() -> None:
        async with app.test_app():
            pass

    asyncio.run(start_and_stop())
    # An account from an older install: nothing has been served by this version yet.
    execute(
        data_dir / "auth.db",
        "INSERT INTO users (username, password_hash, failed_attempts, password_set_ts) "
        "VALUES ('alice', ?, 0, ?)",
        (generate_password_hash(GOOD_PASSWORD), time.time()),
    )
    result = reset_password_command(data_dir, "alice")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"http://127\.0\.0\.1:5000/reset-password/{TOKEN}", result.stdout.splitlines()[1]
    )


def test_command_refuses_an_unknown_user(make_app: AppFactory, data_dir: Path) -> None:
    asyncio.run(create_users(make_app(), "alice"))
    result = reset_password_command(data_dir, "nobody")
    assert result.exit_code == 1
    assert "Error: user 'nobody' does not exist" in result.stderr
    assert "reset-password/" not in result.stdout
    assert rows(data_dir / "auth.db", "SELECT 1 FROM password_reset_tokens") == []


def test_printed_link_opens_the_reset_form(make_app: AppFactory, data_dir: Path) -> None:
    asyncio.run(create_users(make_app(), "alice"))
    result = reset_password_command(data_dir, "alice", "--base-url", "http://localhost")
    assert result.exit_code == 0, result.output
    path = result.stdout.splitlines()[1].removeprefix("http://localhost")
    app = make_app()

    async def open_link() -> str:
        async with app.test_app():
            return await page_text(await app.test_client().get(path))

    page = asyncio.run(open_link())
    assert "Set new password" in page
    assert "alice" in page


# -- the reset page ------------------------------------------------------------------------


async def test_reset_page_shows_a_form_for_the_user(app: Quart, data_dir: Path) -> None:
    await sign_up(app, "alice")
    token = issue_link(data_dir)
    response = await app.test_client().get(f"/reset-password/{token}")
    assert response.status_code == 200
    page = await page_text(response)
    assert "Set new password" in page
    assert ">alice<" in page
    assert 'name="password"' in page
    assert INVALID not in page


@pytest.mark.parametrize("link", ["unknown", "expired", "used"])
async def test_unusable_links_show_the_invalid_page(app: Quart, data_dir: Path, link: str) -> None:
    await sign_up(app, "alice")
    token = issue_link(data_dir)
    if link == "unknown":
        token = secrets.token_urlsafe(32)
    elif link == "expired":
        execute(
            data_dir / "auth.db",
            "UPDATE password_reset_tokens SET expires_ts = ? WHERE token = ?",
            (time.time() - 5, token),
        )
    else:
        execute(
            data_dir / "auth.db",
            "UPDATE password_reset_tokens SET used = 1 WHERE token = ?",
            (token,),
        )
    shown = await app.test_client().get(f"/reset-password/{token}")
    assert shown.status_code == 200
    page = await page_text(shown)
    assert INVALID in page
    assert "Set new password" not in page
    assert "alice" not in page

    posted = await submit(app, token)
    assert INVALID in await page_text(posted)
    assert "Password updated" not in await page_text(posted)
    assert await signs_in(app, "alice", GOOD_PASSWORD)
    assert not await signs_in(app, "alice", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("Short-1", "Short-1", "Password must be at least 15 characters"),
        (
            "no-digits-in-this-one-A",
            "no-digits-in-this-one-A",
            "Password must contain at least one number",
        ),
        (
            "ALL-UPPER-CASE-123",
            "ALL-UPPER-CASE-123",
            "Password must contain at least one lowercase letter",
        ),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "Passwords do not match"),
    ],
)
async def test_rule_failures_re_render_the_form(
    app: Quart, data_dir: Path, password: str, confirm: str, message: str
) -> None:
    await sign_up(app, "alice")
    token = issue_link(data_dir)
    response = await submit(app, token, password, confirm)
    assert response.status_code == 200
    page = await page_text(response)
    assert message in page
    assert "Set new password" in page
    assert "Password updated" not in page
    # The link is still good, and the password did not change.
    assert "Set new password" in await page_text(
        await app.test_client().get(f"/reset-password/{token}")
    )
    assert await signs_in(app, "alice", GOOD_PASSWORD)


async def test_reset_refuses_a_recent_password(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(password_history_count=3)
    async with app.test_app():
        await sign_up(app, "alice")
        token = issue_link(data_dir)
        response = await submit(app, token, GOOD_PASSWORD)
        assert response.status_code == 200
        page = await page_text(response)
        assert "New password must not match any of your last 3 passwords." in page
        assert "Password updated" not in page
        assert "Password updated" in await page_text(await submit(app, token))


async def test_successful_reset(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(password_min_age_hours=24)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        assert await is_signed_in(alice)
        token = issue_link(data_dir)

        response = await submit(app, token)
        assert response.status_code == 200
        assert "Password updated" in await page_text(response)

        assert rows(
            data_dir / "auth.db", "SELECT used FROM password_reset_tokens WHERE token = ?", (token,)
        ) == [(1,)]
        again = await submit(app, token, "Another-Horse-Battery-7")
        assert INVALID in await page_text(again)
        assert INVALID in await page_text(await app.test_client().get(f"/reset-password/{token}"))

        # Exempt from the minimum age; earlier sessions end.
        assert await signs_in(app, "alice", NEW_PASSWORD)
        assert not await signs_in(app, "alice", GOOD_PASSWORD)
        assert not await signs_in(app, "alice", "Another-Horse-Battery-7")
        assert not await is_signed_in(alice)
        assert any(
            "event=password_reset outcome=success user=alice" in line
            for line in audit_lines(data_dir)
        )


async def test_reset_only_ends_that_users_sessions(app: Quart, data_dir: Path) -> None:
    await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    token = issue_link(data_dir)
    assert "Password updated" in await page_text(await submit(app, token))
    assert await is_signed_in(bob)


async def test_reset_posts_are_rate_limited(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(rate_limits={"password_reset": [1, 3600]})
    async with app.test_app():
        await sign_up(app, "alice")
        token = issue_link(data_dir)
        first = await submit(app, token, "Short-1")
        assert first.status_code == 200
        refused = await submit(app, token)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        page = await page_text(refused)
        assert RATE_LIMITED in page
        assert "Password updated" not in page
        assert await signs_in(app, "alice", GOOD_PASSWORD)


async def test_reset_post_needs_the_csrf_token(app: Quart, data_dir: Path) -> None:
    await sign_up(app, "alice")
    token = issue_link(data_dir)
    browser = await browser_for(app)
    response = await browser.client.post(
        f"/reset-password/{token}",
        form={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert await signs_in(app, "alice", GOOD_PASSWORD)
