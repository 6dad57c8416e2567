"""Sending over the websocket: the same rules as the API, answered after the commit."""

from __future__ import annotations

from quart import Quart

from tests.conftest import AppFactory, sign_up
from tests.helpers.chat import created, page, send
from tests.helpers.sockets import answer_to, events, frame_of, hello, send_frame, socket


async def test_a_send_is_answered_with_the_stored_message_and_reaches_others(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(bob) as bob_ws, socket(alice) as alice_ws:
        await hello(bob_ws)
        await hello(alice_ws)
        await send_frame(alice_ws, channel="general", content="hi **bob**", client_id="c-1")
        answer = await answer_to(alice_ws, "c-1")
        (event,) = await events(bob_ws, 1)
    assert answer["type"] == "message.sent"
    assert answer["created"] is True
    message = answer["message"]
    assert message["content"] == "hi **bob**"
    assert "<strong>bob</strong>" in message["html"]
    assert message["client_id"] == "c-1"
    assert event["name"] == "message.created"
    assert event["data"]["id"] == message["id"]
    newest = (await page(bob, "general"))[-1]
    assert newest["id"] == message["id"]


async def test_a_retried_send_is_not_duplicated(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    async with socket(alice) as ws:
        await hello(ws)
        await send_frame(ws, channel="general", content="once", client_id="same")
        first = await answer_to(ws, "same")
    async with socket(alice) as ws:
        await hello(ws)
        await send_frame(ws, channel="general", content="once", client_id="same")
        second = await answer_to(ws, "same")
    http = await send(alice, "general", "once", client_id="same")
    assert first["created"] is True
    assert second["created"] is False
    assert second["message"]["id"] == first["message"]["id"]
    assert http.status_code == 200
    assert (await http.get_json())["message"]["id"] == first["message"]["id"]
    assert [m["content"] for m in await page(alice, "general")].count("once") == 1


async def test_sends_from_one_tab_commit_in_the_order_sent(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    async with socket(alice) as ws:
        await hello(ws)
        for n in range(20):
            await send_frame(ws, channel="general", content=f"n{n}", client_id=f"k{n}")
        answers = [await frame_of(ws, "message.sent") for _ in range(20)]
    assert [a["client_id"] for a in answers] == [f"k{n}" for n in range(20)]
    ids = [a["message"]["id"] for a in answers]
    assert ids == sorted(ids)
    contents = [m["content"] for m in await page(alice, "general")]
    assert contents[-20:] == [f"n{n}" for n in range(20)]


async def test_refusals_name_the_send_and_store_nothing(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    private = await created(bob, "ops", ["carol"])
    cases = {
        "unknown": ({"channel": "nowhere", "content": "x"}, 404),
        "private": ({"channel": private["channel"], "content": "x"}, 404),
        "others-dm": ({"channel": "dm:bob:carol", "content": "x"}, 404),
        "empty": ({"channel": "general", "content": "   "}, 400),
        "too-long": ({"channel": "general", "content": "x" * 10_001}, 413),
        "not-text": ({"channel": "general", "content": 5}, 400),
        "no-channel": ({"content": "x"}, 400),
    }
    async with socket(alice) as ws:
        await hello(ws)
        for client_id, (fields, _) in cases.items():
            await send_frame(ws, client_id=client_id, **fields)
        answers = {client_id: await answer_to(ws, client_id) for client_id in cases}
        await send_frame(ws, channel="general", content="no id")
        missing_id = await frame_of(ws, "error")
    for client_id, (_, status) in cases.items():
        answer = answers[client_id]
        assert answer["type"] == "error", client_id
        assert answer["about"] == "message.send"
        assert answer["status"] == status, (client_id, answer)
        assert answer["message"]
    assert answers["too-long"]["message"] == "Message too long (max 10000 characters)."
    assert answers["not-text"]["message"] == '"content" must be a string.'
    assert missing_id["about"] == "message.send"
    assert missing_id["message"] == "A message.send frame needs a client_id."
    assert all(m["sender"] != "alice" for m in await page(alice, "general"))
    assert all(m["sender"] != "alice" for m in await page(carol, private["channel"]))


async def test_socket_and_api_sends_share_one_rate_limit(make_app: AppFactory) -> None:
    app = make_app(rate_limits={"send": [3, 60]})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        for n in range(2):
            assert (await send(alice, "general", f"api {n}")).status_code == 201
        async with socket(alice) as ws:
            await hello(ws)
            await send_frame(ws, channel="general", content="third", client_id="t3")
            allowed = await answer_to(ws, "t3")
            await send_frame(ws, channel="general", content="fourth", client_id="t4")
            refused = await answer_to(ws, "t4")
        over_api = await send(alice, "general", "fifth")
    assert allowed["type"] == "message.sent"
    assert refused["type"] == "error"
    assert refused["status"] == 429
    assert refused["message"].startswith("You're doing that too quickly. Please wait")
    assert over_api.status_code == 429


async def test_many_sends_are_not_cut_off_by_the_frame_budget(app: Quart) -> None:
    """Typing and presence frames are metered per socket; sends have their own limit."""
    alice = await sign_up(app, "alice")
    count = 150
    async with socket(alice) as ws:
        await hello(ws)
        for n in range(count):
            await send_frame(ws, channel="general", content=f"m{n}", client_id=f"b{n}")
        answers = [await frame_of(ws, "message.sent") for _ in range(count)]
    assert len({a["message"]["id"] for a in answers}) == count
