"""With ``calls_enabled: false`` the channel header offers no Call or Share screen buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from minimost.auth.actions import dm_channel
from tests.e2e.chat_helpers import ChatUser, message_with_text, new_user, wait_until_live
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer

PHONE = {"width": 390, "height": 844}
CALL_BUTTONS = ".mm-call-start, .mm-share-start"


@pytest.fixture
def calls_off_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "data", settings={"calls_enabled": False}, check_answers=True)
    try:
        server.start()
        yield server
    finally:
        server.close()


def open_dm_with_bob(user: ChatUser) -> None:
    """Write bob a first message over the API, then open the DM as a person would."""
    channel = dm_channel(user.username, "bob")
    status = user.page.evaluate(
        """async (channel) => {
          const token = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch(`/api/channels/${channel}/messages`, {method: "POST",
            headers: {"X-CSRF-Token": token, "Content-Type": "application/json"},
            body: JSON.stringify({content: "hello bob"})});
          return response.status;
        }""",
        channel,
    )
    assert status == 201
    user.page.reload()
    wait_until_live(user.page)
    drawer = user.page.locator("#drawer-button")
    if drawer.is_visible():  # a phone shows the conversations in a drawer
        drawer.click()
    user.page.click(f'[data-channel="{channel}"]')
    expect(message_with_text(user, "hello bob")).to_be_visible()


def header_buttons(user: ChatUser) -> list[str]:
    return user.page.locator("#header-actions button").all_inner_texts()


def test_the_header_has_no_call_buttons_with_calls_off(
    calls_off_server: LiveServer, browser: Browser
) -> None:
    new_user(browser, calls_off_server, "bob").close()
    looks = [
        ("alice", "dark", None, "calls-off-dark"),
        ("carol", "light", None, "calls-off-light"),
        ("dave", "dark", PHONE, "calls-off-phone"),
    ]
    for username, scheme, viewport, name in looks:
        user = new_user(browser, calls_off_server, username, color_scheme=scheme, viewport=viewport)
        try:
            open_dm_with_bob(user)
            assert user.page.locator(CALL_BUTTONS).count() == 0
            assert "Call" not in header_buttons(user)
            assert "Share screen" not in header_buttons(user)
            screenshot(user.page, name)
            assert user.errors == []
        finally:
            user.close()


def test_the_header_offers_call_buttons_with_calls_on(
    live_server: LiveServer, browser: Browser
) -> None:
    new_user(browser, live_server, "bob").close()
    alice = new_user(browser, live_server, "alice")
    try:
        open_dm_with_bob(alice)
        expect(alice.page.locator(".mm-call-start")).to_be_visible()
        expect(alice.page.locator(".mm-share-start")).to_be_visible()
        assert {"Call", "Share screen"} <= set(header_buttons(alice))
    finally:
        alice.close()
