"""Message rendering: every kind of link is found, and the quick path changes nothing."""

from __future__ import annotations

import random

import pytest

from minimost.chat.messages import markdown

LINKS = [
    ("see https://example.com/a now", "https://example.com/a"),
    ("docs at www.example.com", "http://www.example.com"),
    ("the wiki is example.org", "http://example.org"),
    ("ping alice@example.org", "mailto:alice@example.org"),
    ("run it on http://localhost:8080/api", "http://localhost:8080/api"),
    ("mailto:bob@lan.example", "mailto:bob@lan.example"),
]


@pytest.mark.parametrize(("text", "href"), LINKS)
def test_links_in_any_form_become_safe_anchors(text: str, href: str) -> None:
    html = markdown.render(text)
    assert f'<a href="{href}" target="_blank" rel="noopener noreferrer">' in html


def test_other_schemes_are_shown_but_never_followable() -> None:
    html = markdown.render("ftp://files.example.com/x")
    assert "href" not in html
    assert "ftp://files.example.com/x" in html


def test_text_that_cannot_hold_a_link_renders_as_the_full_parser_renders_it() -> None:
    """The parser without link detection is used only where it makes no difference."""
    pieces = [
        "word",
        "**bold**",
        "_it_",
        "~~gone~~",
        "`code`",
        "\n",
        "\n\n",
        "- item\n",
        "1) first\n",
        "> quote\n",
        "```py\nx = 1\n```\n",
        "&amp;",
        "&#35;",
        "\\*",
        "www",
        "WWW",
        "localhos",
        "http",
        "mailto",
        "com",
        "org",
        "<b>",
        "｜",
        ">",
        "。",
        "．",
        "｡",
        "日本語",
        "🙂",
        "#",
        "!",
        "?",
        "(",
        ")",
        "[x]",
        "[a](b)",
        "ww w",
        "%",
        "'",
        '"',
        "=",
        "+",
        "|",
        "{",
        "}",
        "\t",
        "  ",
    ]
    rng = random.Random(11)
    checked = 0
    for _ in range(3000):
        text = "".join(
            rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(1, 12))
        )
        if markdown._could_hold_a_link(text):
            continue
        full = markdown._PARSER.render(text)
        assert markdown._PARSER_WITHOUT_LINKS.render(text) == full, text
        checked += 1
    assert checked > 2500


def test_plain_text_skips_the_parser_only_where_the_parser_would_change_nothing() -> None:
    plain_pieces = ["word", "Word", "3", "12", "café", "日本語", "ﬁ", "²", *"!\"#$%'(),;=?[]^{|}"]
    other_pieces = [
        *"*_~`\\&<>-+.:/@",
        "1)",
        "1.",
        "localhost",
        "\u00a0",
        "\t",
        "\n",
        "\x00",
        "🙂",
        "&amp;",
    ]
    rng = random.Random(7)
    plain = 0
    for _ in range(5000):
        text = "".join(
            rng.choice(plain_pieces if rng.random() < 0.85 else other_pieces)
            + rng.choice(["", " ", "  "])
            for _ in range(rng.randint(1, 8))
        )
        if rng.random() < 0.5:
            text = text.strip(" ")
        assert markdown.render(text) == markdown._render_markdown(text), repr(text)
        plain += markdown._PLAIN.fullmatch(text) is not None
    assert plain > 500, "the fast path is taken for plain text"
    for mark in "*_~`\\&<>-+.:/@)":
        for text in (
            f"x{mark}y{mark}z",
            f"x {mark}{mark}y{mark}{mark} z",
            f"1{mark} x",
            f"a{mark}",
        ):
            assert markdown.render(text) == markdown._render_markdown(text), repr(text)
    assert markdown.render("lunch at 12? (or 1)") == "<p>lunch at 12? (or 1)</p>"
