"""Upgrading a 0.0.4 data root: its history renders, and its deleted names stay taken."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from quart import Quart

from minimost.chat.messages.older_html import OlderHtml
from minimost.runtime import get_runtime, need
from tests.conftest import GOOD_PASSWORD, AppFactory, browser_for, execute, rows, sign_up
from tests.helpers.original_install import (
    OLDER_MARKUP,
    write_history_of_deleted_accounts,
    write_original_data_root,
)

UPGRADED_TEXTS = {row_id: text for row_id, _, _, text in OLDER_MARKUP}
UPGRADED_TEXTS[2] = "hello **team**, the firmware build is green"


async def older_html_stored(app: Quart) -> None:
    older = get_runtime(app).services.older_html
    assert isinstance(older, OlderHtml)
    await asyncio.wait_for(older.done.wait(), 30)


async def html_of_new_message(user: Any, channel: str, text: str) -> str:
    response = await user.api("POST", f"/api/channels/{channel}/messages", json={"content": text})
    assert response.status_code == 201, await response.get_data(as_text=True)
    html = (await response.get_json())["message"]["html"]
    assert isinstance(html, str)
    return html


async def test_upgraded_messages_render_like_new_ones(make_app: AppFactory, data_dir: Path) -> None:
    write_original_data_root(data_dir)
    write_history_of_deleted_accounts(data_dir)
    messages_db = data_dir / "users" / "messages.db"
    app = make_app()
    async with app.test_app():
        await older_html_stored(app)
        stored = dict(rows(messages_db, "SELECT id, content_html FROM messages"))
        assert None not in stored.values(), "every older message has its HTML stored"
        # A row still without HTML when read (the pass had not reached it yet) renders too.
        execute(messages_db, "UPDATE messages SET content_html = NULL WHERE id IN (20, 21)")

        grace = await sign_up(app, "grace")
        response = await grace.api("GET", "/api/channels/general/messages")
        assert response.status_code == 200
        shown = {message["id"]: message for message in (await response.get_json())["messages"]}
        assert shown[1]["html"] == "<p>Welcome to MiniMost, alice!</p>"
        assert shown[3]["html"] == "", "a file has no text to render, as for a new upload"
        for row_id, text in UPGRADED_TEXTS.items():
            expected = await html_of_new_message(grace, "general", text)
            if row_id in shown:
                assert shown[row_id]["html"] == expected, f"message {row_id} as read"
            if row_id not in (20, 21):
                assert stored[row_id] == expected, f"message {row_id} as stored"
        assert "<code>make flash</code>" in shown[20]["html"]
        assert 'href="https://example.com/build?id=7"' in shown[20]["html"]
        assert "<pre><code" in shown[22]["html"]
        assert "<script>" not in stored[23]


async def test_a_start_with_nothing_to_render_stores_nothing(
    make_app: AppFactory, data_dir: Path
) -> None:
    write_original_data_root(data_dir)
    async with make_app().test_app():
        pass
    app = make_app()
    async with app.test_app():
        await older_html_stored(app)
        assert need(get_runtime(app).services.older_html, "older html").stored == 0


async def sign_up_refusal(app: Quart, username: str) -> str:
    browser = await browser_for(app)
    response = await browser.form(
        "/signup",
        {"username": username, "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
    )
    assert response.status_code == 200, f"{username} was signed up"
    return await response.get_data(as_text=True)


async def test_names_from_older_history_cannot_be_registered_again(
    make_app: AppFactory, data_dir: Path
) -> None:
    write_original_data_root(data_dir)
    write_history_of_deleted_accounts(data_dir)
    auth_db = data_dir / "auth.db"
    accounts_before = rows(auth_db, "SELECT * FROM users ORDER BY username")
    app = make_app()
    async with app.test_app():
        # carol sent messages, Dave is only in a DM's name, erin reacted and joined a
        # private channel, frank has a read position.
        for name in ("carol", "Carol", "dave", "erin", "frank"):
            assert "User already exists" in await sign_up_refusal(app, name)
        assert rows(auth_db, "SELECT COUNT(*) FROM users") == [(2,)]
        await sign_up(app, "grace")

    tombstones = {name for (name,) in rows(auth_db, "SELECT username FROM deleted_usernames")}
    assert tombstones == {"carol", "Dave", "erin", "frank"}, "only names without an account"
    accounts_after = rows(auth_db, "SELECT * FROM users WHERE username != 'grace' ORDER BY 1")
    assert [row[: len(old)] for row, old in zip(accounts_after, accounts_before, strict=True)] == [
        tuple(row) for row in accounts_before
    ]
