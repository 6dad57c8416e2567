"""Declared shapes of the link-preview API (see ``..schemas``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..web.schemas import Query, ResponseBody


class PreviewQuery(Query):
    url: str = Field("", description="An http(s) link found in a message.")


class ImageQuery(Query):
    u: str = Field("", description="The signed token of a preview's image.")


class PageCard(ResponseBody):
    """An HTML page: OpenGraph, then Twitter card, then ``<title>``."""

    type: Literal["og"]
    title: str
    description: str
    site_name: str
    image: str = Field(description="Our own proxied image URL, or empty.")
    domain: str
    url: str


class CodeCard(ResponseBody):
    """A text or code file: a window of its lines."""

    type: Literal["code"]
    filename: str
    filepath: str
    language: str = Field(description="The file's extension, as a highlighting hint.")
    first_line_num: int
    highlight_start: int | None
    highlight_end: int | None
    code: str
    total_lines: int
    url: str


class PreviewAnswer(ResponseBody):
    """A card, or null when there is nothing to show (refused, failed or untitled)."""

    preview: Annotated[PageCard | CodeCard, Field(discriminator="type")] | None
