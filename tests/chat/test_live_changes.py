"""Every change people must see reaches the others' sockets: one test per kind of change.

Alice and Bob are signed in; Carol watches with her socket open while one of them acts.
Changes meant for the actor alone (hiding a DM, leaving a channel) reach the actor's
other tabs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from quart import Quart

from tests.conftest import GOOD_PASSWORD, UserClient, sign_up
from tests.helpers.chat import created, sent
from tests.helpers.sockets import frame_of, hello, socket

Act = Callable[[dict[str, UserClient]], Awaitable[Any]]


async def ok(response: Any) -> Any:
    assert response.status_code in (200, 201, 204), await response.get_data(as_text=True)
    return response


async def send(users: dict[str, UserClient]) -> None:
    await sent(users["alice"], "general", "hello @carol")


async def edit(users: dict[str, UserClient]) -> None:
    message = await sent(users["alice"], "general", "draft")
    await ok(
        await users["alice"].api(
            "PATCH", f"/api/messages/{message['id']}", json={"content": "final"}
        )
    )


async def delete(users: dict[str, UserClient]) -> None:
    message = await sent(users["alice"], "general", "oops")
    await ok(await users["alice"].api("DELETE", f"/api/messages/{message['id']}"))


async def react(users: dict[str, UserClient]) -> None:
    message = await sent(users["alice"], "general", "lunch?")
    await ok(await users["bob"].api("PUT", f"/api/messages/{message['id']}/reactions/pizza"))


async def pin(users: dict[str, UserClient]) -> None:
    message = await sent(users["alice"], "general", "the plan")
    await ok(await users["bob"].api("POST", f"/api/messages/{message['id']}/pin"))


async def mark_read(users: dict[str, UserClient]) -> None:
    await sent(users["alice"], "general", "read me")
    await ok(await users["bob"].api("POST", "/api/channels/general/read", json={}))


async def create_private(users: dict[str, UserClient]) -> None:
    await created(users["alice"], "plans", ["carol"])


async def rename_private(users: dict[str, UserClient]) -> None:
    channel = await created(users["alice"], "plans", ["carol"])
    await ok(
        await users["alice"].api(
            "PATCH", f"/api/private-channels/{channel['id']}", json={"name": "roadmap"}
        )
    )


async def add_member(users: dict[str, UserClient]) -> None:
    channel = await created(users["alice"], "plans", [])
    await ok(
        await users["alice"].api(
            "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "carol"}
        )
    )


async def leave_private(users: dict[str, UserClient]) -> None:
    channel = await created(users["alice"], "plans", ["carol", "bob"])
    await ok(await users["bob"].api("POST", f"/api/private-channels/{channel['id']}/leave"))


async def profile(users: dict[str, UserClient]) -> None:
    await ok(await users["bob"].api("PATCH", "/api/account", json={"bio": "on call"}))


async def delete_user(users: dict[str, UserClient]) -> None:
    await ok(
        await users["bob"].api(
            "POST", "/api/account/delete", json={"mode": "soft", "password": GOOD_PASSWORD}
        )
    )


async def dm(users: dict[str, UserClient]) -> None:
    await sent(users["alice"], "dm:alice:carol", "psst")


SEEN_BY_CAROL: list[tuple[str, Act, dict[str, Any]]] = [
    ("message.created", send, {"sender": "alice", "mentions": ["carol"]}),
    ("message.created", dm, {"channel": "dm:alice:carol", "content": "psst"}),
    ("message.updated", edit, {"content": "final", "edited": True}),
    ("message.deleted", delete, {"channel": "general"}),
    ("message.reactions", react, {"channel": "general"}),
    ("pins.updated", pin, {"pinned": True, "by": "bob"}),
    ("read.updated", mark_read, {"username": "bob", "channel": "general"}),
    ("channel.created", create_private, {"name": "plans"}),
    ("channel.updated", rename_private, {"name": "roadmap"}),
    ("channel.updated", add_member, {"members": ["alice", "carol"]}),
    ("channel.updated", leave_private, {"members": ["alice", "carol"]}),
    ("user.updated", profile, {"username": "bob", "bio": "on call"}),
    ("user.deleted", delete_user, {"username": "bob", "mode": "soft"}),
]


@pytest.mark.parametrize(
    ("name", "act", "expected"),
    SEEN_BY_CAROL,
    ids=[f"{name}-{act.__name__}" for name, act, _ in SEEN_BY_CAROL],
)
async def test_carol_sees_it_live(
    app: Quart, name: str, act: Act, expected: dict[str, Any]
) -> None:
    users = {username: await sign_up(app, username) for username in ("alice", "bob", "carol")}
    async with socket(users["carol"]) as ws:
        await hello(ws)
        await act(users)
        event = await frame_of(ws, "event")
        while event["name"] != name:
            event = await frame_of(ws, "event")
    assert {key: event["data"].get(key) for key in expected} == expected


async def test_a_new_account_is_announced(app: Quart) -> None:
    carol = await sign_up(app, "carol")
    async with socket(carol) as ws:
        await hello(ws)
        await sign_up(app, "dave")
        event = await frame_of(ws, "event")
        while event["name"] != "user.created":
            event = await frame_of(ws, "event")
    assert event["data"] == {"username": "dave"}


async def test_hiding_a_dm_reaches_the_users_other_tabs_only(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sent(alice, "dm:alice:bob", "hi")
    async with socket(alice) as ws, socket(bob) as bob_ws:
        await hello(ws)
        await hello(bob_ws)
        await ok(await alice.api("POST", "/api/dms/dm:alice:bob/hide"))
        event = await frame_of(ws, "event")
        await sent(bob, "general", "marker")
        bobs = await frame_of(bob_ws, "event")
    assert (event["name"], event["data"]) == ("dm.hidden", {"channel": "dm:alice:bob"})
    assert bobs["data"]["content"] == "marker", "Bob hears nothing of Alice hiding the DM"


async def test_leaving_reaches_the_leavers_other_tabs(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "plans", ["bob"])
    async with socket(bob) as ws:
        await hello(ws)
        await ok(await bob.api("POST", f"/api/private-channels/{channel['id']}/leave"))
        event = await frame_of(ws, "event")
        while event["name"] != "channel.left":
            event = await frame_of(ws, "event")
    assert event["data"] == {"channel": channel["channel"], "id": channel["id"]}
