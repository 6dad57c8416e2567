"""Reactions: the original's named set, one per user and name, counted and seen live."""

from __future__ import annotations

from typing import Any

from quart import Quart

from tests.conftest import GOOD_PASSWORD, UserClient, execute, rows, sign_up
from tests.helpers.chat import created, messages_db, react, sent
from tests.helpers.sockets import events, hello, socket


async def in_history(user: UserClient, message: dict[str, Any]) -> dict[str, Any]:
    response = await user.api("GET", f"/api/channels/{message['channel']}/messages")
    assert response.status_code == 200
    (listed,) = [m for m in (await response.get_json())["messages"] if m["id"] == message["id"]]
    return listed


async def test_the_set_is_the_originals_477_names_with_emoji(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api("GET", "/api/reactions")
    listed = (await response.get_json())["reactions"]
    assert len(listed) == 477
    assert len({reaction["name"] for reaction in listed}) == 477
    assert listed[0] == {"name": "thumbsup", "label": "Thumbs Up", "emoji": "👍"}
    assert {"airplane", "axolotl", "heart", "fire"} <= {reaction["name"] for reaction in listed}


async def test_reactions_are_counted_per_name_and_heard_live(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "ship it?")
    async with socket(alice) as ws:
        await hello(ws)
        first = await react(bob, message["id"], "thumbsup")
        await react(alice, message["id"], "thumbsup")
        await react(alice, message["id"], "rocket")
        received = await events(ws, 3)
    assert first.status_code == 200
    assert await first.get_json() == {
        "id": message["id"],
        "channel": "general",
        "reactions": [{"name": "thumbsup", "count": 1, "users": ["bob"]}],
    }
    expected = [
        {"name": "thumbsup", "count": 2, "users": ["bob", "alice"]},
        {"name": "rocket", "count": 1, "users": ["alice"]},
    ]
    assert [event["name"] for event in received] == ["message.reactions"] * 3
    assert received[-1]["data"] == {
        "id": message["id"],
        "channel": "general",
        "reactions": expected,
    }
    listed = await in_history(bob, message)
    assert listed["reactions"] == expected, "history pages carry reactions"
    got = await bob.api("GET", f"/api/messages/{message['id']}")
    assert (await got.get_json())["message"]["reactions"] == expected


async def test_taking_a_reaction_back_and_repeats_change_nothing(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "hello")
    await react(bob, message["id"], "heart")
    again = await react(bob, message["id"], "heart")
    assert (await again.get_json())["reactions"] == [
        {"name": "heart", "count": 1, "users": ["bob"]}
    ], "a user reacts with a name once"
    async with socket(alice) as ws:
        head = await hello(ws)
        removed = await react(bob, message["id"], "heart", on=False)
        assert (await removed.get_json())["reactions"] == []
        await react(bob, message["id"], "heart", on=False)
        await react(bob, message["id"], "fire")
        received = await events(ws, 2)
    assert [event["data"]["reactions"] for event in received] == [
        [],
        [{"name": "fire", "count": 1, "users": ["bob"]}],
    ], "removing what is not there publishes nothing"
    assert received[0]["id"] > head["last_event_id"]


async def test_unknown_names_deleted_and_unreadable_messages_are_refused(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "hi")
    unknown = await react(bob, message["id"], "not-an-emoji")
    assert unknown.status_code == 400
    assert (await unknown.get_json())["error"] == {
        "code": "unknown_reaction",
        "message": '"not-an-emoji" is not one of the reactions.',
    }
    assert (await react(bob, 999_999, "heart")).status_code == 404
    await alice.api("DELETE", f"/api/messages/{message['id']}")
    assert (await react(bob, message["id"], "heart")).status_code == 404
    private = await created(alice, "inner", [])
    secret = await sent(alice, private["channel"], "members only")
    assert (await react(bob, secret["id"], "heart")).status_code == 404
    assert (await react(bob, secret["id"], "heart", on=False)).status_code == 404
    assert rows(messages_db(app), "SELECT * FROM reactions") == []


async def test_a_late_joiner_cannot_react_to_earlier_messages(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "inner", [])
    early = await sent(alice, channel["channel"], "before bob")
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    later = await sent(alice, channel["channel"], "after bob")
    assert (await react(bob, early["id"], "heart")).status_code == 404
    assert (await react(bob, later["id"], "heart")).status_code == 200


async def test_reactions_of_a_hard_deleted_user_go_with_them(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "hi")
    await react(bob, message["id"], "heart")
    await react(alice, message["id"], "heart")
    deleted = await bob.api(
        "POST", "/api/account/delete", json={"password": GOOD_PASSWORD, "mode": "hard"}
    )
    assert deleted.status_code == 200
    listed = await in_history(alice, message)
    assert listed["reactions"] == [{"name": "heart", "count": 1, "users": ["alice"]}]


async def test_original_rows_keep_working_and_toggles_bump_reactions_ts(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    message = await sent(alice, "general", "old")
    execute(
        messages_db(app),
        "INSERT INTO reactions (message_id, emoji, reactor) VALUES (?, 'fire', 'alice')",
        (message["id"],),
    )
    listed = await in_history(alice, message)
    assert listed["reactions"] == [{"name": "fire", "count": 1, "users": ["alice"]}]
    await react(alice, message["id"], "fire", on=False)
    ((stamp,),) = rows(
        messages_db(app), "SELECT reactions_ts FROM messages WHERE id = ?", (message["id"],)
    )
    assert stamp is not None
    assert stamp >= message["ts"]
