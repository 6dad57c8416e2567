"""Private channels: membership, notices, and late joiners kept out of earlier history."""

from __future__ import annotations

from typing import Any

from quart import Quart

from tests.conftest import AppFactory, UserClient, sign_up
from tests.helpers.chat import create, created, page, send, sent
from tests.helpers.sockets import events, hello, socket


async def listed(user: UserClient) -> list[dict[str, Any]]:
    return (await (await user.api("GET", "/api/private-channels")).get_json())["channels"]


async def test_creating_a_channel_for_named_members(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "Bob")
    carol = await sign_up(app, "carol")
    async with socket(bob) as ws:
        await hello(ws)
        channel = await created(alice, "  q3 planning ", ["bob", "BOB", "nobody"])
        (event,) = await events(ws, 1)
    assert channel["name"] == "q3 planning"
    assert channel["members"] == ["alice", "Bob"], "canonical spelling, once, real accounts"
    assert event["name"] == "channel.created"
    assert event["data"] == channel
    assert [c["channel"] for c in await listed(bob)] == [channel["channel"]]
    assert await listed(carol) == []
    assert await page(alice, channel["channel"]) == [], "no notice on creation"
    outsider = await carol.api("GET", f"/api/channels/{channel['channel']}/messages")
    assert outsider.status_code == 404


async def test_names_are_required_and_short(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    blank = await create(alice, "   ", [])
    long = await create(alice, "x" * 81, [])
    assert (await blank.get_json())["error"]["message"] == "A channel name is required."
    assert (await long.get_json())["error"]["message"] == (
        "Channel names can be at most 80 characters."
    )
    assert (await create(alice, "x" * 80, [])).status_code == 201


async def test_rename_add_and_leave_post_the_known_notices(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sign_up(app, "carol")
    channel = await created(alice, "ops", ["bob"])
    ch, cid = channel["channel"], channel["id"]
    renamed = await bob.api("PATCH", f"/api/private-channels/{cid}", json={"name": "ops-2"})
    assert (await renamed.get_json())["channel"]["name"] == "ops-2"
    added = await alice.api(
        "POST", f"/api/private-channels/{cid}/members", json={"username": "CAROL"}
    )
    assert (await added.get_json())["channel"]["members"] == ["alice", "bob", "carol"]
    again = await alice.api(
        "POST", f"/api/private-channels/{cid}/members", json={"username": "carol"}
    )
    assert again.status_code == 409
    ghost = await alice.api(
        "POST", f"/api/private-channels/{cid}/members", json={"username": "ghost"}
    )
    assert ghost.status_code == 404
    assert (await bob.api("POST", f"/api/private-channels/{cid}/leave")).status_code == 204
    notices = [m["content"] for m in await page(alice, ch)]
    assert notices == [
        'bob has renamed the channel to "ops-2"',
        "alice added carol to this channel",
        "bob has left the channel",
    ]
    assert all(m["sender"] == "system" for m in await page(alice, ch))
    assert (await bob.api("GET", f"/api/channels/{ch}/messages")).status_code == 404


async def test_late_joiners_never_see_earlier_history(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "secret plans", [])
    ch = channel["channel"]
    before = await sent(alice, ch, "before bob")
    async with socket(bob) as ws:
        start = (await hello(ws))["last_event_id"]
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    after = await sent(alice, ch, "after bob")
    assert [m["content"] for m in await page(bob, ch)] == [
        "alice added bob to this channel",
        "after bob",
    ]
    hidden = await bob.api("GET", f"/api/messages/{before['id']}")
    assert hidden.status_code == 404
    assert (await bob.api("GET", f"/api/messages/{after['id']}")).status_code == 200
    async with socket(bob, f"?after={start}") as ws:
        await hello(ws)
        replayed = await events(ws, 3)
    contents = [e["data"].get("content") for e in replayed if e["name"] == "message.created"]
    assert contents == ["alice added bob to this channel", "after bob"]
    (bobs,) = await listed(bob)
    assert bobs["unread"] == 2, "only what came after joining counts"


async def test_a_late_joiner_gets_full_pages_of_what_they_may_see(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "busy", [])
    ch = channel["channel"]
    for n in range(5):
        await sent(alice, ch, f"before {n}")
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    for n in range(4):
        await sent(alice, ch, f"after {n}")
    newest = await page(bob, ch, "?limit=3")
    assert [m["content"] for m in newest] == ["after 1", "after 2", "after 3"]
    rest = await page(bob, ch, f"?limit=3&before={newest[0]['id']}")
    assert [m["content"] for m in rest] == ["alice added bob to this channel", "after 0"]


async def test_leaving_tells_the_leaver_and_stops_their_delivery(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "team", ["bob"])
    async with socket(bob) as ws:
        await hello(ws)
        await bob.api("POST", f"/api/private-channels/{channel['id']}/leave")
        await sent(alice, channel["channel"], "bob is gone")
        await sent(alice, "general", "public marker")
        received = await events(ws, 2)
    assert received[0]["name"] == "channel.left"
    assert received[0]["data"]["channel"] == channel["channel"]
    assert received[1]["data"]["content"] == "public marker", "nothing from the channel"
    assert (await send(bob, channel["channel"], "let me back")).status_code == 404


async def test_membership_survives_a_restart(make_app: AppFactory) -> None:
    first = make_app()
    async with first.test_app():
        alice = await sign_up(first, "alice")
        await sign_up(first, "carol")
        channel = await created(alice, "kept", [])
    second = make_app()
    async with second.test_app():
        jar = alice.client.cookie_jar
        alice.client = second.test_client()
        alice.client.cookie_jar = jar
        assert (await send(alice, channel["channel"], "still mine")).status_code == 201
