"""Search within one channel: a scan of the channel's newest rows, then the trigram index.

Whichever way a row is found, the results are those the trigram index alone gives:
the same matches, case folding, filters and access rules, newest first, 50 at most.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest
from quart import Quart

from minimost.chat.messages import search_store
from tests.conftest import sign_up
from tests.helpers.chat import created, search, sent, texts

# The whole channel scanned, or only its newest few rows with the rest from the index.
SCAN_SIZES = [search_store.CHANNEL_SCAN_ROWS, 3]


@pytest.fixture(params=SCAN_SIZES, ids=["scanned", "mostly-indexed"])
def scan_rows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(search_store, "CHANNEL_SCAN_ROWS", request.param)
    return request.param


async def test_an_old_match_behind_many_newer_rows_is_found(app: Quart, scan_rows: int) -> None:
    alice = await sign_up(app, "alice")
    await sent(alice, "general", "the needle is here")
    for n in range(12):
        await sent(alice, "general", f"hay {n}")
    await sent(alice, "software", "another needle")
    assert await texts(alice, "q=needle&channel=general") == ["the needle is here"]


async def test_a_word_only_in_another_channel_finds_nothing(app: Quart, scan_rows: int) -> None:
    alice = await sign_up(app, "alice")
    await sent(alice, "software", "firmware update")
    await sent(alice, "general", "lunch")
    assert await texts(alice, "q=firmware&channel=general") == []
    assert await texts(alice, "q=firmware&channel=software") == ["firmware update"]


async def test_scanned_and_indexed_rows_join_newest_first_up_to_fifty(
    app: Quart, scan_rows: int
) -> None:
    alice = await sign_up(app, "alice")
    expected = []
    for n in range(60):
        message = await sent(alice, "general", f"build {n} passed")
        expected.append(message["id"])
        if n % 4 == 0:
            await sent(alice, "general", "coffee?")
            await sent(alice, "software", f"build {n} elsewhere")
    found = await search(alice, "q=BUILD&channel=general")
    assert [result["id"] for result in found] == expected[::-1][:50]


async def test_sender_filter_ignores_case(app: Quart, scan_rows: int) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "Bob")
    await sent(bob, "general", "deploy at noon")
    for n in range(5):
        await sent(alice, "general", f"deploy step {n}")
    await sent(bob, "software", "deploy docs")
    assert await texts(alice, "q=deploy&from=bOB&channel=general") == ["deploy at noon"]


async def test_time_filters_apply(app: Quart, scan_rows: int) -> None:
    alice = await sign_up(app, "alice")
    first = await sent(alice, "general", "deploy one")
    for n in range(4):
        await sent(alice, "general", f"chat {n}")
    await sent(alice, "general", "deploy two")
    assert await texts(alice, f"q=deploy&channel=general&end={first['ts']}") == []
    assert await texts(alice, f"q=deploy&channel=general&start={first['ts']}") == [
        "deploy two",
        "deploy one",
    ]


async def test_late_joiners_find_only_later_messages(app: Quart, scan_rows: int) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    channel = await created(alice, "archive", [])
    for n in range(55):
        await sent(alice, channel["channel"], f"old record {n}")
    await alice.api(
        "POST", f"/api/private-channels/{channel['id']}/members", json={"username": "bob"}
    )
    for n in range(3):
        await sent(alice, channel["channel"], f"new record {n}")
    query = f"q=record&channel={channel['channel']}"
    assert await texts(bob, query) == ["new record 2", "new record 1", "new record 0"]
    assert len(await search(alice, query)) == 50


async def test_edits_and_deletes_are_reflected(app: Quart, scan_rows: int) -> None:
    alice = await sign_up(app, "alice")
    message = await sent(alice, "general", "typo here")
    for n in range(4):
        await sent(alice, "general", f"filler {n}")
    await alice.api("PATCH", f"/api/messages/{message['id']}", json={"content": "fixed text"})
    assert await texts(alice, "q=typo&channel=general") == []
    assert await texts(alice, "q=fixed&channel=general") == ["fixed text"]
    await alice.api("DELETE", f"/api/messages/{message['id']}")
    assert await texts(alice, "q=fixed&channel=general") == []


CASES_AND_LOOKALIKES = [
    "FIRMWARE release tonight",
    "the Firmware build",
    "5 \u212aelvin outside",  # KELVIN SIGN, which the trigram index reads as k
    "\u017ftreet party",  # LONG S, read as s
    "Éclair for everyone",
    "naïve ÉCLAIR",
    "eclair without accent",
    '100% _done_ \\o/ "quoted"',
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("irmwar", ["the Firmware build", "FIRMWARE release tonight"]),
        ("KELVIN", ["5 \u212aelvin outside"]),
        ("Street", ["\u017ftreet party"]),
        ("éclair", ["naïve ÉCLAIR", "Éclair for everyone"]),
        ("ECLAIR", ["eclair without accent"]),
        ("0% _d", ['100% _done_ \\o/ "quoted"']),
        ('\\o/ "quot', ['100% _done_ \\o/ "quoted"']),
        ("0%d", []),
        ("_on", []),
    ],
)
async def test_text_matches_as_the_trigram_index_does(
    app: Quart, scan_rows: int, query: str, expected: list[str]
) -> None:
    alice = await sign_up(app, "alice")
    for content in CASES_AND_LOOKALIKES:
        await sent(alice, "general", content)
    in_channel = await texts(alice, f"q={quote(query)}&channel=general")
    assert in_channel == expected
    assert await texts(alice, f"q={quote(query)}") == expected, "same without the channel"


def test_only_the_listed_characters_fold_onto_ascii_letters() -> None:
    """Ask SQLite's trigram tokenizer how it folds every character."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    characters = [chr(code) for code in range(1, 0x110000) if not 0xD800 <= code <= 0xDFFF]
    block = 4096
    connection.executemany(
        "INSERT INTO t (rowid, x) VALUES (?, ?)",
        [
            (start, "".join(characters[start : start + block]))
            for start in range(0, len(characters), block)
        ],
    )
    onto_ascii = {}
    for term, start, offset in connection.execute("SELECT term, doc, offset FROM v"):
        character = characters[start + offset]
        if not character.isascii() and term[0].isascii():
            onto_ascii[character] = term[0]
    connection.close()
    assert onto_ascii == search_store.FOLDED_ONTO_ASCII


async def test_a_nul_character_in_the_text_is_refused(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    for query in ("q=ab%00cd", "q=ab%00cd&channel=general", "q=%00"):
        response = await alice.api("GET", f"/api/search?{query}")
        assert response.status_code == 400
        assert (await response.get_json())["error"]["code"] == "bad_request"
