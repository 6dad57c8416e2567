"""Private channels: any member may rename, add someone, or leave; late joiners see only
what comes after they joined."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from ...api import ApiError
from ...channel_ids import ChannelId
from ...db import Changes
from ...identity import users
from ...realtime import Audience, realtime_of
from ...runtime import Runtime
from ..messages import store
from ..relayed import NOTICE
from . import private_store

MAX_NAME_CHARS = 80
NOT_FOUND = ApiError(404, "not_found", "No such channel.")


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ApiError(400, "invalid", "A channel name is required.")
    if len(name) > MAX_NAME_CHARS:
        raise ApiError(400, "invalid", f"Channel names can be at most {MAX_NAME_CHARS} characters.")
    return name


async def _canonical_accounts(runtime: Runtime, names: list[str]) -> list[str]:
    """The names that are accounts, in each account's own spelling, each once."""

    def canonical(connection: sqlite3.Connection) -> list[str]:
        found: list[str] = []
        for name in names:
            user = users.find_user(connection, name.strip())
            if user is not None and user["username"] not in found:
                found.append(user["username"])
        return found

    return await runtime.stores.auth.reading(canonical)


async def _membership(runtime: Runtime, username: str, channel_id: int) -> dict[str, Any]:
    name, members = await runtime.stores.presence.reading(
        lambda connection: (
            private_store.name_of(connection, channel_id),
            private_store.members(connection, channel_id),
        )
    )
    if name is None or username not in members:
        raise NOT_FOUND
    return {"name": name, "members": members}


def _summary(channel_id: int, name: str, members: dict[str, float | None]) -> dict[str, Any]:
    return {
        "id": channel_id,
        "channel": ChannelId.private(channel_id).text,
        "name": name,
        "members": list(members),
    }


def _announce(
    changes: Changes, event: str, summary: dict[str, Any], notice: str | None, now: float
) -> None:
    """Record the channel's notice (if any) and its new state, with the change."""
    audience = Audience(channel=summary["channel"])
    if notice is not None:
        changes.record(NOTICE, audience, {"text": notice, "ts": now})
    changes.record(event, audience, summary)


async def create(runtime: Runtime, creator: str, name: str, members: list[str]) -> dict[str, Any]:
    """A new private channel; founders see its whole history, and there is no notice."""
    name = _checked_name(name)
    accounts = await _canonical_accounts(runtime, [creator, *members])
    now = time.time()
    membership: dict[str, float | None] = dict.fromkeys(accounts)

    def write(changes: Changes) -> dict[str, Any]:
        channel_id = private_store.create(changes.connection, name, creator, accounts, now)
        summary = _summary(channel_id, name, membership)
        _announce(changes, "channel.created", summary, None, now)
        return summary

    access = realtime_of(runtime).access
    return await runtime.stores.presence.write(
        write, then=lambda summary: access.set_private_members(summary["channel"], membership)
    )


async def rename(runtime: Runtime, username: str, channel_id: int, name: str) -> dict[str, Any]:
    current = await _membership(runtime, username, channel_id)
    name = _checked_name(name)
    summary = _summary(channel_id, name, current["members"])
    notice = f'{username} has renamed the channel to "{name}"'
    now = time.time()

    def write(changes: Changes) -> None:
        private_store.rename(changes.connection, channel_id, name)
        _announce(changes, "channel.updated", summary, notice, now)

    await runtime.stores.presence.write(write)
    return summary


async def add_member(
    runtime: Runtime, username: str, channel_id: int, newcomer: str
) -> dict[str, Any]:
    current = await _membership(runtime, username, channel_id)
    if not newcomer.strip():
        raise ApiError(400, "invalid", "Say who to add.")
    accounts = await _canonical_accounts(runtime, [newcomer])
    if not accounts:
        raise ApiError(404, "not_found", f"No account named {newcomer.strip()}.")
    (added,) = accounts
    if added in current["members"]:
        raise ApiError(409, "conflict", f"{added} is already a member.")
    now = time.time()
    members = {**current["members"], added: now}
    summary = _summary(channel_id, current["name"], members)
    notice = f"{username} added {added} to this channel"

    def write(changes: Changes) -> None:
        private_store.add_member(changes.connection, channel_id, added, now)
        _announce(changes, "channel.updated", summary, notice, now)

    access = realtime_of(runtime).access
    await runtime.stores.presence.write(
        write, then=lambda _: access.set_private_members(summary["channel"], members)
    )
    return summary


async def leave(runtime: Runtime, username: str, channel_id: int) -> None:
    current = await _membership(runtime, username, channel_id)
    members = {name: start for name, start in current["members"].items() if name != username}
    channel = ChannelId.private(channel_id).text
    now = time.time()

    def write(changes: Changes) -> None:
        private_store.remove_member(changes.connection, channel_id, username)
        changes.record(
            "channel.left", Audience(username=username), {"channel": channel, "id": channel_id}
        )
        if members:
            summary = _summary(channel_id, current["name"], members)
            _announce(changes, "channel.updated", summary, f"{username} has left the channel", now)

    access = realtime_of(runtime).access
    await runtime.stores.presence.write(
        write, then=lambda _: access.set_private_members(channel, members)
    )


async def channels_of(runtime: Runtime, username: str) -> list[dict[str, Any]]:
    """The user's private channels with members and unread counts."""

    def mine(connection: sqlite3.Connection) -> list[tuple[int, str, dict[str, float | None]]]:
        return [
            (channel_id, name, private_store.members(connection, channel_id))
            for channel_id, name in private_store.channels_of(connection, username)
        ]

    rows = await runtime.stores.presence.reading(mine)

    def with_unread(connection: sqlite3.Connection) -> list[dict[str, Any]]:
        listed = []
        for channel_id, name, members in rows:
            summary = _summary(channel_id, name, members)
            summary["unread"] = store.unread_count(
                connection, username, summary["channel"], since=members.get(username)
            )
            listed.append(summary)
        return listed

    return await runtime.stores.messages.reading(with_unread)
