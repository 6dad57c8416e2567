"""Generic error pages: fixed wording, JSON for API and fetch callers, HTML for browsers."""

from __future__ import annotations

import logging
import sqlite3

from quart import Quart, Response, has_request_context, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from ..api import ApiError, error_body
from ..db.unavailable import RETRY_AFTER_SECONDS, storage_refusal
from .audit_trail import audit
from .requests import incoming

log = logging.getLogger(__name__)

MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Bad request", "Bad request."),
    401: ("unauthorized", "Sign-in required", "You need to sign in to do that."),
    403: (
        "forbidden",
        "Forbidden",
        "You do not have permission to access this resource.",
    ),
    404: ("not_found", "Not found", "The requested resource was not found."),
    405: ("method_not_allowed", "Method not allowed", "Method not allowed."),
    413: ("too_large", "Too large", "The request is too large."),
    429: (
        "rate_limited",
        "Too many requests",
        "Too many requests. Please slow down and try again.",
    ),
    500: (
        "internal_error",
        "Something went wrong",
        "An internal error occurred. Please try again later.",
    ),
}


def wants_json() -> bool:
    """API paths, JSON bodies, XHR, websocket handshakes and JSON-preferring clients."""
    if not has_request_context():
        return True
    if request.path.startswith("/api/") or request.is_json:
        return True
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


async def error_response(
    status: int, headers: dict[str, str] | None = None, *, message: str | None = None
) -> Response:
    code, title, default_message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    message = message or default_message
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = Response(
            await render_template("error.html", code=status, title=title, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 429 and getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)
    return await error_response(status, headers)


async def handle_unexpected_error(error: Exception) -> Response:
    """Log the traceback server-side; the client only ever sees the generic text."""
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return await handle_http_error(error)
    current = incoming()
    method = getattr(current, "method", "WEBSOCKET")
    log.exception("unhandled error on %s %s", method, current.path, exc_info=error)
    audit("server_error", "failure", detail=f"{method} {current.path}")
    return await error_response(500)


async def handle_storage_error(error: sqlite3.OperationalError | OSError) -> Response:
    """A write the database or disk refused (full, locked): 503, one log line, no traceback."""
    refusal = storage_refusal(error)
    if refusal is None:
        return await handle_unexpected_error(error)
    log.warning("%s not saved (answered 503): %s", incoming().path, error)
    response = error_body(refusal.status, refusal.code, refusal.message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def handle_api_error(error: ApiError) -> Response:
    response = error_body(error.status, error.code, error.message)
    if error.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Quart) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(sqlite3.OperationalError, handle_storage_error)
    app.register_error_handler(OSError, handle_storage_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
