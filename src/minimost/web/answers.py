"""Sending handlers' answers as JSON, held to their documented models while tests run.

``schemas.answer`` documents what a route sends but does not validate it per request.
With ``CHECK_ANSWERS`` on (``MINIMOST_CHECK_ANSWERS=1``, set by the tests) every JSON
answer with a documented model must validate against it and be exactly what the model
would send: no undeclared key, no missing default, nothing the model would convert.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from quart import Quart, current_app, request

from ..jsoncodec import JsonProvider, compact, parse
from .schemas import documented_answer


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


def send_answers(app: Quart, *, check: bool) -> None:
    """Send a handler's dict or list as JSON (orjson, the app's provider) as built.

    quart-schema would first walk it with pydantic to turn any models inside into plain
    data (a third of the CPU of a 100-message page); our answers are plain data already.
    With ``check`` on (``MINIMOST_CHECK_ANSWERS``), each is first held to its documented
    model. The response then skips quart-schema's wrapper, which has nothing left to convert.
    """
    make_response = app.make_response
    make_plain_response = Quart.make_response.__get__(app)
    provider = app.json
    assert isinstance(provider, JsonProvider)

    async def answer_as_json(result: Any) -> Any:
        value, rest = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
        if isinstance(value, dict | list):
            if check:
                check_answer(value, rest[0] if rest and isinstance(rest[0], int) else 200)
            encoded = provider.answer(value)
            return await make_plain_response((encoded, *rest) if rest else encoded)
        return await make_response(result)

    app.make_response = answer_as_json  # type: ignore[method-assign]
