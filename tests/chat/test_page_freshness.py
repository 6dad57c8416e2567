"""A page reuses messages it encoded before, and still shows every change made since."""

from __future__ import annotations

import time
from typing import Any

from quart import Quart

from minimost.chat.messages.message_cache import EncodedMessages
from tests.conftest import GOOD_PASSWORD, UserClient, execute, sign_up
from tests.helpers.chat import messages_db, page, react, sent


async def by_id(user: UserClient, message_id: int) -> dict[str, Any]:
    response = await user.api("GET", f"/api/messages/{message_id}")
    assert response.status_code == 200
    return (await response.get_json())["message"]


async def assert_page_is_current(user: UserClient, channel: str) -> list[dict[str, Any]]:
    """Each message on the page is exactly what asking for it by id answers now."""
    listed = await page(user, channel)
    assert listed == [await by_id(user, message["id"]) for message in listed]
    return listed


async def test_a_page_shows_each_change_to_messages_it_showed_before(app: Quart) -> None:
    await sign_up(app, "owner")  # the server's admin, so alice may leave
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    dave = await sign_up(app, "dave")
    hers = await sent(alice, "software", "tpyo")
    his = await sent(bob, "software", "ship it?")
    await assert_page_is_current(bob, "software")

    edit = await alice.api("PATCH", f"/api/messages/{hers['id']}", json={"content": "typo @bob"})
    assert edit.status_code == 200
    first, _ = await assert_page_is_current(bob, "software")
    assert (first["content"], first["edited"], first["mentions"]) == ("typo @bob", True, ["bob"])

    await react(bob, hers["id"], "thumbsup")
    await react(carol, his["id"], "rocket")
    await react(dave, his["id"], "rocket")
    first, second = await assert_page_is_current(bob, "software")
    assert first["reactions"] == [{"name": "thumbsup", "count": 1, "users": ["bob"]}]
    assert second["reactions"] == [{"name": "rocket", "count": 2, "users": ["carol", "dave"]}]

    await react(bob, hers["id"], "thumbsup", on=False)
    first, _ = await assert_page_is_current(bob, "software")
    assert first["reactions"] == []

    hard = {"mode": "hard", "password": GOOD_PASSWORD}
    assert (await carol.api("POST", "/api/account/delete", json=hard)).status_code == 200
    _, second = await assert_page_is_current(bob, "software")
    assert second["reactions"] == [{"name": "rocket", "count": 1, "users": ["dave"]}]

    soft = {"mode": "soft", "password": GOOD_PASSWORD}
    assert (await alice.api("POST", "/api/account/delete", json=soft)).status_code == 200
    first, _ = await assert_page_is_current(bob, "software")
    assert first["sender"] == "Deleted User"

    assert (await bob.api("DELETE", f"/api/messages/{his['id']}")).status_code == 204
    assert [m["id"] for m in await assert_page_is_current(bob, "software")] == [hers["id"]]


async def test_a_page_shows_an_edit_another_server_process_wrote(app: Quart) -> None:
    """Workers sharing the database each remember messages: the row decides, not memory."""
    alice = await sign_up(app, "alice")
    message = await sent(alice, "software", "before")
    assert [m["content"] for m in await page(alice, "software")] == ["before"]
    execute(
        messages_db(app),
        "UPDATE messages SET content = 'after', content_html = '<p>after</p>', edited = 1, "
        "edited_ts = ? WHERE id = ?",
        (time.time(), message["id"]),
    )
    (listed,) = await page(alice, "software")
    assert (listed["content"], listed["html"], listed["edited"]) == ("after", "<p>after</p>", True)


def test_remembered_messages_stay_within_their_byte_budget() -> None:
    kept = EncodedMessages(budget_bytes=1000)
    kept.keep([(n, ("alice", None, None), b"x" * 100) for n in range(15)])
    assert kept.size_bytes <= 1000
    assert len(kept) == 10
    assert kept.get(4, ("alice", None, None)) is None, "the oldest went first"
    assert kept.get(14, ("alice", None, None)) == b"x" * 100
    assert kept.get(14, ("Deleted User", None, None)) is None, "another version is not served"
    for name in ("Deleted User", "alice") * 10:
        kept.keep([(14, (name, None, None), b"y" * 50)])
    assert kept.get(14, ("alice", None, None)) == b"y" * 50
    assert kept.size_bytes <= 1000, "replaced encodings count until they are let go"
    assert len(kept) < 10, "so churn on one message pushed older ones out"
