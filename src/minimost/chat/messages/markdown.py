"""Message text to safe HTML, rendered once on the server and stored beside the text.

A real parser (markdown-it) handles the subset users know (bold, italic, strike,
inline and fenced code, links) plus lists and quotes; nh3 then keeps only the tags
and attributes that subset produces, so nothing a user types can become script.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

_RULES = [
    "fence",
    "blockquote",
    "list",
    "emphasis",
    "strikethrough",
    "backticks",
    "escape",
    "entity",
    "newline",
]
_PARSER = MarkdownIt("zero", {"breaks": True, "linkify": True, "html": False}).enable(
    [*_RULES, "linkify"]
)
# The same parser without link detection. linkify-it's pre-test (a large regex, about
# half the cost of rendering a short message) can only match a scheme (``…:`` or
# ``//``), ``www.``, ``localhost``, a dotted host or an ``@``: a text with none of
# ``. : / @`` and no "localhost" renders the same either way.
_PARSER_WITHOUT_LINKS = MarkdownIt("zero", {"breaks": True, "html": False}).enable(_RULES)
_LINK_MARKS = frozenset(".:/@")
# One line of letters, digits, spaces and punctuation no enabled rule reacts to (no
# emphasis, code, escape, entity or list marks, no link marks, nothing HTML escapes),
# starting with a letter or digit and not ending in a space, renders as that text in
# one paragraph. Chat is full of such messages ("ok", "lunch at 12?"); they skip the
# parser and the sanitizer, which together cost about 0.1 ms a message.
_PLAIN = re.compile(r"(?!\d+\))[^\W_](?:[^\W_]|[ !\"#$%'(),;=?\[\]^{|}])*(?<! )")
_TAGS = {"p", "br", "strong", "em", "s", "code", "pre", "ul", "ol", "li", "blockquote", "a"}
_ATTRIBUTES = {"a": {"href"}, "code": {"class"}, "ol": {"start"}}
_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,32}")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        return value if _LANGUAGE_CLASS.fullmatch(value) else None
    return value


def render(text: str) -> str:
    """The HTML clients insert for a message's text."""
    if _PLAIN.fullmatch(text) and not _could_hold_a_link(text):
        return f"<p>{text}</p>"
    return _render_markdown(text)


def _render_markdown(text: str) -> str:
    parser = _PARSER if _could_hold_a_link(text) else _PARSER_WITHOUT_LINKS
    rendered = parser.render(text)
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    ).strip()


def _could_hold_a_link(text: str) -> bool:
    return not _LINK_MARKS.isdisjoint(text) or "localhost" in text.lower()


def render_plain(text: str) -> str:
    """Notices from MiniMost are plain text: escaped, never parsed."""
    return f"<p>{html.escape(text)}</p>"
