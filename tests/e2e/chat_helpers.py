"""Shared steps for end-to-end tests of the chat client: people signing up in their own
browser contexts, opening the app, and sending and finding messages.

    alice, bob = sign_up_users(browser, live_server, "alice", "bob")
    send_message(alice, "hello bob")
    expect(message_with_text(bob, "hello bob")).to_be_visible()
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer

VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class ChatUser:
    """One person in their own browser context, with the page's errors collected."""

    username: str
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.context.close()

    def errors_besides_network(self) -> list[str]:
        """Errors other than the browser's own reports of requests that could not go out
        (what a test that cuts the network on purpose expects to see)."""
        return [error for error in self.errors if not NETWORK_FAILURE.search(error)]


# The test server's certificate comes from a CA the browser does not trust, so the
# browser refuses to fetch the service worker script; real installs import the CA.
UNTRUSTED_CERTIFICATE = "SSL certificate error occurred when fetching the script"
NETWORK_FAILURE = re.compile(
    r"Failed to load resource: net::ERR_|WebSocket connection to '\S+' failed"
)


def _watch_errors(page: Page, errors: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and UNTRUSTED_CERTIFICATE not in message.text:
            errors.append(f"console: {message.text}")

    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", on_console)


def new_user(
    browser: Browser,
    server: LiveServer,
    username: str,
    *,
    password: str = GOOD_PASSWORD,
    viewport: dict[str, int] | None = None,
    color_scheme: str = "dark",
) -> ChatUser:
    """Sign up through the real form in a fresh context and wait for the chat to be live."""
    context = browser.new_context(
        ignore_https_errors=True, viewport=viewport or VIEWPORT, color_scheme=color_scheme
    )
    page = context.new_page()
    user = ChatUser(username, context, page)
    _watch_errors(page, user.errors)
    page.on(
        "response",
        lambda response: (
            user.failed_requests.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.goto(f"{server.url}/signup")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#confirm_password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{server.url}/")
    wait_until_live(page)
    return user


def sign_up_users(browser: Browser, server: LiveServer, *names: str) -> list[ChatUser]:
    """Several people, each signed up and looking at the chat."""
    return [new_user(browser, server, name) for name in names]


def wait_until_live(page: Page) -> None:
    """The app has loaded its conversations and its websocket is open."""
    chat = page.locator("#chat")
    expect(chat).to_have_attribute("data-state", "ready", timeout=15_000)
    expect(chat).to_have_attribute("data-connection", "open", timeout=15_000)
    expect(chat).to_have_attribute("data-panels", "ready", timeout=15_000)


def open_channel(user: ChatUser, label: str) -> None:
    """Open a conversation from the sidebar by its label (e.g. "general", "bob")."""
    user.page.locator("#channel-nav").get_by_role(
        "button", name=re.compile(rf"^{re.escape(label)}(,|$)")
    ).click()
    expect(user.page.locator("#message-log")).not_to_have_attribute("aria-busy", "true")


def composer(user: ChatUser) -> Locator:
    return user.page.locator("#composer-input")


def send_message(user: ChatUser, text: str) -> None:
    """Type a message and press Enter, as a person would."""
    box = composer(user)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def message_with_text(user: ChatUser, text: str) -> Locator:
    """The delivered (not pending) message in the open channel whose text contains `text`."""
    return user.page.locator("#message-log .mm-msg[data-id]").filter(has_text=text)


def pending_with_text(user: ChatUser, text: str) -> Locator:
    return user.page.locator("#message-log .mm-msg.is-pending").filter(has_text=text)


def sidebar_item(user: ChatUser, label: str) -> Locator:
    return user.page.locator("#channel-nav").get_by_role(
        "button", name=re.compile(rf"^{re.escape(label)}(,|$)")
    )
