"""Who is asking: sessions, cookies, user lookup and the hooks account changes fire.

The kernel every feature builds on. It imports only the kernel (db, realtime, runtime,
settings, the web layer) and no feature: ``auth`` (sign-in pages, passwords, the account
API) is a feature on top of it, and features subscribe to account changes through
:mod:`.lifecycle` in their own ``register()``.
"""

from __future__ import annotations

from quart import Quart

from ..api import ApiError
from ..runtime import Runtime
from .lifecycle import AccountLifecycle, accounts_of
from .sessions import CurrentSession, current, current_username, register_session_loading


def signed_in_user() -> CurrentSession:
    """The signed-in user of this request; a 401 for a caller nobody signed in as."""
    signed_in = current()
    if signed_in is None:
        raise ApiError(401, "unauthorized", "You need to sign in to do that.")
    return signed_in


def install(app: Quart, runtime: Runtime) -> None:
    """Resolve the session before any feature's hook runs, and open the account hooks."""
    runtime.services.accounts = AccountLifecycle()
    register_session_loading(app, runtime)


__all__ = [
    "AccountLifecycle",
    "CurrentSession",
    "accounts_of",
    "current",
    "current_username",
    "install",
    "signed_in_user",
]
