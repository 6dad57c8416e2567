"""Writing audit records from request handlers and actions, with the client's address."""

from __future__ import annotations

from quart import current_app, has_request_context

from ..runtime import get_runtime
from .requests import client_ip


def audit(event: str, outcome: str, *, user: str | None = None, detail: str | None = None) -> None:
    """Record a security event in the data root's ``audit.log`` (never raises)."""
    runtime = get_runtime(current_app)
    if runtime.audit is None:
        return
    src = client_ip(runtime.settings.trusted_proxies) if has_request_context() else None
    runtime.audit.record(event, outcome, user=user, src=src, detail=detail)
