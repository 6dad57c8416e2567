"""The chat client's promises in Chromium: unread badges and mentions, inline images,
inert hostile content, and sends that survive a dropped connection or a server restart."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, WebSocketRoute, expect

from tests.e2e.chat_helpers import (
    composer,
    message_with_text,
    new_user,
    open_channel,
    pending_with_text,
    send_message,
    sidebar_item,
    sign_up_users,
    wait_until_live,
)
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer
from tests.helpers.images import png_bytes


def test_unread_badges_and_mentions(live_server: LiveServer, browser: Browser) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        open_channel(bob, "software")
        expect(bob.page.locator("#channel-title")).to_have_text("# software")
        send_message(alice, "Standup in five minutes")
        general = sidebar_item(bob, "general")
        expect(general).to_have_attribute("aria-label", "general, 1 unread message")
        expect(general.locator(".mm-badge")).to_have_text("1")

        send_message(alice, "@bob can you review the release notes?")
        expect(general).to_have_attribute("aria-label", "general, 2 unread messages, 1 mention")
        expect(general.locator(".mm-badge--mention")).to_have_text("@1")
        mentions = sidebar_item(bob, "Mentions")
        expect(mentions).to_have_attribute("aria-label", re.compile("1 mention"))
        screenshot(bob.page, "chat-unread-badges")

        mentions.click()
        item = bob.page.locator(".mm-mention-item").filter(has_text="review the release notes")
        expect(item).to_be_visible()
        item.click()
        expect(bob.page.locator("#channel-title")).to_have_text("# general")
        mentioned = message_with_text(bob, "review the release notes")
        expect(mentioned).to_have_class(re.compile("is-mentioned"))
        expect(mentioned.locator(".mm-mention--me")).to_have_text("@bob")
        expect(message_with_text(bob, "Standup in five")).not_to_have_class(
            re.compile("is-mentioned")
        )
        # Reading the channel clears its badges, here and in the mentions entry.
        expect(sidebar_item(bob, "general")).to_have_attribute("aria-label", "general")
        expect(sidebar_item(bob, "Mentions")).to_have_attribute("aria-label", "Mentions")
        assert alice.errors == []
        assert bob.errors == [], bob.failed_requests
    finally:
        alice.close()
        bob.close()


def test_an_uploaded_image_shows_inline_for_both(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        picture = tmp_path / "whiteboard.png"
        picture.write_bytes(png_bytes(64, 40))
        alice.page.locator("#file-input").set_input_files(str(picture))
        staged = alice.page.locator("#staged-files")
        expect(staged).to_contain_text("whiteboard.png")
        composer(alice).fill("Today's whiteboard")
        composer(alice).press("Enter")
        expect(staged).to_be_hidden()
        for person in (alice, bob):
            image = person.page.locator("#message-log img.mm-attachment__image")
            expect(image).to_have_count(1)
            expect(image).to_have_attribute("alt", "Image from alice")
            expect(image).to_have_js_property("complete", True)
            assert image.evaluate("img => img.naturalWidth") == 64
            expect(message_with_text(person, "Today's whiteboard")).to_have_count(1)
        screenshot(bob.page, "chat-image-upload")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_a_shared_file_shows_as_a_chip_with_its_name_and_size(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        report = tmp_path / "quarterly-report.pdf"
        report.write_bytes(b"%PDF-1.4\n\x00" + bytes(range(256)) * 12)
        alice.page.locator("#file-input").set_input_files(str(report))
        expect(alice.page.locator("#staged-files")).to_contain_text("quarterly-report.pdf")
        composer(alice).press("Enter")
        for person in (alice, bob):
            chip = person.page.locator("#message-log a.mm-file-chip")
            expect(chip).to_have_count(1)
            expect(chip).to_contain_text("quarterly-report.pdf")
            expect(chip).to_contain_text("3.0 KB · Download")
            expect(chip).to_have_attribute("download", "quarterly-report.pdf")
            expect(chip).to_have_attribute("aria-label", "Download quarterly-report.pdf, 3.0 KB")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_hostile_markup_and_links_stay_inert(live_server: LiveServer, browser: Browser) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    dialogs: list[str] = []
    bob.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        send_message(alice, "look <img src=x onerror=\"window.pwned='img'\"> here")
        send_message(
            alice, "[totally safe](javascript:window.pwned='link') and javascript:alert(1)"
        )
        send_message(alice, '<a href="javascript:alert(2)" onclick="alert(3)">raw</a> end')
        expect(message_with_text(bob, "raw")).to_have_count(1)
        expect(message_with_text(bob, "look")).to_contain_text("<img src=x onerror=")
        log = bob.page.locator("#message-log")
        expect(log.locator("img[onerror]")).to_have_count(0)
        expect(log.locator("[onclick]")).to_have_count(0)
        expect(log.locator("a[href^='javascript:' i]")).to_have_count(0)
        safe = message_with_text(bob, "totally safe")
        safe.get_by_text("totally safe").click()
        message_with_text(bob, "raw").get_by_text("raw").click()
        assert bob.page.evaluate("window.pwned") is None
        assert dialogs == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_a_send_survives_a_lost_answer_and_a_dropped_connection_without_duplicates(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        # The server stores the message but no answer reaches the browser: the socket
        # drops as the first frame after the send comes back. The client learns the
        # outcome after reconnecting (replay, or a retry with the same client_id) and
        # the message exists exactly once.
        lost: list[str] = []

        def lose_the_answer(socket: WebSocketRoute) -> None:
            server = socket.connect_to_server()
            sent: list[str] = []

            def to_server(frame: str | bytes) -> None:
                if not lost and isinstance(frame, str) and '"message.send"' in frame:
                    sent.append(frame)
                server.send(frame)

            def to_browser(frame: str | bytes) -> None:
                if sent and not lost:
                    lost.append(str(frame))
                    socket.close(code=4997, reason="lost")
                    server.close()
                    return
                socket.send(frame)

            socket.on_message(to_server)
            server.on_message(to_browser)

        alice.page.route_web_socket(re.compile(r"/ws(\?|$)"), lose_the_answer)
        # Reopen the socket so the new one goes through the route.
        alice.context.set_offline(True)
        alice.context.set_offline(False)
        wait_until_live(alice.page)
        send_message(alice, "Sent once, answered never")
        expect(message_with_text(bob, "Sent once, answered never")).to_have_count(1)
        expect(message_with_text(alice, "Sent once, answered never")).to_have_count(1)
        expect(pending_with_text(alice, "Sent once")).to_have_count(0)
        assert len(lost) == 1
        wait_until_live(alice.page)
        stored = alice.page.evaluate(
            """async () => {
                const answer = await fetch("/api/channels/general/messages");
                const { messages } = await answer.json();
                return messages.filter((m) => m.content === "Sent once, answered never").length;
            }"""
        )
        assert stored == 1

        # Offline: the message waits as pending, then goes out once when the link is back.
        alice.context.set_offline(True)
        expect(alice.page.locator("#connection-banner")).to_be_visible()
        send_message(alice, "Written while offline")
        pending = pending_with_text(alice, "Written while offline")
        expect(pending).to_have_count(1)
        expect(pending.locator(".mm-msg__status")).to_contain_text(re.compile("Sending|retry"))
        screenshot(alice.page, "chat-offline-pending")
        alice.context.set_offline(False)
        wait_until_live(alice.page)
        expect(alice.page.locator("#connection-banner")).to_be_hidden()
        expect(message_with_text(alice, "Written while offline")).to_have_count(1)
        expect(pending_with_text(alice, "Written while offline")).to_have_count(0)
        expect(message_with_text(bob, "Written while offline")).to_have_count(1)
        assert alice.errors_besides_network() == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_after_a_server_restart_the_client_shows_what_it_missed_once(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        send_message(alice, "Before the restart")
        expect(message_with_text(bob, "Before the restart")).to_have_count(1)

        bob.context.set_offline(True)
        live_server.restart()
        expect(alice.page.locator("#chat")).to_have_attribute("data-connection", "open")
        send_message(alice, "Missed one")
        send_message(alice, "Missed two")
        expect(message_with_text(alice, "Missed two")).to_have_count(1)
        expect(bob.page.locator("#connection-banner")).to_be_visible()

        bob.context.set_offline(False)
        wait_until_live(bob.page)
        expect(message_with_text(bob, "Missed two")).to_have_count(1)
        texts = bob.page.locator("#message-log .mm-msg[data-id] .mm-msg__text").all_inner_texts()
        assert texts == ["Before the restart", "Missed one", "Missed two"]

        # And the tab that was connected through the restart lost nothing either.
        send_message(bob, "Back again")
        expect(message_with_text(alice, "Back again")).to_have_count(1)
        alice_texts = alice.page.locator(
            "#message-log .mm-msg[data-id] .mm-msg__text"
        ).all_inner_texts()
        assert alice_texts == ["Before the restart", "Missed one", "Missed two", "Back again"]
        assert alice.errors_besides_network() == []
        assert bob.errors_besides_network() == []
    finally:
        alice.close()
        bob.close()


def test_light_theme_and_narrow_screen_layout(live_server: LiveServer, browser: Browser) -> None:
    carol = new_user(
        browser,
        live_server,
        "carol",
        color_scheme="light",
        viewport={"width": 390, "height": 780},
    )
    try:
        send_message(carol, "Hello from my phone")
        expect(message_with_text(carol, "Hello from my phone")).to_have_count(1)
        sidebar = carol.page.locator("#sidebar")
        expect(sidebar).not_to_be_in_viewport()
        drawer = carol.page.get_by_role("button", name="Show channels")
        drawer.click()
        expect(sidebar).to_be_in_viewport()
        expect(drawer).to_have_attribute("aria-expanded", "true")
        # Fully slid in, not caught halfway through its animation.
        carol.page.wait_for_function(
            "() => document.getElementById('sidebar').getBoundingClientRect().left === 0"
        )
        screenshot(carol.page, "chat-mobile-drawer-light")
        sidebar_item(carol, "firmware").click()
        expect(sidebar).not_to_be_in_viewport()
        expect(carol.page.locator("#channel-title")).to_have_text("# firmware")
        screenshot(carol.page, "chat-mobile-light")
        assert carol.errors == []
    finally:
        carol.close()
