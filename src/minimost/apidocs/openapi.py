"""The OpenAPI document of ``/api/``: quart-schema's, completed with what our routes share.

quart-schema documents each route's declared bodies and answers. On top of that every
operation gets its security requirement (the session cookie; the CSRF header for unsafe
methods), the error answers it can give in our ``{"error": {...}}`` shape, a tag from its
blueprint, and whatever ``..schemas`` markers say (204s, files, multipart forms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel
from quart_schema import OpenAPIProvider
from werkzeug.routing import Rule

from ..identity.roles import ADMIN_ONLY_ATTRIBUTE
from ..reaches import declares_body_or_query, json_schema
from ..web.guards import CSRF_HEADER, SAFE_METHODS
from ..web.ratelimits import is_limited
from ..web.schemas import (
    ALSO_REFUSES_ATTRIBUTE,
    FILE_RESPONSE_ATTRIBUTE,
    MULTIPART_FORM_ATTRIBUTE,
    NO_CONTENT_ATTRIBUTE,
    ErrorBody,
)

API_PREFIX = "/api/"
SESSION_SCHEME = "session"
CSRF_SCHEME = "csrfToken"
ERROR_SCHEMA_REF = "#/components/schemas/ErrorBody"

ERRORS = {
    400: "The body or query string is malformed; the message names the field.",
    401: "Not signed in.",
    403: "Missing or wrong CSRF token, or not allowed.",
    404: "No such thing, or one you may not see.",
    409: "Refused: the change would break a rule (the message says which).",
    413: "Too large.",
    429: "Too many requests; wait Retry-After seconds.",
    503: "Not saved: the disk is full or the database busy; retry after Retry-After seconds.",
}


def _schema_with_definitions(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = json_schema(model)
    definitions = schema.pop("$defs", {})
    return schema, definitions


class MiniMostOpenAPI(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        document = super().schema()
        error_schema, definitions = _schema_with_definitions(ErrorBody)
        schemas = document["components"]["schemas"]
        schemas.update(definitions)
        schemas["ErrorBody"] = error_schema
        cookie = self._app.config["SESSION_COOKIE_NAME"]
        document["components"]["securitySchemes"] = {
            SESSION_SCHEME: {
                "type": "apiKey",
                "in": "cookie",
                "name": cookie,
                "description": (
                    f"The `{cookie}` cookie set by signing in at /login in the same browser."
                ),
            },
            CSRF_SCHEME: {
                "type": "apiKey",
                "in": "header",
                "name": CSRF_HEADER,
                "description": (
                    "Every POST, PUT, PATCH and DELETE carries the session's CSRF token, "
                    'found in the page\'s <meta name="csrf-token">.'
                ),
            },
        }
        document["security"] = [{SESSION_SCHEME: []}]
        return document

    def generate_rules(self) -> Iterable[Rule]:
        """Only the JSON API: pages and forms answer HTML and are not part of it."""
        for rule in super().generate_rules():
            if rule.rule.startswith(API_PREFIX):
                yield rule

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
        for operations in paths.values():
            for method, operation in list(operations.items()):
                operations[method] = self._completed(
                    operation, method.upper(), rule, view, blueprint, components
                )
        return paths, components

    def operation_id(self, method: str, path: str, func: Callable[..., Any]) -> str:
        """The handler's own name, which says what the operation does."""
        return func.__name__

    def _completed(
        self,
        operation: dict[str, Any],
        method: str,
        rule: Rule,
        view: Callable[..., Any],
        blueprint: str | None,
        components: dict[str, Any],
    ) -> dict[str, Any]:
        operation = {
            **operation,
            "responses": dict(operation["responses"]),
            "parameters": list(operation["parameters"]),
        }
        responses = operation["responses"]
        if "tags" not in operation and blueprint:
            operation["tags"] = [blueprint.removesuffix("_api")]

        if getattr(view, NO_CONTENT_ATTRIBUTE, False):
            responses[204] = {"description": "Done; no body."}
        media_types = getattr(view, FILE_RESPONSE_ATTRIBUTE, None)
        if media_types:
            responses[200] = {
                "description": "The file.",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in media_types
                },
            }
        form = getattr(view, MULTIPART_FORM_ATTRIBUTE, None)
        if form is not None:
            form_schema, definitions = _schema_with_definitions(form)
            components.update(definitions)
            body = operation.setdefault("requestBody", {"content": {}})
            body["content"] = {**body["content"], "multipart/form-data": {"schema": form_schema}}

        errors = [401]
        if rule.arguments or getattr(view, ADMIN_ONLY_ATTRIBUTE, False):
            errors.append(404)
        errors += getattr(view, ALSO_REFUSES_ATTRIBUTE, ())
        if method not in SAFE_METHODS:
            errors += [403, 503]
            operation["security"] = [{SESSION_SCHEME: [], CSRF_SCHEME: []}]
        if form is not None:
            errors += [400, 413]
        elif declares_body_or_query(view):
            errors.append(400)
        if is_limited(view):
            errors.append(429)
        for status in sorted(errors):
            responses.setdefault(
                status,
                {
                    "description": ERRORS[status],
                    "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
                },
            )
        return operation
