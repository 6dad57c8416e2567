"""The chat client's panels and dialogs in Chromium: focus handling, search, the emoji
picker, settings, theme, account, pins, and the installable app (manifest, service worker).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chat_helpers import (
    ChatUser,
    composer,
    message_with_text,
    new_user,
    send_message,
    sign_up_users,
    wait_until_live,
)
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer

DARK_BACKGROUND = "rgb(14, 18, 23)"  # --mm-color-bg, dark palette
LIGHT_BACKGROUND = "rgb(238, 241, 245)"  # --mm-color-bg, light palette


def open_menu_item(page: Page, label: str) -> None:
    page.locator("#menu-button").click()
    page.get_by_role("menuitem", name=label, exact=True).click()


def focus_is_inside(page: Page, selector: str) -> bool:
    return page.evaluate(
        "(selector) => Boolean(document.activeElement?.closest(selector))", selector
    )


def post_as(user: ChatUser, channel: str, texts: list[str]) -> None:
    """Send messages over the JSON API from the user's page, in order."""
    user.page.evaluate(
        """async ([channel, texts]) => {
            const { api } = await import("/static/js/api.js");
            for (const content of texts) {
                await api("POST", `/api/channels/${channel}/messages`, { content });
            }
        }""",
        [channel, texts],
    )


def body_background(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


@pytest.fixture
def plain_http_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Plain HTTP on loopback is a secure context whose service worker the browser accepts
    (the TLS test server's certificate comes from a CA the browser does not trust)."""
    server = LiveServer(tmp_path / "data", tls=False, check_answers=True)
    server.start()
    yield server
    server.close()


def test_dialogs_trap_focus_close_on_escape_and_give_focus_back(
    live_server: LiveServer, browser: Browser
) -> None:
    alice = new_user(browser, live_server, "alice")
    page = alice.page
    try:
        members = page.get_by_role("button", name=re.compile(r"^Members"))
        members.click()
        dialog = page.get_by_role("dialog", name="Members of # general")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("searchbox", name="Find a member")).to_be_focused()
        for _ in range(6):
            page.keyboard.press("Tab")
            assert focus_is_inside(page, "dialog[open]")
        for _ in range(6):
            page.keyboard.press("Shift+Tab")
            assert focus_is_inside(page, "dialog[open]")
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(members).to_be_focused()

        # Opened from the menu, focus goes back to the menu's button.
        open_menu_item(page, "Settings")
        settings = page.get_by_role("dialog", name="Settings")
        expect(settings).to_be_visible()
        assert focus_is_inside(page, "dialog[open]")
        page.keyboard.press("Escape")
        expect(settings).to_have_count(0)
        expect(page.locator("#menu-button")).to_be_focused()
        assert alice.errors == []
    finally:
        alice.close()


def test_search_finds_an_old_message_and_jumps_to_it(
    live_server: LiveServer, browser: Browser
) -> None:
    # Bob writes the history before alice arrives, so her first page is its newest part.
    bob = new_user(browser, live_server, "bob")
    post_as(bob, "general", ["The spare JTAG probe is in the second drawer"])
    post_as(bob, "general", [f"status update {n}" for n in range(130)])
    alice = new_user(browser, live_server, "alice")
    try:
        expect(message_with_text(alice, "status update 129")).to_have_count(1)
        # Older than the first page of history: not in the list yet.
        expect(message_with_text(alice, "JTAG probe")).to_have_count(0)

        alice.page.get_by_role("button", name="Search messages").click()
        query = alice.page.get_by_role("searchbox", name="Search messages")
        query.fill("jtag")
        result = alice.page.locator(".mm-side-panel--search .mm-result")
        expect(result).to_have_count(1)
        expect(result.locator("mark")).to_have_text("JTAG")
        expect(alice.page.locator(".mm-result-group__title")).to_have_text("# general")
        screenshot(alice.page, "panels-search")
        result.click()

        found = message_with_text(alice, "The spare JTAG probe is in the second drawer")
        expect(found).to_be_visible()
        expect(found).to_have_class(re.compile(r"\bis-flash\b"))
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_search_filters_by_sender_and_channel(live_server: LiveServer, browser: Browser) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        post_as(bob, "firmware", ["bootloader notes from bob"])
        post_as(alice, "general", ["bootloader notes from alice"])
        page = alice.page
        page.get_by_role("button", name="Search messages").click()
        page.get_by_role("searchbox", name="Search messages").fill("bootloader")
        results = page.locator(".mm-side-panel--search .mm-result")
        expect(results).to_have_count(2)
        page.get_by_label("From").fill("bob")
        expect(results).to_have_count(1)
        expect(results).to_contain_text("from bob")
        page.get_by_label("From").fill("")
        page.get_by_label("In", exact=True).select_option(label="# general")
        expect(results).to_have_count(1)
        expect(results).to_contain_text("from alice")
        page.keyboard.press("Escape")
        expect(page.locator(".mm-side-panel--search")).to_have_count(0)
        expect(page.get_by_role("button", name="Search messages")).to_be_focused()
    finally:
        alice.close()
        bob.close()


def test_emoji_picker_filters_and_enter_picks_into_the_composer(
    live_server: LiveServer, browser: Browser
) -> None:
    alice = new_user(browser, live_server, "alice")
    page = alice.page
    try:
        page.locator("#emoji-button").click()
        picker = page.get_by_role("dialog", name="Insert emoji")
        options = picker.get_by_role("option")
        expect(options).to_have_count(477)
        search = picker.get_by_role("combobox", name="Search emoji")
        expect(search).to_be_focused()
        search.fill("thumbs")
        expect(options).to_have_count(2)
        expect(options.first).to_have_accessible_name("Thumbs Up")
        screenshot(page, "panels-emoji-picker")
        page.keyboard.press("Enter")
        expect(composer(alice)).to_have_value("👍")
        # Insert mode stays open for more; arrows move the choice.
        search.fill("fire")
        page.keyboard.press("Enter")
        expect(composer(alice)).to_have_value("👍🔥")
        search.fill("")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        expect(composer(alice)).to_have_value("👍🔥👎")
        page.keyboard.press("Escape")
        expect(picker).to_have_count(0)
        expect(page.locator("#emoji-button")).to_be_focused()
        assert alice.errors == []
    finally:
        alice.close()


def test_settings_persist_across_reload_and_enter_to_send_changes_the_composer(
    live_server: LiveServer, browser: Browser
) -> None:
    alice = new_user(browser, live_server, "alice")
    page = alice.page
    try:
        open_menu_item(page, "Settings")
        enter_sends = page.get_by_role("switch", name="Enter sends the message")
        expect(enter_sends).to_be_checked()
        enter_sends.click()
        expect(enter_sends).not_to_be_checked()
        page.get_by_role("button", name="Larger text").click()
        expect(page.locator(".mm-zoom output")).to_have_text("110%")
        screenshot(page, "panels-settings")
        page.keyboard.press("Escape")

        box = composer(alice)
        box.click()
        page.keyboard.type("line one")
        page.keyboard.press("Enter")
        page.keyboard.type("line two")
        expect(box).to_have_value("line one\nline two")
        page.keyboard.press("Control+Enter")
        expect(box).to_have_value("")
        expect(message_with_text(alice, "line two")).to_have_count(1)

        page.reload()
        wait_until_live(page)
        assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == (
            "17.6px"
        )
        open_menu_item(page, "Settings")
        expect(page.get_by_role("switch", name="Enter sends the message")).not_to_be_checked()
        expect(page.locator(".mm-zoom output")).to_have_text("110%")
        page.get_by_role("button", name="Default text size").click()
        page.keyboard.press("Escape")
        box.fill("sent with ctrl")
        box.press("Enter")
        expect(box).to_have_value("sent with ctrl\n")
        assert alice.errors == []
    finally:
        alice.close()


def test_theme_switch_changes_the_computed_background(
    live_server: LiveServer, browser: Browser
) -> None:
    alice = new_user(browser, live_server, "alice")  # the browser prefers dark
    page = alice.page
    try:
        assert body_background(page) == DARK_BACKGROUND
        open_menu_item(page, "Settings")
        theme = page.get_by_role("radiogroup", name="Theme")
        expect(theme.get_by_role("radio", name="System")).to_be_checked()
        theme.get_by_role("radio", name="Light").check()
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        assert body_background(page) == LIGHT_BACKGROUND
        page.keyboard.press("Escape")
        screenshot(page, "panels-chat-light")

        page.reload()
        wait_until_live(page)
        assert body_background(page) == LIGHT_BACKGROUND
        open_menu_item(page, "Settings")
        page.get_by_role("radiogroup", name="Theme").get_by_role("radio", name="System").check()
        expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile("."))
        assert body_background(page) == DARK_BACKGROUND
        assert alice.errors == []
    finally:
        alice.close()


def test_account_dialog_changes_the_profile_and_the_other_person_sees_it(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        bob.page.get_by_role("button", name=re.compile(r"^Members")).click()
        alice_row = bob.page.locator(".mm-person[data-username='alice']")
        expect(alice_row).to_be_visible()
        expect(alice_row).not_to_contain_text("Keeps the lab running")

        open_menu_item(alice.page, "Account")
        dialog = alice.page.get_by_role("dialog", name="Your account")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Green").click()
        dialog.get_by_label("Bio").fill("Keeps the lab running")
        dialog.get_by_role("button", name="Save profile").click()
        expect(dialog.locator("#profile-form [data-status]")).to_contain_text("Profile saved.")
        screenshot(alice.page, "panels-account")

        expect(alice_row).to_contain_text("Keeps the lab running")
        expect(alice_row.locator(".mm-name")).to_have_css("color", "rgb(47, 158, 68)")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_account_dialog_password_rules_are_live(live_server: LiveServer, browser: Browser) -> None:
    alice = new_user(browser, live_server, "alice")
    try:
        open_menu_item(alice.page, "Account")
        dialog = alice.page.get_by_role("dialog", name="Your account")
        change = dialog.get_by_role("button", name="Change password")
        dialog.locator("#current_password").fill("Wrong-horse-battery-1")
        dialog.locator("#new_password").fill("short")
        expect(change).to_be_disabled()
        dialog.locator("#new_password").fill("Another-Horse-Battery-9")
        expect(dialog.locator("#new_password-rules li.is-met")).to_have_count(5)
        dialog.locator("#confirm_password").fill("Another-Horse-Battery-9")
        expect(dialog.locator("#confirm_password-match")).to_contain_text("Passwords match")
        change.click()
        expect(dialog.locator("#password-form [data-status]")).to_contain_text(
            "Current password is incorrect"
        )
        expect(dialog.locator("#current_password")).to_be_focused()
    finally:
        alice.close()


def test_pins_panel_follows_pins_live_and_jumps(live_server: LiveServer, browser: Browser) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        send_message(bob, "Release checklist lives in the wiki")
        message = message_with_text(alice, "Release checklist")
        expect(message).to_have_count(1)
        message_id = message.get_attribute("data-id")
        pins_button = alice.page.get_by_role("button", name=re.compile(r"^Pinned messages"))
        pins_button.click()
        panel = alice.page.locator(".mm-side-panel--pins")
        expect(panel).to_contain_text("Nothing is pinned here yet")

        bob.page.evaluate(
            """async (id) => {
                const { api } = await import("/static/js/api.js");
                await api("POST", `/api/messages/${id}/pin`);
            }""",
            message_id,
        )
        expect(pins_button).to_have_accessible_name("Pinned messages (1)")
        pinned = panel.locator(".mm-result")
        expect(pinned).to_have_count(1)
        expect(pinned).to_contain_text("Release checklist lives in the wiki")
        expect(pinned).to_contain_text("Pinned by bob")
        pinned.click()
        expect(message).to_have_class(re.compile(r"\bis-flash\b"))

        panel.get_by_role("button", name="Unpin message from bob").click()
        expect(pinned).to_have_count(0)
        expect(pins_button).to_have_accessible_name("Pinned messages")
    finally:
        alice.close()
        bob.close()


def test_manifest_and_service_worker_are_served_and_the_worker_registers(
    plain_http_server: LiveServer, browser: Browser
) -> None:
    alice = new_user(browser, plain_http_server, "alice")
    page = alice.page
    try:
        manifest = page.request.get(f"{plain_http_server.url}/manifest.webmanifest")
        assert manifest.status == 200
        assert manifest.headers["content-type"] == "application/manifest+json"
        assert manifest.json()["start_url"] == "/"
        worker = page.request.get(f"{plain_http_server.url}/sw.js")
        assert worker.status == 200
        assert worker.headers["content-type"] == "text/javascript; charset=utf-8"

        script = page.evaluate("async () => (await navigator.serviceWorker.ready).active.scriptURL")
        assert script == f"{plain_http_server.url}/sw.js"
        caches = page.evaluate("async () => await caches.keys()")
        assert len(caches) == 1
        assert caches[0].startswith("minimost-shell-")
        cached = page.evaluate(
            """async (name) => (await (await caches.open(name)).keys())
                .map((request) => new URL(request.url).pathname)""",
            caches[0],
        )
        assert "/static/css/panels.css" in cached
        assert "/offline" in cached
        assert not [path for path in cached if path.startswith("/api/")]
        assert alice.errors == []
    finally:
        alice.close()
