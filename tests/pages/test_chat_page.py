"""The chat client at / for signed-in people, and the account screen at /account."""

from __future__ import annotations

import json
import re

from quart import Quart

from tests.conftest import browser_for, sign_up
from tests.helpers.pages import CONFIG


async def test_signed_in_people_get_the_chat_client_with_their_configuration(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.get("/")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    config = json.loads(CONFIG.search(page).group(1))
    assert config["me"]["username"] == "alice"
    assert config["public_channels"] == ["general", "software", "firmware", "systems", "off-topic"]
    assert config["max_message_chars"] == 10_000
    assert 'id="message-log" role="log" aria-live="polite"' in page
    assert "/static/js/chat/main.js?v=" in page
    assert "/static/css/chat.css?v=" in page
    # The only inline <script> is data; the CSP allows no inline code.
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert scripts == ['<script type="application/json" id="chat-config">']
    assert not re.search(r"<[^>]*\son[a-z]+=", page), "no inline event handlers"
    assert not re.search(r"<[^>]*\sstyle=", page), "no inline styles"


async def test_configuration_is_data_even_when_a_bio_looks_like_markup(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bio = "</script><script>alert(1)</script>"
    assert (await alice.api("PATCH", "/api/account", json={"bio": bio})).status_code == 200
    page = await (await alice.get("/")).get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert json.loads(CONFIG.search(page).group(1))["me"]["bio"] == bio


async def test_the_account_screen_moved_to_its_own_page(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.get("/account")
    assert response.status_code == 200
    assert "Your account" in await response.get_data(as_text=True)


async def test_anonymous_visitors_are_sent_to_sign_in(app: Quart) -> None:
    visitor = await browser_for(app)
    for path in ("/", "/account"):
        response = await visitor.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"
