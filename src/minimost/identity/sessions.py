"""Sessions: a signed cookie that is honoured only while its server-side record lives.

The cookie (Quart's signed cookie, the same format the Flask MiniMost wrote) carries
``user``, ``_sid`` and ``_last_active``. The record in ``auth.db`` is what makes signing
out, a password reset or deleting the account end every session of that user at once;
the account lifecycle's ``sessions_ended`` hooks (the websocket hub) hear about ended
sessions so open sockets close too.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from quart import Quart, g, session

from ..db import Changes
from ..runtime import Runtime, get_runtime
from ..web.audit_trail import audit
from ..web.guards import view_flag
from ..web.requests import client_ip, incoming
from . import store, users
from .cookies import RememberedCookieSessions
from .lifecycle import accounts_of

SESSION_USER = "user"
SESSION_ID = "_sid"
LAST_ACTIVE = "_last_active"
RECORD_VERSION = "_v"
# Writing last activity on every request would make each page view a database write.
TOUCH_INTERVAL_SECONDS = 30.0


@dataclass(frozen=True)
class CurrentSession:
    username: str
    sid: str


def current() -> CurrentSession | None:
    """The signed-in user of this request, or None."""
    return g.get("minimost_session")


def current_username() -> str | None:
    signed_in = current()
    return signed_in.username if signed_in else None


def idle_seconds(runtime: Runtime) -> float:
    return runtime.settings.session_idle_minutes * 60


async def notify_sessions_ended(runtime: Runtime, username: str, sids: list[str]) -> None:
    await accounts_of(runtime).ended_sessions(username, sids)


async def start_session(runtime: Runtime, username: str) -> str:
    """A fresh session id for a sign-in (defeats session fixation)."""
    session.clear()
    sid = secrets.token_hex(32)
    now = time.time()
    record = _record(runtime, sid, username, now)
    await runtime.stores.auth.write(lambda changes: record(changes.connection))
    _write_cookie(username, sid, now)
    session.permanent = True
    g.minimost_session = CurrentSession(username, sid)
    return sid


async def rotate_session_id(runtime: Runtime, signed_in: CurrentSession) -> str:
    """Replace the current session id (after a password change), keeping the user in."""
    sid = secrets.token_hex(32)
    now = time.time()
    record = _record(runtime, sid, signed_in.username, now)

    def rotate(changes: Changes) -> None:
        store.delete_session(changes.connection, signed_in.sid)
        record(changes.connection)

    await runtime.stores.auth.write(rotate)
    _write_cookie(signed_in.username, sid, now)
    g.minimost_session = CurrentSession(signed_in.username, sid)
    return sid


def _record(
    runtime: Runtime, sid: str, username: str, now: float
) -> Callable[[sqlite3.Connection], None]:
    """The server-side record of a session, noting the browser and address it came from."""
    user_agent = incoming().headers.get("User-Agent")
    ip = client_ip(runtime.settings.trusted_proxies)
    return lambda connection: store.create_session(
        connection, sid, username, now, user_agent=user_agent, ip=ip
    )


def forget_cookie() -> None:
    session.clear()
    g.minimost_session = None


def _write_cookie(username: str, sid: str, now: float) -> None:
    session[SESSION_USER] = username
    session[SESSION_ID] = sid
    session[LAST_ACTIVE] = now
    session[RECORD_VERSION] = 2


async def load_session(runtime: Runtime) -> tuple[CurrentSession | None, str | None]:
    """Resolve the cookie to a live session; also name the user whose session just idled out."""
    username, sid = session.get(SESSION_USER), session.get(SESSION_ID)
    if not isinstance(username, str) or not isinstance(sid, str):
        return None, None
    now = time.time()
    idle = idle_seconds(runtime)

    def look_up(connection: sqlite3.Connection) -> tuple[users.Row | None, users.Row | None]:
        record = store.get_session(connection, sid)
        user = users.find_user(connection, username) if record is None else None
        return record, user

    record, user = await runtime.stores.auth.reading(look_up)
    if record is None:
        if user is None or not _adoptable_legacy_cookie(user, now, idle):
            session.clear()
            return None, None
        return await _adopt_legacy_cookie(runtime, user["username"], sid, now), None
    if record["username"] != username:
        session.clear()
        return None, None
    if idle > 0 and now - record["last_active_ts"] > idle:
        await runtime.stores.auth.write(
            lambda changes: store.delete_session(changes.connection, sid)
        )
        session.clear()
        await notify_sessions_ended(runtime, username, [sid])
        return None, username
    active = not view_flag("minimost_passive")
    if active and now - record["last_active_ts"] > TOUCH_INTERVAL_SECONDS:
        await runtime.stores.auth.write(
            lambda changes: store.touch_session(changes.connection, sid, now)
        )
        session[LAST_ACTIVE] = now
    return CurrentSession(username, sid), None


def _adoptable_legacy_cookie(user: users.Row, now: float, idle: float) -> bool:
    """A cookie an older MiniMost signed: honour it once, unless revoked since or idle."""
    if session.get(RECORD_VERSION) is not None:
        return False
    last_active = session.get(LAST_ACTIVE)
    if not isinstance(last_active, int | float):
        return False
    if idle > 0 and now - last_active > idle:
        return False
    revoked = user["sessions_revoked_ts"]
    return revoked is None or last_active > revoked


async def _adopt_legacy_cookie(
    runtime: Runtime, username: str, sid: str, now: float
) -> CurrentSession:
    record = _record(runtime, sid, username, now)
    await runtime.stores.auth.write(lambda changes: record(changes.connection))
    _write_cookie(username, sid, now)
    return CurrentSession(username, sid)


async def end_all_sessions(
    runtime: Runtime, username: str, *, keep_sid: str | None = None
) -> list[str]:
    """End every session of the user (optionally all but one) and tell the listeners."""
    sids = await runtime.stores.auth.write(
        lambda changes: store.revoke_sessions(
            changes.connection, username, time.time(), keep_sid=keep_sid
        )
    )
    await notify_sessions_ended(runtime, username, sids)
    return sids


def register_session_loading(app: Quart, runtime: Runtime) -> None:
    minutes = runtime.settings.session_idle_minutes
    app.config.update(
        SESSION_COOKIE_NAME="session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure only when this server really speaks TLS: if provisioning failed and it
        # fell back to HTTP, a Secure cookie would be dropped and nobody could sign in.
        SESSION_COOKIE_SECURE=runtime.tls is not None,
        PERMANENT_SESSION_LIFETIME=int(minutes * 60) if minutes > 0 else 31 * 86400,
        # The cookie is re-signed when its activity stamp moves (every touch interval,
        # see load_session), so its expiry keeps pace with the server's idle clock
        # without signing a new cookie on every request.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.session_interface = RememberedCookieSessions()

    @app.before_request
    @app.before_websocket
    async def resolve_session() -> None:
        if incoming().endpoint == "static":
            g.minimost_session = None
            return
        signed_in, timed_out_user = await load_session(get_runtime())
        g.minimost_session = signed_in
        if timed_out_user is not None:
            audit("session_timeout", "success", user=timed_out_user)
