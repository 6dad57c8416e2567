"""Messages: send, read, edit, delete in public channels and DMs, each change live."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from quart import Quart

from tests.conftest import AppFactory, sign_up
from tests.helpers.chat import page, send, sent
from tests.helpers.sockets import events, hello, socket


async def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, (await response.get_json())["error"]["message"]


async def test_a_message_reaches_the_other_reader_live(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(bob) as ws:
        await hello(ws)
        message = await sent(alice, "general", "hello **team**")
        (event,) = await events(ws, 1)
    assert event["name"] == "message.created"
    assert event["channel"] == "general"
    assert event["data"] == message
    assert message["sender"] == "alice"
    assert message["html"] == "<p>hello <strong>team</strong></p>"


async def test_history_pages_backwards_oldest_first(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    ids = [(await sent(alice, "software", f"m{n}"))["id"] for n in range(7)]
    newest = await page(alice, "software", "?limit=3")
    assert [m["id"] for m in newest] == ids[-3:]
    older = await page(alice, "software", f"?limit=3&before={newest[0]['id']}")
    assert [m["id"] for m in older] == ids[1:4]
    oldest = await page(alice, "software", f"?limit=3&before={older[0]['id']}")
    assert [m["id"] for m in oldest] == ids[:1], "fewer than a page: the start of the channel"


async def test_a_retried_send_with_the_same_client_id_is_not_duplicated(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    first = await send(alice, "general", "once", client_id="c-1")
    again = await send(alice, "general", "once", client_id="c-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert (await again.get_json())["message"]["id"] == (await first.get_json())["message"]["id"]
    texts = [m["content"] for m in await page(alice, "general") if m["sender"] == "alice"]
    assert texts == ["once"]


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        ("   \n ", 400, "A message needs some text."),
        ("x" * 10_001, 413, "Message too long (max 10000 characters)."),
    ],
)
async def test_bad_messages_are_refused_and_nothing_is_stored(
    app: Quart, content: str, status: int, message: str
) -> None:
    alice = await sign_up(app, "alice")
    assert await error_of(await send(alice, "general", content)) == (status, message)
    assert [m for m in await page(alice, "general") if m["sender"] == "alice"] == []


@pytest.mark.parametrize(
    "body",
    [
        '{"content": "half an emoji \\ud83d"}',  # a lone surrogate: no UTF-8 text holds it
        '{"content": "fine", "reply_to": NaN}',
        '{"content": "fine", "reply_to": Infinity}',
    ],
)
async def test_json_no_database_could_hold_is_refused_as_bad_json(app: Quart, body: str) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api(
        "POST",
        "/api/channels/general/messages",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert await error_of(response) == (400, "Send a JSON object.")
    assert [m for m in await page(alice, "general") if m["sender"] == "alice"] == []


async def test_the_limit_is_exactly_ten_thousand_characters(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    assert (await send(alice, "general", "y" * 10_000)).status_code == 201


async def test_dms_are_private_to_their_participants(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    async with socket(bob) as b, socket(carol) as c:
        await hello(b)
        await hello(c)
        await sent(alice, "dm:alice:bob", "just us")
        await sent(alice, "general", "everyone")
        (bob_first, _) = await events(b, 2)
        (carol_first,) = await events(c, 1)
    assert bob_first["data"]["content"] == "just us"
    assert carol_first["data"]["content"] == "everyone", "carol never saw the DM"
    assert (await carol.api("GET", "/api/channels/dm:alice:bob/messages")).status_code == 404
    assert (await send(carol, "dm:alice:bob", "let me in")).status_code == 404


async def test_dm_names_must_be_canonical_and_name_real_accounts(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    assert (await send(alice, "dm:bob:alice", "x")).status_code == 404
    assert await error_of(await send(alice, "dm:alice:ghost", "x")) == (
        400,
        "No account named ghost.",
    )


async def test_unknown_channels_answer_404(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    assert (await alice.api("GET", "/api/channels/nowhere/messages")).status_code == 404
    assert (await send(alice, "private:99", "x")).status_code == 404


async def test_editing_is_for_the_author_and_is_live(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "tpyo")
    refused = await bob.api("PATCH", f"/api/messages/{message['id']}", json={"content": "x"})
    assert await error_of(refused) == (403, "You can only change your own messages.")
    async with socket(bob) as ws:
        await hello(ws)
        response = await alice.api(
            "PATCH", f"/api/messages/{message['id']}", json={"content": "typo *fixed*"}
        )
        (event,) = await events(ws, 1)
    edited = (await response.get_json())["message"]
    assert event["name"] == "message.updated"
    assert event["data"] == edited
    assert edited["edited"] is True
    assert edited["html"] == "<p>typo <em>fixed</em></p>"


async def test_deleting_leaves_a_tombstone_event_and_hides_the_message(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    message = await sent(alice, "general", "oops")
    assert (await bob.api("DELETE", f"/api/messages/{message['id']}")).status_code == 403
    async with socket(bob) as ws:
        await hello(ws)
        assert (await alice.api("DELETE", f"/api/messages/{message['id']}")).status_code == 204
        (event,) = await events(ws, 1)
    assert event["name"] == "message.deleted"
    assert event["data"]["id"] == message["id"]
    assert message["id"] not in [m["id"] for m in await page(bob, "general")]
    fetched = await (await bob.api("GET", f"/api/messages/{message['id']}")).get_json()
    assert fetched["message"]["deleted"] is True
    assert fetched["message"]["content"] == ""
    edit = await alice.api("PATCH", f"/api/messages/{message['id']}", json={"content": "x"})
    assert edit.status_code == 409


async def test_message_by_id_is_404_for_outsiders(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    secret = await sent(alice, "dm:alice:bob", "secret")
    assert (await bob.api("GET", f"/api/messages/{secret['id']}")).status_code == 200
    assert (await carol.api("GET", f"/api/messages/{secret['id']}")).status_code == 404
    assert (await carol.api("GET", "/api/messages/999999")).status_code == 404


async def test_hostile_markup_stays_inert(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    message = await sent(
        alice,
        "general",
        "<img src=x onerror=alert(1)> [click](javascript:alert(1)) <script>x</script>",
    )
    html = message["html"]
    assert "<img" not in html
    assert "<script" not in html
    assert 'href="javascript' not in html, "the link stays literal text"
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_markdown_subset_with_lists_quotes_code_and_links(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    text = "- one\n- two\n\n> quoted\n\n```python\nprint(1)\n```\nsee https://example.com/a."
    html = (await sent(alice, "general", text))["html"]
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<blockquote>" in html
    assert '<code class="language-python">print(1)\n</code>' in html
    assert (
        '<a href="https://example.com/a" target="_blank" rel="noopener noreferrer">'
        "https://example.com/a</a>." in html
    )


async def test_sending_advances_the_senders_own_read_position(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    message = await sent(alice, "systems", "note to self")
    data_dir = app.extensions["minimost"].data_root.path
    db = sqlite3.connect(data_dir / "users" / "messages.db")
    try:
        (watermark,) = db.execute(
            "SELECT last_read_ts FROM read_state WHERE user = 'alice' AND channel = 'systems'"
        ).fetchone()
    finally:
        db.close()
    assert watermark == message["ts"]


async def test_send_is_rate_limited_per_user(make_app: AppFactory) -> None:
    app = make_app(rate_limits={"send": [2, 60]})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        for n in range(2):
            assert (await send(alice, "general", f"m{n}")).status_code == 201
        refused = await send(alice, "general", "m2")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    body = await refused.get_json()
    assert body["error"]["message"].startswith("You're doing that too quickly. Please wait")


async def test_concurrent_sends_arrive_in_commit_order(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(bob) as ws:
        await hello(ws)
        await asyncio.gather(*(sent(alice, "general", f"burst {n}") for n in range(10)))
        received = await events(ws, 10)
    ids = [event["id"] for event in received]
    assert ids == sorted(ids)
    assert len({event["data"]["id"] for event in received}) == 10
