"""Holding answers to their documented models, exactly, while the test suite runs.

``schemas.answer`` documents what a route sends but does not validate it per request.
With ``CHECK_ANSWERS`` on (``MINIMOST_CHECK_ANSWERS=1``, set by the tests) every JSON
answer with a documented model must validate against it and be exactly what the model
would send: no undeclared key, no missing default, nothing the model would convert.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from quart import current_app, request

from ..jsoncodec import compact, parse
from ..schemas import documented_answer


class AnswerSchemaError(Exception):
    """A route answered something other than what /openapi.json says it answers."""


def check_answer(value: Any, status: int) -> None:
    rule = request.url_rule
    view = current_app.view_functions.get(rule.endpoint) if rule is not None else None
    model = documented_answer(view, status) if view is not None else None
    if model is None:
        return
    sent = parse(compact(value))
    where = f"{request.method} {request.path} ({status}, {model.__name__})"
    try:
        checked = model.model_validate(sent)
    except ValidationError as error:
        raise AnswerSchemaError(f"{where}: {error}") from error
    expected = checked.model_dump(mode="json")
    if expected != sent:
        raise AnswerSchemaError(f"{where}: sent {sent!r}, the model sends {expected!r}")
