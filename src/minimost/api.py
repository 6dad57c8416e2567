"""The one refusal shape of the JSON API, below the storage layer that raises it too."""

from __future__ import annotations

from quart import Response, jsonify


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
