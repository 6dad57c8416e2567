"""The API docs page in Chromium with nothing but our own server reachable."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def test_api_docs_work_offline_and_try_it_out_carries_the_session(
    live_server: LiveServer, page: Page
) -> None:
    refused: list[str] = []
    errors: list[str] = []

    def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_machine)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/signup")
    page.locator("#username").fill("alice")
    page.locator("#password").fill(GOOD_PASSWORD)
    page.locator("#confirm_password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator("#api-docs[data-ready=true]")).to_be_attached()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("MiniMost API")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 30
    expect(page.locator(".opblock-summary-path[data-path='/api/presence/override']")).to_have_count(
        2
    )

    put_override = page.locator(".opblock-put").filter(has_text="/api/presence/override")
    put_override.locator(".opblock-summary").click()
    put_override.get_by_role("button", name="Try it out").click()
    put_override.locator("textarea.body-param__text").fill('{"override": "idle"}')
    put_override.get_by_role("button", name="Execute").click()
    status = put_override.locator(".live-responses-table .response .response-col_status")
    expect(status.first).to_have_text("200")
    expect(put_override.locator(".live-responses-table .microlight").first).to_contain_text(
        '"state": "idle"'
    )
    screenshot(page, "api-docs")

    assert refused == [], "the docs page must not reach beyond this server"
    assert errors == []
