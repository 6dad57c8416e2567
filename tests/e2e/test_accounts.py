"""Signing up, out and in through Chromium, with the password helpers working live."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.server import LiveServer


def test_sign_up_log_out_and_log_in(live_server: LiveServer, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(f"{live_server.url}/signup")

    page.locator("#username").fill("alice")
    password = page.locator("#password")
    confirm = page.locator("#confirm_password")
    submit = page.get_by_role("button", name="Create account")
    password.fill("short")
    expect(submit).to_be_disabled()
    rules = page.locator("#password-rules li")
    expect(rules).to_have_count(5)
    expect(page.locator('#password-rules li[data-rule="length"]')).not_to_have_class("is-met")
    password.fill(GOOD_PASSWORD)
    expect(page.locator("#password-rules li.is-met")).to_have_count(5)
    confirm.fill(GOOD_PASSWORD + "x")
    expect(page.locator("#confirm_password-match")).to_contain_text("Passwords do not match")
    expect(submit).to_be_disabled()
    confirm.fill(GOOD_PASSWORD)
    expect(page.locator("#confirm_password-match")).to_contain_text("Passwords match")
    expect(submit).to_be_enabled()

    show = page.get_by_role("button", name="Show password").first
    show.click()
    expect(password).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide password").first).to_have_attribute(
        "aria-pressed", "true"
    )
    screenshot(page, "signup-page")
    submit.click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#chat")).to_have_attribute("data-state", "ready")
    page.goto(f"{live_server.url}/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    screenshot(page, "home-page")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/login?logged_out=1")
    expect(page.locator("#login-notice")).to_contain_text(
        "You have been logged out. Your session was securely terminated."
    )

    page.locator("#username").fill("alice")
    page.locator("#password").fill("Wrong-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("Invalid credentials")
    page.locator("#password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#chat")).to_have_attribute("data-state", "ready")
    assert [e for e in errors if "SSL certificate error" not in e] == []


def test_profile_changes_through_the_account_screen(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.url}/signup")
    page.locator("#username").fill("bob")
    page.locator("#password").fill(GOOD_PASSWORD)
    page.locator("#confirm_password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/account")
    page.locator("#bio").fill("Firmware, coffee, and more firmware")
    expect(page.locator("#bio-count")).to_contain_text("35")
    page.locator("#profile-save").click()
    expect(page.locator("#profile-form [data-status]")).to_contain_text("Profile saved.")
    page.reload()
    expect(page.locator("#bio")).to_have_value("Firmware, coffee, and more firmware")
