"""What every JSON route shares in its declared schemas: base models, the error body,
the answers a route documents, and markers for bodies and answers that are not JSON
(no body, a file, a multipart form).

A route declares its schemas after the route and its guards, nearest the handler:
quart-schema's ``validate_request`` / ``validate_querystring`` for what it accepts, and
``answer`` for what it sends::

    @blueprint.put("/override")
    @validate_request(OverrideChange)
    @answer(OverrideShown)
    async def put_override(data: OverrideChange) -> dict[str, Any]: ...

Every ``/api/`` route needs at least one documented answer (``answer``, ``no_content``
or ``file_response``) and every ``POST``/``PATCH``/``PUT`` a declared body
(``validate_request``, ``multipart_form`` or ``no_body``); tests/app/test_openapi.py walks the
URL map and fails on a route that has none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator
from quart import request

from ..reaches import declare_answers, declare_json_body, declared_answers, load_model

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)

NO_CONTENT_ATTRIBUTE = "_minimost_no_content"
FILE_RESPONSE_ATTRIBUTE = "_minimost_file_response"
MULTIPART_FORM_ATTRIBUTE = "_minimost_multipart_form"
NO_BODY_ATTRIBUTE = "_minimost_no_body"
ALSO_REFUSES_ATTRIBUTE = "_minimost_also_refuses"


class RequestBody(BaseModel):
    """A JSON request body: exact JSON types (no ``"1"`` for 1); unknown keys are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Query(BaseModel):
    """Query-string arguments: text converted to the declared types; ``?limit=`` (empty)
    means the argument was not given."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data


class ResponseBody(BaseModel):
    """A JSON answer. A key the model does not declare fails loudly instead of being
    dropped, so the published schema cannot fall behind what clients receive."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(ResponseBody):
    code: str
    message: str


class ErrorBody(ResponseBody):
    """Every refusal: a machine-readable code and a message meant for people."""

    error: ErrorDetail


class Done(ResponseBody):
    ok: Literal[True] = True


def answer(model: type[BaseModel], status: int = 200) -> Callable[[F], F]:
    """Document the JSON a route answers with ``status`` (for /openapi.json).

    The handler's dict is sent as it is. Validating it on every request would cost a
    page of messages a third of a millisecond, to catch only our own mistakes; instead
    the test suite (``CHECK_ANSWERS``) holds every answer to its model, exactly
    (``web.answers``), so the published schema cannot fall behind what clients get.
    """

    def decorator(view: F) -> F:
        schemas = declared_answers(view)
        schemas[status] = (model, None)
        declare_answers(view, schemas)
        return view

    return decorator


def documented_answer(view: Callable[..., Any], status: int) -> type[BaseModel] | None:
    """The model a view documents for an answer with ``status``, if any."""
    schemas = declared_answers(view)
    model = schemas.get(status, (None, None))[0]
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def no_content(view: F) -> F:
    """Document a ``204 No Content`` answer (a body-less response cannot be validated)."""
    setattr(view, NO_CONTENT_ATTRIBUTE, True)
    return view


def file_response(*media_types: str) -> Callable[[F], F]:
    """Document an answer that is a file of one of ``media_types``."""

    def decorator(view: F) -> F:
        setattr(view, FILE_RESPONSE_ATTRIBUTE, media_types)
        return view

    return decorator


def no_body(view: F) -> F:
    """Document that an unsafe request carries nothing but its path (and CSRF header)."""
    setattr(view, NO_BODY_ATTRIBUTE, True)
    return view


def also_refuses(*statuses: int) -> Callable[[F], F]:
    """Document refusals a route can answer beyond those its shape implies (e.g. 409)."""

    def decorator(view: F) -> F:
        setattr(view, ALSO_REFUSES_ATTRIBUTE, statuses)
        return view

    return decorator


def multipart_form(model: type[BaseModel]) -> Callable[[F], F]:
    """Document a ``multipart/form-data`` body; the handler reads and checks it itself,
    streaming files to disk rather than through a model."""

    def decorator(view: F) -> F:
        setattr(view, MULTIPART_FORM_ATTRIBUTE, model)
        return view

    return decorator


def validate_json_or_multipart(
    json_model: type[M], form_model: type[BaseModel]
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Validate a JSON body as ``validate_request`` does, or let a multipart form through.

    The handler gets ``data=<json_model>`` for JSON and ``data=None`` for a form, which
    it streams itself (and may check with :func:`load_body`).
    """

    def decorator(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        declare_json_body(view, json_model)
        setattr(view, MULTIPART_FORM_ATTRIBUTE, form_model)

        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.mimetype == "multipart/form-data":
                return await view(*args, data=None, **kwargs)
            data = load_body(json_model, await request.get_json())
            return await view(*args, data=data, **kwargs)

        return wrapper

    return decorator


def load_body(model: type[M], data: Any) -> M:
    """Check ``data`` against ``model``; a failure answers 400 like a declared body."""
    return load_model(model, data)
