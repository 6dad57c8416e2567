"""Per-user budgets tell clients where they stand, the same way per-address ones do."""

from __future__ import annotations

from quart import Quart

from tests.conftest import AppFactory, sign_up
from tests.helpers.chat import send


async def test_a_per_user_limit_sends_its_budget_headers(make_app: AppFactory) -> None:
    app = make_app(rate_limits={"send": [3, 60]})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        first = await send(alice, "general", "one")
        second = await send(alice, "general", "two")
        await send(alice, "general", "three")
        refused = await send(alice, "general", "four")
    assert first.status_code == 201
    assert first.headers["RateLimit-Limit"] == "3"
    assert first.headers["RateLimit-Remaining"] == "2"
    assert second.headers["RateLimit-Remaining"] == "1"
    assert 0 < int(second.headers["RateLimit-Reset"]) <= 60
    assert refused.status_code == 429
    assert refused.headers["RateLimit-Remaining"] == "0"


async def test_per_user_and_per_address_limits_are_documented_as_429(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    spec = await (await alice.api("GET", "/openapi.json")).get_json()
    paths = spec["paths"]
    assert "429" in paths["/api/channels/{channel}/messages"]["post"]["responses"]
    assert "429" in paths["/api/account/avatar"]["put"]["responses"]
    assert "429" not in paths["/api/channels/{channel}/messages"]["get"]["responses"]
