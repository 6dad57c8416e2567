"""Mentions: who a message names, recomputed on edit, and the unread-mentions list."""

from __future__ import annotations

from typing import Any

from quart import Quart

from tests.conftest import UserClient, sign_up
from tests.helpers.chat import created, sent


async def mentions_of(user: UserClient) -> list[dict[str, Any]]:
    response = await user.api("GET", "/api/mentions")
    assert response.status_code == 200
    return (await response.get_json())["mentions"]


async def test_mentions_resolve_to_members_in_their_own_spelling(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "Bob")
    await sign_up(app, "carol")
    message = await sent(alice, "general", "@bob and @CAROL, not me@mail or /@path or @ghost")
    assert message["mentions"] == ["Bob", "carol"]


async def test_everyone_stands_alone(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    assert (await sent(alice, "general", "@bob @everyone deploy"))["mentions"] == ["@everyone"]


async def test_only_channel_members_can_be_mentioned(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    await sign_up(app, "carol")
    assert (await sent(alice, "dm:alice:bob", "@carol @bob"))["mentions"] == ["bob"]
    channel = await created(alice, "small", [])
    assert (await sent(alice, channel["channel"], "@bob"))["mentions"] == []


async def test_unread_mentions_until_the_channel_is_read(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sent(alice, "software", "@bob please review")
    await sent(alice, "firmware", "nothing for bob")
    await sent(alice, "systems", "@everyone standup")
    listed = await mentions_of(bob)
    assert [m["content"] for m in listed] == ["@everyone standup", "@bob please review"]
    assert await mentions_of(alice) == [], "your own messages are never your mentions"
    await bob.api("POST", "/api/channels/software/read")
    assert [m["content"] for m in await mentions_of(bob)] == ["@everyone standup"]


async def test_edits_recompute_mentions_and_deletes_drop_them(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sign_up(app, "carol")
    message = await sent(alice, "general", "@bob look")
    edited = await alice.api(
        "PATCH", f"/api/messages/{message['id']}", json={"content": "@carol look instead"}
    )
    assert (await edited.get_json())["message"]["mentions"] == ["carol"]
    assert await mentions_of(bob) == []
    other = await sent(alice, "general", "@bob second")
    await alice.api("DELETE", f"/api/messages/{other['id']}")
    assert await mentions_of(bob) == []


async def test_late_joiners_get_no_mentions_from_before(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "ops", [])
    await sent(alice, channel["channel"], "@everyone before bob")
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    await sent(alice, channel["channel"], "@everyone after bob")
    assert [m["content"] for m in await mentions_of(bob)] == ["@everyone after bob"]
