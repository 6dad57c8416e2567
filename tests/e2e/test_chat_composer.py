"""The composer and the keyboard in Chromium: mentions autocomplete, drafts that survive a
reload, replies, the character counter, the code-block picker, visual mode, and a DM."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.chat_helpers import (
    composer,
    message_with_text,
    open_channel,
    send_message,
    sidebar_item,
    sign_up_users,
    wait_until_live,
)
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer


def test_composer_mentions_drafts_replies_counter_and_code_blocks(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        # @ autocomplete offers people and @everyone; Tab accepts.
        box = composer(alice)
        box.press_sequentially("Thanks @bo")
        options = alice.page.locator("#mention-list [role=option]")
        expect(options.first).to_contain_text("bob")
        box.press("Tab")
        expect(box).to_have_value("Thanks @bob ")
        box.press("Enter")
        expect(message_with_text(bob, "Thanks @bob").locator(".mm-mention--me")).to_have_text(
            "@bob"
        )

        # Drafts belong to their channel and survive switching and a reload.
        box.fill("half-written thought")
        open_channel(alice, "software")
        expect(box).to_have_value("")
        open_channel(alice, "general")
        expect(box).to_have_value("half-written thought")
        alice.page.reload()
        wait_until_live(alice.page)
        expect(composer(alice)).to_have_value("half-written thought")
        box = composer(alice)
        box.fill("")

        # Reply: the banner names the message; the reply quotes it and the quote jumps.
        theirs = message_with_text(bob, "Thanks @bob")
        theirs.hover()
        theirs.get_by_role("button", name="Reply").click()
        banner = bob.page.locator("#reply-banner")
        expect(banner).to_contain_text("Replying to alice")
        screenshot(bob.page, "chat-reply-banner")
        send_message(bob, "You are welcome")
        expect(banner).to_be_hidden()
        reply = message_with_text(alice, "You are welcome")
        quote = reply.get_by_role("button", name="Go to the message this replies to")
        expect(quote).to_contain_text("Thanks @bob")
        quote.click()
        original = message_with_text(alice, "Thanks @bob").filter(has_not_text="welcome")
        expect(original).to_have_class(re.compile(r"\bis-flash\b"))

        # The counter shows near the limit and blocks sending over it.
        counter = alice.page.locator("#char-count")
        send = alice.page.get_by_role("button", name="Send message")
        box.fill("x" * 9_500)
        expect(counter).to_have_text("9,500 / 10,000")
        expect(send).to_be_enabled()
        box.fill("x" * 10_001)
        expect(counter).to_have_class(re.compile(r"\bis-over\b"))
        expect(send).to_be_disabled()
        box.fill("")
        expect(counter).to_have_text("")

        # The code-block picker wraps the selection in a fenced block of that language.
        box.fill("print('hi')")
        box.select_text()
        alice.page.get_by_role("button", name="Code block").click()
        search = alice.page.get_by_role("combobox", name="Code block language")
        search.fill("pyth")
        search.press("Enter")
        expect(box).to_have_value(re.compile(r"^```python\nprint\('hi'\)\n```"))
        box.press("Enter")
        code = message_with_text(bob, "print('hi')").locator("pre code")
        expect(code).to_contain_text("print('hi')")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_visual_mode_and_a_direct_message_with_presence(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        send_message(alice, "first of two")
        send_message(alice, "second of two")
        expect(message_with_text(bob, "second of two")).to_have_count(1)

        # Visual mode: select the newest, move up, pin it with p, leave with Esc.
        alice.page.locator("#message-log").focus()
        alice.page.keyboard.press("v")
        badge = alice.page.locator("#visual-badge")
        expect(badge).to_be_visible()
        expect(message_with_text(alice, "second of two")).to_have_class(
            re.compile(r"\bis-visual\b")
        )
        alice.page.keyboard.press("k")
        expect(message_with_text(alice, "first of two")).to_have_class(re.compile(r"\bis-visual\b"))
        alice.page.keyboard.press("p")
        expect(message_with_text(bob, "first of two")).to_have_class(re.compile("is-pinned"))
        alice.page.keyboard.press("Escape")
        expect(badge).to_be_hidden()

        # A DM through the switcher; the other person's entry shows who is online.
        alice.page.keyboard.press("Control+k")
        switcher = alice.page.locator("#switcher-input")
        expect(switcher).to_be_focused()
        switcher.fill("bob")
        switcher.press("Enter")
        expect(alice.page.locator("#channel-title")).to_contain_text("bob")
        send_message(alice, "a word in private")
        entry = sidebar_item(bob, "alice")
        expect(entry).to_have_attribute("aria-label", re.compile(r"^alice, 1 unread message"))
        expect(entry.locator(".mm-dot")).to_have_attribute("title", "Online")
        screenshot(bob.page, "chat-dm-unread")
        entry.click()
        expect(message_with_text(bob, "a word in private")).to_have_count(1)
        expect(bob.page.locator("#channel-title")).to_contain_text("alice")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()
