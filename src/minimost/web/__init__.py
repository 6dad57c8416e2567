"""The web layer every feature stands on: errors, request facts, guards, answers, limits.

Installed once by ``create_app`` before any feature registers, so each feature's routes
answer in the same error shape and pass the same sign-in and CSRF guards.
"""

from __future__ import annotations

from quart import Quart
from quart_schema import RequestSchemaValidationError

from .errors import register_error_handlers
from .guards import register_request_guards
from .validation import JsonRequest, refuse_invalid_request


def install(app: Quart) -> None:
    """The request class, the error pages and refusals, then who may ask and how."""
    app.request_class = JsonRequest
    register_error_handlers(app)
    app.register_error_handler(RequestSchemaValidationError, refuse_invalid_request)
    register_request_guards(app)
