"""A new private channel opens for its creator whichever reaches the browser first, the
answer to the create request or the `channel.created` event, and the next message goes
to that channel and nowhere else. A conversation that is gone is said so on screen."""

from __future__ import annotations

import json
import re

from playwright.sync_api import APIResponse, Browser, Page, Response, Route, WebSocketRoute, expect

from tests.e2e.chat_helpers import (
    ChatUser,
    message_with_text,
    new_user,
    open_channel,
    send_message,
    sidebar_item,
    sign_up_users,
    wait_until_live,
)
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer

SOCKET = re.compile(r"/ws(\?|$)")
CREATE = re.compile(r"/api/private-channels$")
NAME = "Firmware team"


class HeldEvent:
    """Holds the server's frames to the browser from the first event named `name` on,
    until released; the order of frames is kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.open = False
        self.held: list[str | bytes] = []
        self.socket: WebSocketRoute | None = None

    def route(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_browser(frame: str | bytes) -> None:
            if not self.open and (self.held or self._names(frame) == self.name):
                self.held.append(frame)
                return
            socket.send(frame)

        self.socket = socket
        socket.on_message(server.send)
        server.on_message(to_browser)

    def release(self) -> None:
        assert self.socket is not None, "the page's socket never went through the route"
        self.open = True
        for frame in self.held:
            self.socket.send(frame)

    @staticmethod
    def _names(frame: str | bytes) -> str | None:
        try:
            parsed = json.loads(frame)
        except ValueError:
            return None
        return parsed.get("name") if isinstance(parsed, dict) else None


def start_creating(user: ChatUser, name: str, member: str) -> None:
    """Fill the new-private-channel dialog as a person would and press Create."""
    page = user.page
    page.get_by_role("button", name="New private channel").click()
    dialog = page.get_by_role("dialog", name="New private channel")
    dialog.get_by_label("Channel name").fill(name)
    picker = dialog.get_by_role("combobox", name="Members")
    picker.fill(member)
    dialog.get_by_role("option", name=re.compile(rf"^{member}\b")).click()
    expect(dialog.locator(".mm-chip")).to_have_text(re.compile(rf"^{member}"))
    dialog.get_by_role("button", name="Create channel").click()


def is_create(response: Response) -> bool:
    return response.request.method == "POST" and bool(CREATE.search(response.url))


def reconnect_through_routes(user: ChatUser) -> None:
    """Reopen the socket so the new one goes through the page's websocket route."""
    user.context.set_offline(True)
    user.context.set_offline(False)
    wait_until_live(user.page)


def contents(page: Page, channel: str) -> list[str]:
    """What the server holds in `channel`, asked over the API as the page's user."""
    return page.evaluate(
        """async (channel) => {
            const answer = await fetch(`/api/channels/${encodeURIComponent(channel)}/messages`);
            const { messages } = await answer.json();
            return messages.map((m) => m.content);
        }""",
        channel,
    )


def write_right_away(user: ChatUser, text: str) -> None:
    """Type the next message straight after creating, without clicking anywhere first."""
    box = user.page.locator("#composer-input")
    expect(box).to_be_focused()
    user.page.keyboard.type(text)
    user.page.keyboard.press("Enter")
    expect(box).to_have_value("")


def check_it_landed_in(user: ChatUser, channel: str, text: str) -> None:
    expect(message_with_text(user, text)).to_have_count(1)
    assert contents(user.page, "general").count(text) == 0
    assert contents(user.page, channel).count(text) == 1


def check_channel_is_open(user: ChatUser, channel: str) -> None:
    """Header, composer and sidebar all show the new channel, listed once."""
    page = user.page
    expect(page.locator("#channel-title")).to_have_text(f"🔒 {NAME}")
    expect(page.locator("#channel-meta")).to_have_text("Private channel · 2 members: alice, bob")
    expect(page.locator("#composer-input")).to_have_attribute("placeholder", f"Message {NAME}")
    entry = page.locator("#channel-nav [data-channel]").filter(has_text=NAME)
    expect(entry).to_have_count(1)
    expect(entry).to_have_attribute("data-channel", channel)
    expect(entry).to_have_attribute("aria-current", "page")


def test_the_answer_before_the_event_opens_the_new_channel(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    try:
        event = HeldEvent("channel.created")
        alice.page.route_web_socket(SOCKET, event.route)
        reconnect_through_routes(alice)
        with alice.page.expect_response(is_create) as created:
            start_creating(alice, NAME, "bob")
        channel = created.value.json()["channel"]["channel"]
        expect(alice.page.get_by_role("dialog", name="New private channel")).to_have_count(0)
        check_channel_is_open(alice, channel)

        # Written while the event is still on its way; then the event comes.
        write_right_away(alice, "Kickoff at ten")
        event.release()
        check_it_landed_in(alice, channel, "Kickoff at ten")
        check_channel_is_open(alice, channel)
        expect(sidebar_item(bob, NAME)).to_have_count(1)
        screenshot(alice.page, "chat-private-created-dark")
        assert alice.errors_besides_network() == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_the_event_before_the_answer_opens_the_new_channel(
    live_server: LiveServer, browser: Browser
) -> None:
    alice = new_user(browser, live_server, "alice", color_scheme="light")
    bob = new_user(browser, live_server, "bob")
    try:
        answers: list[tuple[Route, APIResponse]] = []

        def hold_the_answer(route: Route) -> None:
            if route.request.method != "POST":
                route.fallback()
                return
            answers.append((route, route.fetch()))

        alice.page.route(CREATE, hold_the_answer)
        start_creating(alice, NAME, "bob")
        # The event has made the channel known while the answer is held back.
        expect(sidebar_item(alice, NAME)).to_have_count(1)
        expect(alice.page.locator("#channel-title")).to_have_text("# general")
        ((route, response),) = answers
        channel = response.json()["channel"]["channel"]
        route.fulfill(response=response)
        expect(alice.page.get_by_role("dialog", name="New private channel")).to_have_count(0)
        check_channel_is_open(alice, channel)

        write_right_away(alice, "Kickoff at ten")
        check_it_landed_in(alice, channel, "Kickoff at ten")
        check_channel_is_open(alice, channel)
        open_channel(bob, NAME)
        expect(message_with_text(bob, "Kickoff at ten")).to_have_count(1)
        screenshot(alice.page, "chat-private-created-light")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_on_a_phone_the_new_channel_opens_in_place_of_the_drawer(
    live_server: LiveServer, browser: Browser
) -> None:
    bob = new_user(browser, live_server, "bob")
    alice = new_user(browser, live_server, "alice", viewport={"width": 390, "height": 844})
    try:
        alice.page.locator("#drawer-button").click()
        with alice.page.expect_response(is_create) as created:
            start_creating(alice, NAME, "bob")
        channel = created.value.json()["channel"]["channel"]
        check_channel_is_open(alice, channel)
        expect(alice.page.locator("#drawer-button")).to_have_attribute("aria-expanded", "false")
        write_right_away(alice, "Kickoff at ten")
        check_it_landed_in(alice, channel, "Kickoff at ten")
        screenshot(alice.page, "chat-private-created-phone")
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()


def test_a_channel_left_in_another_tab_closes_here_with_a_notice(
    live_server: LiveServer, browser: Browser
) -> None:
    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    other_tab = alice.context.new_page()
    try:
        with alice.page.expect_response(is_create) as created:
            start_creating(alice, NAME, "bob")
        channel = created.value.json()["channel"]["channel"]
        check_channel_is_open(alice, channel)
        other_tab.goto(live_server.url)
        wait_until_live(other_tab)
        left = other_tab.evaluate(
            """async (id) => {
                const token = document.querySelector('meta[name="csrf-token"]').content;
                const answer = await fetch(`/api/private-channels/${id}/leave`, {
                    method: "POST",
                    headers: { "X-CSRF-Token": token },
                });
                return answer.status;
            }""",
            channel.removeprefix("private:"),
        )
        assert left < 300
        expect(alice.page.locator("#toasts")).to_contain_text(f'You are no longer in "{NAME}".')
        expect(alice.page.locator("#channel-title")).to_have_text("# general")
        expect(
            alice.page.locator("#channel-nav [data-channel]").filter(has_text=NAME)
        ).to_have_count(0)
        send_message(alice, "Back in general")
        expect(message_with_text(bob, "Back in general")).to_have_count(1)
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()
