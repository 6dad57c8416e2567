"""Search: filters, trigram and short-text matching, and only what the caller may read."""

from __future__ import annotations

from quart import Quart

from tests.conftest import sign_up
from tests.helpers.chat import created, search, sent, texts


async def test_substring_search_newest_first_case_insensitive(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sent(alice, "software", "the Firmware build is green")
    await sent(alice, "general", "lunch?")
    await sent(alice, "firmware", "FIRMWARE release tonight")
    assert await texts(alice, "q=irmwar") == [
        "FIRMWARE release tonight",
        "the Firmware build is green",
    ]


async def test_short_queries_match_literally_even_with_wildcards(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sent(alice, "general", "100% done")
    await sent(alice, "general", "100 done")
    await sent(alice, "general", "a_b")
    await sent(alice, "general", "axb")
    assert await texts(alice, "q=%25") == ["100% done"]
    assert await texts(alice, "q=_") == ["a_b"]


async def test_filters_combine(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "Bob")
    first = await sent(bob, "general", "deploy now")
    await sent(alice, "general", "deploy later")
    await sent(bob, "software", "deploy docs")
    assert await texts(alice, "q=deploy&from=bob&channel=general") == ["deploy now"]
    assert await texts(alice, f"q=deploy&end={first['ts']}") == []
    assert len(await search(alice, f"from=BOB&start={first['ts']}")) == 2


async def test_edits_and_deletes_are_reflected(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    message = await sent(alice, "general", "typo here")
    await alice.api("PATCH", f"/api/messages/{message['id']}", json={"content": "fixed text"})
    assert await texts(alice, "q=typo") == []
    assert await texts(alice, "q=fixed") == ["fixed text"]
    await alice.api("DELETE", f"/api/messages/{message['id']}")
    assert await texts(alice, "q=fixed") == []


async def test_only_what_the_caller_may_read(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    a_ice = await sign_up(app, "a_ice")
    await sent(alice, "dm:alice:bob", "secret plan")
    channel = await created(alice, "inner", [])
    await sent(alice, channel["channel"], "secret inner plan")
    await sent(alice, "general", "public plan")
    assert await texts(a_ice, "q=plan") == ["public plan"]
    assert await texts(bob, "q=plan") == ["public plan", "secret plan"]
    refused = await a_ice.api("GET", f"/api/search?q=plan&channel={channel['channel']}")
    assert refused.status_code == 404


async def test_late_joiners_find_only_later_messages_and_still_get_fifty(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "archive", [])
    for n in range(60):
        await sent(alice, channel["channel"], f"old record {n}")
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    for n in range(3):
        await sent(alice, channel["channel"], f"new record {n}")
    assert await texts(bob, "q=record") == ["new record 2", "new record 1", "new record 0"]
    assert len(await search(alice, "q=record")) == 50


async def test_no_filter_and_bad_times_are_refused(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    assert (await alice.api("GET", "/api/search")).status_code == 400
    assert (await alice.api("GET", "/api/search?start=nan")).status_code == 400
