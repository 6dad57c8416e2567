"""Read positions: unread counts, marking read, and receipts others see live."""

from __future__ import annotations

from typing import Any

from quart import Quart

from tests.conftest import UserClient, sign_up
from tests.helpers.chat import sent
from tests.helpers.sockets import events, hello, socket


async def unread(user: UserClient) -> dict[str, int]:
    response = await user.api("GET", "/api/unread")
    assert response.status_code == 200
    return (await response.get_json())["channels"]


async def mark_read(user: UserClient, channel: str) -> Any:
    return await user.api("POST", f"/api/channels/{channel}/read")


async def test_a_newcomer_starts_with_only_the_welcome_unread(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    counts = await unread(alice)
    assert counts == {"general": 1, "software": 0, "firmware": 0, "systems": 0, "off-topic": 0}
    await sign_up(app, "bob")
    assert (await unread(alice))["general"] == 2, "bob's welcome counts for alice"


async def test_unread_counts_skip_own_and_deleted_messages(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    first = await sent(bob, "software", "one")
    await sent(bob, "software", "two")
    assert (await unread(alice))["software"] == 2
    assert (await unread(bob))["software"] == 0, "your own messages are never unread"
    await bob.api("DELETE", f"/api/messages/{first['id']}")
    assert (await unread(alice))["software"] == 1
    await sent(alice, "software", "replying")
    assert (await unread(alice))["software"] == 0, "sending reads what came before"


async def test_marking_read_clears_the_count_and_never_goes_back(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(bob, "firmware", "flash it")
    response = await mark_read(alice, "firmware")
    assert (await response.get_json())["last_read_ts"] == message["ts"]
    assert (await unread(alice))["firmware"] == 0
    again = await mark_read(alice, "firmware")
    assert (await again.get_json())["last_read_ts"] == message["ts"]
    await sent(bob, "firmware", "and again")
    assert (await unread(alice))["firmware"] == 1


async def test_receipts_are_shared_live_with_the_channel(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(bob, "dm:alice:bob", "did you see this?")
    async with socket(bob) as ws:
        await hello(ws)
        await mark_read(alice, "dm:alice:bob")
        (event,) = await events(ws, 1)
    assert event["name"] == "read.updated"
    assert event["data"] == {
        "channel": "dm:alice:bob",
        "username": "alice",
        "last_read_ts": message["ts"],
    }
    state = await (await bob.api("GET", "/api/channels/dm:alice:bob/read")).get_json()
    assert state["receipts"]["alice"] >= message["ts"]
    assert state["last_read_ts"] == message["ts"], "sending moved bob's own position"


async def test_read_state_of_an_unreadable_channel_is_404(app: Quart) -> None:
    await sign_up(app, "alice")
    await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    assert (await carol.api("GET", "/api/channels/dm:alice:bob/read")).status_code == 404
    assert (await mark_read(carol, "dm:alice:bob")).status_code == 404
