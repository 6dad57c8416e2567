"""Account state changes: each one writes its rows, ends sessions and audits, in one place."""

from __future__ import annotations

import asyncio
import math
import os
import re
import secrets
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..channel_ids import ChannelId
from ..db import Changes
from ..identity import accounts_of, roles, sessions, users
from ..identity.events import ACCOUNT_CREATED, ACCOUNT_REMOVED, NOTICE
from ..identity.users import avatar_url, profile_summary
from ..realtime import Audience
from ..runtime import Runtime
from ..web.audit_trail import audit
from . import store
from .avatars import normalize_avatar
from .passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordPolicy,
    hash_password_async,
    lockout_message,
    matches_any_async,
    username_failure,
    verify_password_async,
)

INVALID_CREDENTIALS = "Invalid credentials"
PASSWORD_EXPIRED = (
    "Your password has expired. Ask an administrator to reset it (minimost reset-password)."
)
NAME_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_BIO_CHARS = 160


class AccountError(ValueError):
    """A refused change; the message is shown to the user as is."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def policy(runtime: Runtime) -> PasswordPolicy:
    return PasswordPolicy.from_settings(runtime.settings)


def welcome_text(username: str) -> str:
    return f"Welcome to MiniMost, {username}! 👋 Say hello 👋"


def dm_channel(*usernames: str) -> str:
    """The canonical DM channel name: participants in code-point order."""
    return ChannelId.dm(*usernames).text


# -- signing up, in and out ---------------------------------------------------------------


async def sign_up(runtime: Runtime, username: str, password: str, confirm: str) -> str:
    """Create an account and welcome it; return the username."""
    username = username.strip()
    if not username or not password:
        raise AccountError("Missing fields")
    failure = username_failure(username) or policy(runtime).new_password_failure(password, confirm)
    if failure:
        raise AccountError(failure)
    if await runtime.stores.auth.reading(
        lambda connection: store.username_is_taken(connection, username)
    ):
        raise AccountError("User already exists")
    password_hash = await hash_password_async(password)
    now = time.time()
    channels = runtime.settings.channels
    history = runtime.settings.password_history_count

    def write(changes: Changes) -> None:
        connection = changes.connection
        if store.username_is_taken(connection, username):
            raise AccountError("User already exists")
        store.insert_user(connection, username, password_hash, now)
        if store.is_first_account(connection):
            roles.grant(connection, username, now)
        store.append_password_history(connection, username, password_hash, now, history)
        newcomer = {"username": username, "channels": list(channels), "ts": now}
        changes.record(ACCOUNT_CREATED, Audience.everyone(), newcomer)
        welcome = {"text": welcome_text(username), "ts": max(time.time(), now + 1e-6)}
        changes.record(NOTICE, Audience(channel=channels[0]), welcome)
        changes.record("user.created", Audience.everyone(), {"username": username})

    try:
        await runtime.stores.auth.write(write)
    except sqlite3.IntegrityError as error:
        raise AccountError("User already exists") from error
    await accounts_of(runtime).account_created(username)
    audit("account_create", "success", user=username)
    return username


async def sign_in(runtime: Runtime, username: str, password: str) -> str:
    """Check credentials, lockout and password age; return the canonical username."""
    typed = username.strip()
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(INVALID_CREDENTIALS)
    settings = runtime.settings
    now = time.time()
    user = await runtime.stores.auth.reading(lambda connection: users.find_user(connection, typed))
    if user is None:
        audit("login", "failure", user=typed)
        raise AccountError(INVALID_CREDENTIALS)
    canonical = user["username"]
    locked_until = user["lockout_until"]
    if settings.max_login_attempts > 0 and locked_until and locked_until > now:
        audit("login", "failure", user=canonical, detail="account locked")
        raise AccountError(lockout_message(int((locked_until - now) // 60) + 1))
    if not await verify_password_async(user["password_hash"], password):
        locked = await runtime.stores.auth.write(
            lambda changes: store.record_failed_login(
                changes.connection,
                canonical,
                max_attempts=settings.max_login_attempts,
                lockout_seconds=settings.lockout_duration_minutes * 60,
                now=now,
            )
        )
        audit("login", "failure", user=canonical)
        if locked is None:
            raise AccountError(INVALID_CREDENTIALS)
        audit(
            "account_lockout",
            "success",
            user=canonical,
            detail="account locked after consecutive failed logins",
        )
        raise AccountError(lockout_message(math.ceil(settings.lockout_duration_minutes)))
    await runtime.stores.auth.write(
        lambda changes: store.clear_failed_logins(changes.connection, canonical)
    )
    if policy(runtime).is_expired(user["password_set_ts"], now):
        audit(
            "password_expired",
            "failure",
            user=canonical,
            detail="login refused; password past maximum age",
        )
        raise AccountError(PASSWORD_EXPIRED)
    return canonical


async def open_session(runtime: Runtime, username: str) -> None:
    """Start the signed-in session (presence follows once a tab connects)."""
    await sessions.start_session(runtime, username)
    audit("login", "success", user=username)


async def sign_out(runtime: Runtime, signed_in: sessions.CurrentSession) -> None:
    """Sign out here and everywhere else, and show the user offline at once."""
    await sessions.end_all_sessions(runtime, signed_in.username)
    sessions.forget_cookie()
    await accounts_of(runtime).account_signed_out(signed_in.username)
    audit("logout", "success", user=signed_in.username)


# -- passwords ------------------------------------------------------------------------------


async def _reused(runtime: Runtime, username: str, password: str) -> bool:
    count = runtime.settings.password_history_count
    if count <= 0:
        return False
    hashes = await runtime.stores.auth.reading(
        lambda connection: store.recent_password_hashes(connection, username, count)
    )
    return await matches_any_async(hashes, password)


async def _store_new_password(runtime: Runtime, username: str, password: str) -> None:
    password_hash = await hash_password_async(password)
    now = time.time()
    history = runtime.settings.password_history_count

    def write(changes: Changes) -> None:
        store.set_password(changes.connection, username, password_hash, now)
        store.append_password_history(changes.connection, username, password_hash, now, history)

    await runtime.stores.auth.write(write)


async def change_password(
    runtime: Runtime,
    signed_in: sessions.CurrentSession,
    current: str,
    new: str,
    confirm: str,
) -> None:
    """A user's own change: current password, minimum age, rules, reuse; other sessions end."""
    user = await runtime.stores.auth.reading(
        lambda connection: users.find_user(connection, signed_in.username)
    )
    if user is None or not await verify_password_async(user["password_hash"], current):
        audit("password_change", "failure", user=signed_in.username)
        raise AccountError("Current password is incorrect")
    rules = policy(runtime)
    failure = rules.too_recent_message(
        user["password_set_ts"], time.time()
    ) or rules.new_password_failure(new, confirm)
    if failure:
        raise AccountError(failure)
    if await _reused(runtime, signed_in.username, new):
        raise AccountError(rules.reuse_message())
    await _store_new_password(runtime, signed_in.username, new)
    new_sid = await sessions.rotate_session_id(runtime, signed_in)
    await sessions.end_all_sessions(runtime, signed_in.username, keep_sid=new_sid)
    audit("password_change", "success", user=signed_in.username)


@dataclass(frozen=True)
class ResetLink:
    username: str
    token: str
    minutes: int


def reset_notice(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "A password reset has been requested for your account. The reset link will expire "
        f"in {minutes} {unit}. If you did not request this, please contact your "
        "administrators."
    )


async def create_reset_link(runtime: Runtime, username: str, minutes: int) -> ResetLink:
    """An admin's one-time link; the user also gets a notice from MiniMost."""
    user = await runtime.stores.auth.reading(
        lambda connection: users.find_user(connection, username)
    )
    if user is None:
        raise AccountError(f"user '{username}' does not exist")
    canonical = user["username"]
    token = secrets.token_urlsafe(32)
    now = time.time()
    channel = dm_channel("system", canonical)

    def write(changes: Changes) -> None:
        store.create_reset_token(changes.connection, token, canonical, now + minutes * 60)
        notice = {"text": reset_notice(minutes), "ts": now}
        changes.record(NOTICE, Audience(channel=channel), notice)

    await runtime.stores.auth.write(write)
    return ResetLink(canonical, token, minutes)


async def reset_link_user(runtime: Runtime, token: str) -> str | None:
    """The account a still-usable reset link belongs to, else None."""
    now = time.time()

    def look_up(connection: sqlite3.Connection) -> users.Row | None:
        row = store.usable_reset_token(connection, token, now)
        return users.find_user(connection, row["username"]) if row else None

    user = await runtime.stores.auth.reading(look_up)
    return user["username"] if user is not None else None


async def reset_password(runtime: Runtime, token: str, new: str, confirm: str) -> str:
    """Use a reset link (exempt from minimum age); every session of the user ends."""
    username = await reset_link_user(runtime, token)
    if username is None:
        raise AccountError("Link invalid or expired", status=404)
    rules = policy(runtime)
    failure = rules.new_password_failure(new, confirm)
    if failure:
        raise AccountError(failure)
    if await _reused(runtime, username, new):
        raise AccountError(rules.reuse_message())
    await _store_new_password(runtime, username, new)
    await runtime.stores.auth.write(
        lambda changes: store.mark_reset_token_used(changes.connection, token)
    )
    await sessions.end_all_sessions(runtime, username)
    audit("password_reset", "success", user=username)
    return username


# -- profile and avatar -------------------------------------------------------------------------


async def user_directory(runtime: Runtime) -> list[dict[str, Any]]:
    """Everyone's public profile, for pickers and member lists in the client."""
    found = await runtime.stores.auth.reading(store.directory)
    return [
        {
            "username": row["username"],
            "name_color": row["name_color"],
            "bio": row["bio"],
            "avatar_url": avatar_url(row["username"], row["avatar_file"]),
            "role": row["role"],
        }
        for row in found
    ]


async def update_profile(
    runtime: Runtime, username: str, name_color: str | None, bio: str | None
) -> dict[str, Any]:
    if name_color is not None:
        name_color = name_color.strip() or None
    if name_color is not None and not NAME_COLOR.fullmatch(name_color):
        raise AccountError("Name colour must be a colour like #3a7bf0.")
    if bio is not None:
        bio = bio.strip() or None
    if bio is not None and len(bio) > MAX_BIO_CHARS:
        raise AccountError(f"Your bio can be at most {MAX_BIO_CHARS} characters.")

    def write(changes: Changes) -> dict[str, Any]:
        store.save_profile(changes.connection, username, name_color, bio)
        return _announce_profile(changes, username)

    return await runtime.stores.auth.write(write)


def _announce_profile(changes: Changes, username: str) -> dict[str, Any]:
    """Tell every client how the user now looks (name colour, bio, avatar)."""
    summary = profile_summary(username, users.profile(changes.connection, username))
    changes.record("user.updated", Audience.everyone(), summary)
    return summary


def avatar_path(runtime: Runtime, avatar_file: str) -> Path:
    return runtime.data_root.avatars_dir / Path(avatar_file).name


async def set_avatar(runtime: Runtime, username: str, upload: bytes) -> str:
    """Store our own square JPEG of the upload; the previous avatar file is removed."""
    if len(upload) > runtime.settings.max_avatar_bytes:
        raise AccountError(
            f"Avatars can be at most {runtime.settings.max_avatar_size_mb:g} MB.", status=413
        )
    try:
        jpeg = await asyncio.to_thread(normalize_avatar, upload)
    except ValueError as error:
        raise AccountError(str(error)) from error
    filename = f"{uuid.uuid4().hex}.jpg"
    await asyncio.to_thread(_write_file_atomically, avatar_path(runtime, filename), jpeg)

    def write(changes: Changes) -> tuple[str | None, dict[str, Any]]:
        previous = store.set_avatar_file(changes.connection, username, filename)
        return previous, _announce_profile(changes, username)

    previous, summary = await runtime.stores.auth.write(write)
    if previous:
        await asyncio.to_thread(_remove_quietly, avatar_path(runtime, previous))
    return summary["avatar_url"]


async def remove_avatar(runtime: Runtime, username: str) -> None:

    def write(changes: Changes) -> str | None:
        previous = store.set_avatar_file(changes.connection, username, None)
        _announce_profile(changes, username)
        return previous

    previous = await runtime.stores.auth.write(write)
    if previous:
        await asyncio.to_thread(_remove_quietly, avatar_path(runtime, previous))


async def avatar_file_of(runtime: Runtime, username: str) -> Path | None:
    row = await runtime.stores.auth.reading(lambda connection: users.profile(connection, username))
    if row is None or not row["avatar_file"]:
        return None
    path = avatar_path(runtime, row["avatar_file"])
    return path if path.is_file() else None


def _write_file_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)


# -- leaving ---------------------------------------------------------------------------------


async def delete_account(
    runtime: Runtime,
    signed_in: sessions.CurrentSession,
    mode: Literal["soft", "hard"] | str,
    password: str,
) -> None:
    """Soft: messages stay as "Deleted User". Hard: messages and reactions go too."""
    if mode not in ("soft", "hard"):
        raise AccountError("Invalid delete type.")
    username = signed_in.username
    user = await runtime.stores.auth.reading(
        lambda connection: users.find_user(connection, username)
    )
    if user is None or not await verify_password_async(user["password_hash"], password):
        raise AccountError("Incorrect password.", status=403)
    await _refuse_last_admin(runtime, username)
    avatar = await avatar_file_of(runtime, username)
    await accounts_of(runtime).account_removed(username)
    await sessions.end_all_sessions(runtime, username)
    now = time.time()

    def write(changes: Changes) -> None:
        if roles.is_only_admin(changes.connection, username):
            raise AccountError(roles.last_admin_message(username), status=409)
        store.delete_account_rows(changes.connection, username, now)
        removed = {"username": username, "mode": mode, "ts": now}
        changes.record(ACCOUNT_REMOVED, Audience.everyone(), removed)
        changes.record("user.deleted", Audience.everyone(), {"username": username, "mode": mode})

    await runtime.stores.auth.write(write)
    if avatar is not None:
        await asyncio.to_thread(_remove_quietly, avatar)
    sessions.forget_cookie()
    audit("account_remove", "success", user=username, detail=f"type={mode}")


async def _refuse_last_admin(runtime: Runtime, username: str) -> None:
    """Refuse before any session ends: a server must keep someone who can administer it."""
    if await runtime.stores.auth.reading(
        lambda connection: roles.is_only_admin(connection, username)
    ):
        raise AccountError(roles.last_admin_message(username), status=409)
