"""Link and file previews under messages in Chromium: a page's card with its image, a
source file's numbered lines, and the first lines of an uploaded text file."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.chat_helpers import composer, message_with_text, send_message, sign_up_users
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer
from tests.helpers.images import png_bytes

RELEASE_PAGE = """<!doctype html>
<html><head>
<title>fallback title</title>
<meta property="og:title" content="MiniMost 1.0 is out">
<meta property="og:description" content="Calls, reactions and link previews for your LAN.">
<meta property="og:site_name" content="Intranet news">
<meta property="og:image" content="/cover.png">
</head><body>news</body></html>
"""
BUILD_SCRIPT = "import sys\n\n\ndef build() -> int:\n    return 0\n\n\nsys.exit(build())\n"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The intranet site's access log is not part of the test output."""


@pytest.fixture
def intranet(tmp_path: Path) -> Iterator[str]:
    """A small web site on loopback that the server is allowed to preview."""
    site = tmp_path / "site"
    (site / "src").mkdir(parents=True)
    (site / "release.html").write_text(RELEASE_PAGE)
    (site / "cover.png").write_bytes(png_bytes(120, 60))
    (site / "src" / "build.py").write_text(BUILD_SCRIPT)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def previewing_server(tmp_path: Path, intranet: str) -> Iterator[LiveServer]:
    port = int(intranet.rsplit(":", 1)[1])
    server = LiveServer(
        tmp_path / "data",
        settings={"link_preview_private_hosts": ["127.0.0.0/8"], "link_preview_ports": [port]},
        check_answers=True,
    )
    server.start()
    yield server
    server.close()


def test_links_and_text_files_get_preview_cards(
    previewing_server: LiveServer, browser: Browser, intranet: str, tmp_path: Path
) -> None:
    alice, bob = sign_up_users(browser, previewing_server, "alice", "bob")
    try:
        send_message(alice, f"Release notes: {intranet}/release.html")
        card = message_with_text(bob, "Release notes").locator(".mm-link-card")
        expect(card).to_have_attribute("href", f"{intranet}/release.html")
        expect(card.locator(".mm-link-card__title")).to_have_text("MiniMost 1.0 is out")
        expect(card.locator(".mm-link-card__site")).to_have_text("Intranet news")
        expect(card.locator(".mm-link-card__description")).to_have_text(
            "Calls, reactions and link previews for your LAN."
        )
        # The image comes through our own proxy, never straight from the other site.
        image = card.locator("img.mm-link-card__image")
        expect(image).to_have_attribute("src", re.compile(r"^/api/previews/image\?u="))
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 120

        send_message(alice, f"The build entry point: {intranet}/src/build.py")
        code = message_with_text(bob, "build entry point").locator(".mm-code-preview")
        expect(code.locator(".mm-code-preview__header a")).to_have_text("src/build.py")
        expect(code.locator(".mm-code-preview__meta")).to_have_text("8 lines")
        expect(code.locator(".mm-code-line").nth(3)).to_have_text("4def build() -> int:")

        notes = tmp_path / "notes.txt"
        notes.write_text("Agenda\n1. previews\n2. reactions\n")
        alice.page.locator("#file-input").set_input_files(str(notes))
        composer(alice).fill("Meeting notes attached")
        composer(alice).press("Enter")
        expect(message_with_text(bob, "Meeting notes attached")).to_have_count(1)
        # The file goes out as its own message right after the text.
        upload = message_with_text(bob, "notes.txt")
        expect(upload.locator(".mm-code-preview .mm-code-line")).to_have_text(
            ["1Agenda", "21. previews", "32. reactions"]
        )
        expect(upload.locator(".mm-code-preview__header")).to_contain_text("notes.txt")
        download = upload.get_by_role("link", name="Download notes.txt")
        expect(download).to_have_count(1)
        expect(download).to_have_attribute("download", "notes.txt")
        # Cards that load after a message arrived keep the list at the newest message.
        bob.page.wait_for_function(
            "() => { const log = document.getElementById('message-log');"
            " return log.scrollHeight - log.scrollTop - log.clientHeight < 2; }"
        )
        screenshot(bob.page, "chat-previews")

        # Every preview renders once, however often the messages re-render.
        for person in (alice, bob):
            expect(person.page.locator("#message-log .mm-link-card")).to_have_count(1)
            expect(person.page.locator("#message-log .mm-code-preview")).to_have_count(2)
        assert alice.errors == []
        assert bob.errors == []
    finally:
        alice.close()
        bob.close()
