"""Request-level protection shared by every feature: secrets, CSRF, headers, view flags.

Every route is private unless its view is marked ``@public``; every state-changing
request needs the CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from quart import (
    Quart,
    Response,
    current_app,
    g,
    redirect,
    request,
    session,
)

from .audit_trail import audit
from .errors import error_response, wants_json
from .requests import incoming

F = TypeVar("F", bound=Callable[..., Any])

CSRF_SESSION_KEY = "_csrf_token"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": (
        "camera=(self), microphone=(self), display-capture=(self), geolocation=(), "
        "payment=(), usb=(), interest-cohort=()"
    ),
}
HSTS = "max-age=31536000; includeSubDomains"


def load_or_create_secret_key(path: Path) -> str:
    """Read ``secret.key``, creating it once (64 hex chars, mode 0600) if missing.

    Created with ``O_EXCL`` so two workers starting together agree on one key; an
    existing key is reused as is, so sessions signed by an earlier MiniMost stay valid.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it to have a new key created")
    return key


def public(view: F) -> F:
    """Mark a view as reachable without signing in (everything else is private)."""
    view.minimost_public = True  # type: ignore[attr-defined]
    return view


def passive(view: F) -> F:
    """Mark a view as background traffic: it does not keep an idle session alive."""
    view.minimost_passive = True  # type: ignore[attr-defined]
    return view


def view_flag(name: str) -> bool:
    view = current_app.view_functions.get(incoming().endpoint or "")
    return bool(getattr(view, name, False))


def csrf_token() -> str:
    """The session's CSRF token, minted on first use (template global)."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or len(token) != 64:
        token = secrets.token_hex(32)
        session[CSRF_SESSION_KEY] = token
    return token


async def csrf_token_is_valid() -> bool:
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    sent = request.headers.get(CSRF_HEADER)
    # Only plain forms carry the token as a field: reading a multipart body here would
    # pull a whole upload into memory before the streaming decoder sees it.
    if sent is None and request.mimetype == "application/x-www-form-urlencoded":
        sent = (await request.form).get(CSRF_FORM_FIELD)
    return isinstance(sent, str) and secrets.compare_digest(sent, expected)


def register_security_headers(app: Quart) -> None:
    plain = list(SECURITY_HEADERS.items())
    over_tls = [*plain, ("Strict-Transport-Security", HSTS)]

    @app.after_request
    async def security_headers(response: Response) -> Response:
        """Add each header the view did not set itself (one pass over the headers)."""
        wanted = over_tls if request.scheme in ("https", "wss") else plain
        present = {name.lower() for name, _ in response.headers.items()}
        response.headers.extend(
            [(name, value) for name, value in wanted if name.lower() not in present]
        )
        return response


def register_request_guards(app: Quart) -> None:
    """Who may ask (signed in unless ``@public``), then whether the request is forged."""

    @app.before_request
    async def require_sign_in() -> Response | None:
        if request.endpoint is None or request.endpoint == "static":
            return None
        if view_flag("minimost_public") or g.get("minimost_session") is not None:
            return None
        if wants_json():
            return await error_response(401)
        return redirect("/login")

    @app.before_request
    async def require_csrf_token() -> Response | None:
        if request.method in SAFE_METHODS or request.endpoint is None:
            return None
        if await csrf_token_is_valid():
            return None
        return await error_response(403)

    @app.after_request
    async def audit_refusals(response: Response) -> Response:
        if response.status_code in (401, 403):
            signed_in = g.get("minimost_session")
            audit(
                "access_denied",
                "failure",
                user=signed_in.username if signed_in else None,
                detail=f"{request.method} {request.path}",
            )
        return response
