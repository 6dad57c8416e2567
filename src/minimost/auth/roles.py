"""Role changes and the people list: one action per change, each recorded and audited."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from ..db import Changes
from ..db.database import select_all
from ..identity import roles, users
from ..identity.roles import ADMIN, MEMBER, ROLE_CHANGED, Role
from ..realtime import Audience
from ..runtime import Runtime
from ..web.audit_trail import audit
from .actions import AccountError


def _canonical(connection: sqlite3.Connection, username: str) -> str:
    user = users.find_user(connection, username)
    if user is None:
        raise AccountError(f"user '{username}' does not exist", status=404)
    return str(user["username"])


async def grant_admin(runtime: Runtime, username: str, by: str | None = None) -> tuple[str, bool]:
    """Make a person an admin; return their name and whether that changed anything."""
    now = time.time()

    def write(changes: Changes) -> tuple[str, bool]:
        canonical = _canonical(changes.connection, username)
        changed = roles.grant(changes.connection, canonical, now)
        if changed:
            changes.record(
                ROLE_CHANGED, Audience.everyone(), {"username": canonical, "role": ADMIN}
            )
        return canonical, changed

    canonical, changed = await runtime.stores.auth.write(write)
    if changed:
        audit("role_change", "success", user=by, detail=f"{canonical} is now an admin")
    return canonical, changed


async def revoke_admin(runtime: Runtime, username: str, by: str | None = None) -> tuple[str, bool]:
    """Make an admin a member again, unless they are the last admin (409)."""

    def write(changes: Changes) -> tuple[str, bool]:
        canonical = _canonical(changes.connection, username)
        if roles.is_only_admin(changes.connection, canonical):
            raise AccountError(roles.last_admin_message(canonical), status=409)
        changed = roles.revoke(changes.connection, canonical)
        if changed:
            changes.record(
                ROLE_CHANGED, Audience.everyone(), {"username": canonical, "role": MEMBER}
            )
        return canonical, changed

    try:
        canonical, changed = await runtime.stores.auth.write(write)
    except AccountError as error:
        audit("role_change", "failure", user=by, detail=str(error))
        raise
    if changed:
        audit("role_change", "success", user=by, detail=f"{canonical} is now a member")
    return canonical, changed


async def role_of(runtime: Runtime, username: str) -> Role:
    return await runtime.stores.auth.reading(lambda connection: roles.role_of(connection, username))


async def admin_names(runtime: Runtime) -> list[str]:
    return await runtime.stores.auth.reading(roles.admins)


async def people(runtime: Runtime) -> list[dict[str, Any]]:
    """Every account with its role, when it was last active and its open sessions."""
    since = time.time() - runtime.settings.session_idle_minutes * 60

    def look_up(connection: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = select_all(
            connection,
            "SELECT u.username, r.username IS NOT NULL AS admin, "
            "(SELECT MAX(last_active_ts) FROM sessions AS s WHERE s.username = u.username) "
            "AS last_seen, (SELECT COUNT(*) FROM sessions AS s WHERE s.username = u.username "
            "AND s.last_active_ts > ?) AS open_sessions "
            "FROM users AS u LEFT JOIN roles AS r ON r.username = u.username ORDER BY u.rowid",
            (since,),
        )
        return [
            {
                "username": row["username"],
                "role": ADMIN if row["admin"] else MEMBER,
                "last_seen": row["last_seen"],
                "open_sessions": row["open_sessions"],
            }
            for row in rows
        ]

    return await runtime.stores.auth.reading(look_up)
