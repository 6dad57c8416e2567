"""SQL for search: three ways to find the newest 50 messages that match.

- The trigram index (``messages_fts``), walked newest first: any text of three or more
  characters, across every channel the caller may read.
- One channel's newest rows through ``idx_messages_channel_text``, which holds their
  text: a search confined to a channel, whatever the word's frequency elsewhere. Older
  rows of a long channel still come from the trigram index.
- A plain scan newest first with an escaped ``LIKE``: shorter text, or none.

All three apply the same ``Filters``; the first two find exactly the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .store import MESSAGE_FIELDS

LIMIT = 50
# The newest rows of a channel scanned before the trigram index takes over: about
# 5 ms of scanning at most, and most channels fit whole.
CHANNEL_SCAN_ROWS = 20_000
# Longer texts go to the trigram index; SQLite refuses LIKE patterns past 50,000 bytes.
SCANNED_TEXT_MAX_CHARS = 1_000
# The trigram tokenizer folds case with SQLite's own Unicode table. Besides A-Z, only
# these two characters fold onto ASCII letters, so for ASCII text they are all that an
# ASCII-only case-insensitive LIKE would miss (a test checks this against SQLite).
FOLDED_ONTO_ASCII = {"\u212a": "k", "\u017f": "s"}  # KELVIN SIGN, LATIN SMALL LETTER LONG S

_FIELDS = ", ".join(f"m.{field}" for field in MESSAGE_FIELDS.split(", "))


Test = tuple[str, Sequence[Any]]  # SQL over ``messages m`` and its parameters


@dataclass(frozen=True)
class Filters:
    """What every result must satisfy besides its text.

    SQLite tests a row's conditions in the order written: the column tests come first,
    then the text, and last the access rule, which costs several lookups per row.
    """

    columns: Sequence[Test]
    access: Test

    def where(self, *text: Test) -> tuple[str, list[Any]]:
        """The WHERE clause with ``text`` tests in their place, and its parameters."""
        tests = [*self.columns, *text, self.access]
        return " AND ".join(sql for sql, _ in tests), [
            value for _, values in tests for value in values
        ]


def _like_literal(text: str) -> str:
    """``text`` as a LIKE pattern matching itself (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scannable(text: str) -> bool:
    """Whether a LIKE can decide this text exactly as the trigram index does."""
    return text.isascii() and len(text) <= SCANNED_TEXT_MAX_CHARS


def by_trigrams(
    connection: sqlite3.Connection,
    text: str,
    filters: Filters,
    *,
    below_id: int | None = None,
    limit: int = LIMIT,
) -> list[sqlite3.Row]:
    """Walk the index's matches newest first and stop at the limit.

    An ``IN (SELECT rowid ...)`` would collect every match of a common word first. The
    CROSS JOIN keeps the index as the outer loop: with a small limit and a channel
    filter SQLite would otherwise scan the channel and ask the index about each row,
    which costs a millisecond or more per row.
    """
    tests: list[Test] = [("messages_fts MATCH ?", ['"' + text.replace('"', '""') + '"'])]
    if below_id is not None:
        tests.append(("f.rowid < ?", [below_id]))
    where, params = filters.where(*tests)
    return connection.execute(
        f"SELECT {_FIELDS} FROM messages_fts f CROSS JOIN messages m ON m.id = f.rowid "
        f"WHERE {where} ORDER BY f.rowid DESC LIMIT {limit}",
        params,
    ).fetchall()


def in_channel(
    connection: sqlite3.Connection, channel: str, text: str, filters: Filters
) -> list[sqlite3.Row]:
    """Scan the channel's newest rows for ``text``, then older ones via the trigram index.

    The scan reads only the index, at a cost bounded by the channel's size and not by
    how often the text occurs in other channels. ``text`` must be ``scannable``.
    """
    connection.execute("BEGIN")  # both halves see the same moment
    try:
        oldest_scanned = connection.execute(
            "SELECT id FROM messages INDEXED BY idx_messages_channel_id WHERE channel = ? "
            "ORDER BY id DESC LIMIT 1 OFFSET ?",
            (channel, CHANNEL_SCAN_ROWS - 1),
        ).fetchone()
        below_id = oldest_scanned[0] if oldest_scanned else None
        where, params = filters.where(("m.id >= ?", [below_id or 0]), _text_matches(text))
        rows = connection.execute(
            f"SELECT {_FIELDS} FROM messages m INDEXED BY idx_messages_channel_text "
            f"WHERE m.channel = ? AND {where} ORDER BY m.id DESC LIMIT {LIMIT}",
            [channel, *params],
        ).fetchall()
        if len(rows) < LIMIT and below_id is not None:
            rows += by_trigrams(
                connection, text, filters, below_id=below_id, limit=LIMIT - len(rows)
            )
        return rows
    finally:
        connection.execute("COMMIT")


def by_like(
    connection: sqlite3.Connection, text: str | None, filters: Filters
) -> list[sqlite3.Row]:
    """Newest first through whichever index the filters allow; short text by LIKE."""
    tests: list[Test] = []
    if text:
        tests.append(("m.content LIKE ? ESCAPE '\\'", [f"%{_like_literal(text)}%"]))
    where, params = filters.where(*tests)
    return connection.execute(
        f"SELECT {_FIELDS} FROM messages m WHERE {where} ORDER BY m.id DESC LIMIT {LIMIT}",
        params,
    ).fetchall()


def _text_matches(text: str) -> Test:
    """SQL true exactly where the trigram index would find ``text`` (ASCII) in ``m.content``.

    LIKE folds ASCII case only; the characters in ``FOLDED_ONTO_ASCII`` are put in
    their folded form before the exact comparison. The first, looser LIKE (any
    character where such a letter stands) keeps that rewrite off nearly every row.
    """
    exact = f"%{_like_literal(text)}%"
    loose = exact
    folded = "m.content"
    for character, letter in FOLDED_ONTO_ASCII.items():
        for form in (letter, letter.upper()):
            loose = loose.replace(form, "_")
        folded = f"replace({folded}, char({ord(character)}), '{letter}')"
    sql = (
        "m.content LIKE ? ESCAPE '\\' AND (m.content LIKE ? ESCAPE '\\' "
        f"OR {folded} LIKE ? ESCAPE '\\')"
    )
    return sql, [loose, exact, exact]
