"""Refusals of a body or query string that breaks its declared schema, in our error shape."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from quart import Request, Response
from quart_schema import RequestSchemaValidationError

from ..bodies import RequestBody
from .errors import ApiError, error_body

NOT_AN_OBJECT = "Send a JSON object."
NOT_UTF8 = "The request body is not valid UTF-8 text."

# Pydantic's wording for the usual mistakes, said the way our other messages are.
PLAIN_WORDING = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
}


class JsonRequest(Request):
    """A request whose unreadable JSON body is refused in the API's own words, and whose
    body is held to the size cap as a whole."""

    body_class = RequestBody

    async def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The body; as text only if it is UTF-8, else a 400 (``get_json`` reads it so)."""
        data = await super().get_data(cache, False, parse_form_data)
        if not as_text:
            return data
        try:
            return data.decode()
        except UnicodeDecodeError as error:
            raise ApiError(400, "bad_request", NOT_UTF8) from error

    def on_json_loading_failed(self, error: Exception) -> Any:
        raise ApiError(400, "bad_request", NOT_AN_OBJECT) from error


def field_name(location: tuple[int | str, ...]) -> str:
    """``("members", 2)`` → ``members[2]``: where in the body the mistake is."""
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def describe(error: Exception | None) -> str:
    """One sentence naming the first field that is wrong and what it must be."""
    if not isinstance(error, ValidationError) or error.error_count() == 0:
        return NOT_AN_OBJECT
    first = error.errors(include_url=False, include_input=False)[0]
    if not first["loc"]:
        return NOT_AN_OBJECT
    field = field_name(first["loc"])
    kind = first["type"]
    if kind in PLAIN_WORDING:
        return f'"{field}" {PLAIN_WORDING[kind]}.'
    if kind == "greater_than_equal":
        return f'"{field}" must be at least {first["ctx"]["ge"]}.'
    if kind == "less_than_equal":
        return f'"{field}" must be at most {first["ctx"]["le"]}.'
    if kind == "literal_error":
        return f'"{field}" must be {first["ctx"]["expected"]}.'
    return f'"{field}": {first["msg"]}.'


async def refuse_invalid_request(error: RequestSchemaValidationError) -> Response:
    return error_body(400, "bad_request", describe(error.validation_error))
