"""Shared pieces of the JSON API: one error shape and a checked JSON body."""

from __future__ import annotations

from typing import Any

from quart import Response, jsonify, request


class ApiError(Exception):
    """An API refusal: ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


async def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    body = await request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Send a JSON object.")
    return body


def optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "bad_request", f'"{key}" must be a string or null.')
    return value


def required_string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise ApiError(400, "bad_request", f'"{key}" is required and must be a string.')
    return value
