"""Two people chatting in Chromium: messages, edits, deletes, reactions and pins arrive live."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.chat_helpers import (
    composer,
    message_with_text,
    send_message,
    sign_up_users,
)
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer


def test_a_message_appears_live_for_the_other_person(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        posts: list[str] = []
        alice.page.on(
            "request",
            lambda request: posts.append(request.url) if request.method == "POST" else None,
        )
        expect(alice.page.locator("#channel-title")).to_have_text("# general")
        send_message(alice, "Hello **bob**, the build is green")
        sent = message_with_text(alice, "the build is green")
        expect(sent).to_have_count(1)
        arrived = message_with_text(bob, "the build is green")
        expect(arrived).to_have_count(1)
        expect(arrived.locator("strong")).to_have_text("bob")
        expect(arrived.locator(".mm-msg__sender")).to_have_text("alice")

        send_message(bob, "Thanks alice!")
        expect(message_with_text(alice, "Thanks alice!")).to_have_count(1)
        # Messages from the same sender close together are grouped under one header.
        send_message(bob, "Deploying now")
        expect(message_with_text(alice, "Deploying now")).to_have_class(re.compile("is-continued"))
        expect(message_with_text(alice, "the build is green")).to_have_count(1)
        # Text went out over the open websocket, not as HTTP requests.
        assert not [url for url in posts if "/messages" in url]
        screenshot(alice.page, "chat-two-people-dark")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_edit_delete_reaction_and_pin_reach_the_other_person(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        send_message(alice, "First draft of the plan")
        mine = message_with_text(alice, "First draft of the plan")
        theirs = message_with_text(bob, "First draft of the plan")
        expect(theirs).to_have_count(1)

        # Edit: ↑ in the empty composer edits my last message.
        composer(alice).press("ArrowUp")
        editor = mine.get_by_role("textbox", name="Edit message")
        editor.fill("Final plan")
        editor.press("Enter")
        theirs = message_with_text(bob, "Final plan")
        expect(theirs).to_have_count(1)
        expect(theirs.locator(".mm-msg__edited")).to_have_text("(edited)")

        # Reaction: bob reacts through the picker, alice sees the chip and adds hers.
        theirs.hover()
        theirs.get_by_role("button", name="Add reaction").first.click()
        picker = bob.page.get_by_role("combobox", name="Search reactions")
        picker.fill("thumbsup")
        picker.press("Enter")
        chip = message_with_text(alice, "Final plan").locator(".mm-reaction[data-reaction]")
        expect(chip).to_have_count(1)
        expect(chip).to_have_attribute("aria-pressed", "false")
        expect(chip.locator(".mm-reaction__count")).to_have_text("1")
        expect(chip).to_have_attribute("title", re.compile("bob reacted"))
        chip.click()
        bob_chip = message_with_text(bob, "Final plan").locator(".mm-reaction[data-reaction]")
        expect(bob_chip.locator(".mm-reaction__count")).to_have_text("2")
        expect(bob_chip).to_have_attribute("aria-pressed", "true")

        # Pin: bob pins alice's message; alice sees the marker.
        theirs = message_with_text(bob, "Final plan")
        theirs.hover()
        theirs.get_by_role("button", name="Pin", exact=True).click()
        expect(message_with_text(alice, "Final plan")).to_have_class(re.compile("is-pinned"))
        expect(message_with_text(alice, "Final plan").locator(".mm-msg__pinned")).to_contain_text(
            "Pinned by bob"
        )

        # Delete (with a confirmation) disappears for both.
        mine = message_with_text(alice, "Final plan")
        mine.hover()
        mine.get_by_role("button", name="Delete").click()
        alice.page.get_by_role("dialog").get_by_role("button", name="Delete").click()
        expect(message_with_text(alice, "Final plan")).to_have_count(0)
        expect(message_with_text(bob, "Final plan")).to_have_count(0)
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()
