"""The DM list: only conversations with messages, newest first, hidden until news."""

from __future__ import annotations

from typing import Any

from quart import Quart

from tests.conftest import UserClient, sign_up
from tests.helpers.chat import sent
from tests.helpers.sockets import events, hello, socket


async def dms_of(user: UserClient) -> list[dict[str, Any]]:
    response = await user.api("GET", "/api/dms")
    assert response.status_code == 200
    return (await response.get_json())["dms"]


async def test_dms_with_messages_newest_first_with_unread(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sign_up(app, "carol")
    assert await dms_of(bob) == []
    await sent(alice, "dm:alice:bob", "hi bob")
    await sent(alice, "dm:alice:bob:carol", "hi both")
    listed = await dms_of(bob)
    assert [(dm["channel"], dm["users"], dm["unread"]) for dm in listed] == [
        ("dm:alice:bob:carol", ["alice", "carol"], 1),
        ("dm:alice:bob", ["alice"], 1),
    ]
    await sent(bob, "dm:alice:bob", "hello alice")
    reordered = await dms_of(bob)
    assert [(dm["channel"], dm["unread"]) for dm in reordered] == [
        ("dm:alice:bob", 0),
        ("dm:alice:bob:carol", 1),
    ], "bob's reply moved the DM up and read it"


async def test_a_hidden_dm_returns_with_the_next_message(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sent(alice, "dm:alice:bob", "ping")
    async with socket(bob) as ws:
        await hello(ws)
        assert (await bob.api("POST", "/api/dms/dm:alice:bob/hide")).status_code == 204
        (event,) = await events(ws, 1)
    assert event["name"] == "dm.hidden"
    assert await dms_of(bob) == []
    assert [dm["channel"] for dm in await dms_of(alice)] == ["dm:alice:bob"], "only for bob"
    await sent(alice, "dm:alice:bob", "ping again")
    assert [dm["channel"] for dm in await dms_of(bob)] == ["dm:alice:bob"]


async def test_only_participants_may_hide_and_only_dms(app: Quart) -> None:
    await sign_up(app, "alice")
    await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    assert (await carol.api("POST", "/api/dms/dm:alice:bob/hide")).status_code == 404
    general = await carol.api("POST", "/api/dms/general/hide")
    assert general.status_code == 400


async def test_a_name_sharing_a_prefix_never_lists_someone_elses_dm(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    a_ice = await sign_up(app, "a_ice")
    await sent(alice, "dm:alice:bob", "private")
    assert await dms_of(a_ice) == []
