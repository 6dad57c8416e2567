"""The login page in a real browser against a real server, over HTTPS."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from minimost.version import read_version
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer


def test_login_page_renders_in_chromium(live_server: LiveServer, page: Page) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    response = page.goto(f"{live_server.url}/login")
    assert response is not None
    assert response.status == 200
    expect(page).to_have_title("Sign in · MiniMost")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    version = page.locator(".mm-footer")
    expect(version).to_contain_text(f"MiniMost {read_version()}")
    stylesheet_applied = page.evaluate(
        "getComputedStyle(document.body).fontFamily !== '' && "
        "document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0"
    )
    assert stylesheet_applied
    assert errors == []
    path = screenshot(page, "login-page")
    assert path.stat().st_size > 10_000


def test_about_page_offers_the_ca_certificate(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.url}/about")
    link = page.get_by_role("link", name="Download the MiniMost CA certificate")
    expect(link).to_have_attribute("href", "/ca.pem")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "minimost-ca.pem"
    screenshot(page, "about-page")


@pytest.mark.parametrize(
    ("scheme", "background"), [("dark", "rgb(14, 18, 23)"), ("light", "rgb(238, 241, 245)")]
)
def test_pages_follow_the_system_colour_scheme(
    live_server: LiveServer, browser: Browser, scheme: str, background: str
) -> None:
    context = browser.new_context(ignore_https_errors=True, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/no-such-page")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
        expect(page.get_by_text("The requested resource was not found.")).to_be_visible()
        screenshot(page, f"error-page-{scheme}")
    finally:
        context.close()
