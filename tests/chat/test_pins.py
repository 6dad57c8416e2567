"""Pins: anyone who can read a channel pins or unpins, up to 50, seen live."""

from __future__ import annotations

from typing import Any

from quart import Quart

from tests.conftest import UserClient, sign_up
from tests.helpers.chat import created, sent
from tests.helpers.sockets import events, hello, socket


async def toggle(user: UserClient, message_id: int) -> Any:
    return await user.api("POST", f"/api/messages/{message_id}/pin")


async def pins_of(user: UserClient, channel: str) -> list[dict[str, Any]]:
    response = await user.api("GET", f"/api/channels/{channel}/pins")
    assert response.status_code == 200
    return (await response.get_json())["pins"]


async def test_anyone_pins_anyones_message_and_everyone_hears(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "x" * 400)
    async with socket(alice) as ws:
        await hello(ws)
        response = await toggle(bob, message["id"])
        (event,) = await events(ws, 1)
    listed = (await response.get_json())["pins"]
    assert [pin["id"] for pin in listed] == [message["id"]]
    assert listed[0]["pinned_by"] == "bob"
    assert len(listed[0]["content"]) == 300, "previews are cut to 300 characters"
    assert event["name"] == "pins.updated"
    assert event["data"] == {
        "channel": "general",
        "message_id": message["id"],
        "pinned": True,
        "by": "bob",
    }
    assert (await toggle(alice, message["id"])).status_code == 200
    assert await pins_of(bob, "general") == [], "anyone may unpin too"


async def test_newest_pinned_first_and_deleted_messages_vanish(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    first = await sent(alice, "general", "first")
    second = await sent(alice, "general", "second")
    await toggle(alice, second["id"])
    await toggle(alice, first["id"])
    assert [pin["id"] for pin in await pins_of(alice, "general")] == [first["id"], second["id"]]
    await alice.api("DELETE", f"/api/messages/{first['id']}")
    assert [pin["id"] for pin in await pins_of(alice, "general")] == [second["id"]]
    assert (await toggle(alice, first["id"])).status_code == 404


async def test_the_fifty_pin_limit_and_unpinning_at_the_limit(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    messages = [await sent(alice, "software", f"m{n}") for n in range(51)]
    for message in messages[:50]:
        assert (await toggle(alice, message["id"])).status_code == 200
    refused = await toggle(alice, messages[50]["id"])
    assert refused.status_code == 409
    assert (await refused.get_json())["error"]["message"] == (
        "This channel has reached its pin limit (50) — unpin one first."
    )
    assert (await toggle(alice, messages[0]["id"])).status_code == 200, "unpinning works"
    assert (await toggle(alice, messages[50]["id"])).status_code == 200


async def test_outsiders_and_late_joiners_see_nothing_they_may_not(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "inner", [])
    early = await sent(alice, channel["channel"], "before bob")
    await toggle(alice, early["id"])
    assert (await toggle(bob, early["id"])).status_code == 404
    assert (await bob.api("GET", f"/api/channels/{channel['channel']}/pins")).status_code == 404
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    assert await pins_of(bob, channel["channel"]) == []
    assert (await toggle(bob, early["id"])).status_code == 404
