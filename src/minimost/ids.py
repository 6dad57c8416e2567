"""Whole numbers from requests, held to what SQLite can store: signed 64-bit integers.

A larger number can name no row, and SQLite refuses to bind it (``OverflowError``): an
id in a path that does not fit is an unknown object (404), one in a query string or
body a bad request (400), both answered before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from quart import Quart
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**63 - 1
SMALLEST_INT = -(2**63)

StoredInt = Annotated[int, Field(ge=SMALLEST_INT, le=LARGEST_ID)]
WholeNumber = Annotated[int, Field(ge=0, le=LARGEST_ID)]


def at_most(bound: int) -> str:
    """A regular expression for the decimal numbers from 0 to ``bound`` (leading zeros too)."""
    digits = str(bound)
    options = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for place, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - place - 1
            options.append(f"{digits[:place]}[0-{int(digit) - 1}]" + rf"\d{{{rest}}}" * bool(rest))
    options.append(digits)
    return "0*(?:" + "|".join(options) + ")"


class StoredIdConverter(IntegerConverter):
    """``<int:…>`` that matches only numbers a row id can be, so a larger one is a 404.

    The bound is in the pattern rather than a ``max``: werkzeug checks ``max`` after
    matching, and a number too large for ``PATCH`` would then answer 405 because the
    ``GET`` rule's pattern matched it.
    """

    regex = at_most(LARGEST_ID)


def bound_int_routes(app: Quart) -> None:
    """Make every ``<int:…>`` route added from now on use ``StoredIdConverter``."""
    app.url_map.converters["int"] = StoredIdConverter


def is_decimal(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²``, which ``int`` refuses."""
    return text.isascii() and text.isdigit()
