"""A send the server cannot save: the composer says why, keeps it, and sends it later."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Browser, expect

from minimost.paths import DataRoot
from tests.e2e.chat_helpers import message_with_text, pending_with_text, send_message, sign_up_users
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer

TEXT = "Written while the database was busy"


def test_a_refused_send_shows_the_reason_and_goes_out_once_the_database_frees(
    live_server: LiveServer, browser: Browser
) -> None:
    (alice,) = sign_up_users(browser, live_server, "alice")
    try:
        # Another process holds the write lock past the server's busy timeout.
        holder = sqlite3.connect(DataRoot(live_server.data_dir).messages_db, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            send_message(alice, TEXT)
            pending = pending_with_text(alice, TEXT)
            expect(pending.locator(".mm-msg__status")).to_contain_text(
                "The server is busy", timeout=20_000
            )
            expect(pending.get_by_role("button", name="Retry")).to_be_visible()
            screenshot(alice.page, "chat-send-refused-busy")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        expect(message_with_text(alice, TEXT)).to_have_count(1, timeout=30_000)
        expect(pending_with_text(alice, TEXT)).to_have_count(0)
        stored = alice.page.evaluate(
            """async (text) => {
                const answer = await fetch("/api/channels/general/messages");
                const { messages } = await answer.json();
                return messages.filter((m) => m.content === text).length;
            }""",
            TEXT,
        )
        assert stored == 1
    finally:
        alice.close()
