"""Message rendering: every kind of link is found, and the quick path changes nothing."""

from __future__ import annotations

import random

import pytest

from minimost.chat import markdown

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
