"""Private channels: any member may rename, add someone, or leave; late joiners see only
what comes after they joined."""

from __future__ import annotations

import time
from typing import Any

from ..api import ApiError
from ..auth import store as auth_store
from ..realtime import Audience, realtime_of, recorded_changes
from ..runtime import Runtime
from . import private_store, store

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
    found: list[str] = []
    async with runtime.stores.auth.read() as connection:
        for name in names:
            user = await auth_store.find_user(connection, name.strip())
            if user is not None and user["username"] not in found:
                found.append(user["username"])
    return found


async def _membership(runtime: Runtime, username: str, channel_id: int) -> dict[str, Any]:
    async with runtime.stores.presence.read() as connection:
        name = await private_store.name_of(connection, channel_id)
        members = await private_store.members(connection, channel_id)
    if name is None or username not in members:
        raise NOT_FOUND
    return {"name": name, "members": members}


def _summary(channel_id: int, name: str, members: dict[str, float | None]) -> dict[str, Any]:
    return {
        "id": channel_id,
        "channel": f"private:{channel_id}",
        "name": name,
        "members": list(members),
    }


async def _announce(
    runtime: Runtime,
    channel: str,
    event: str,
    summary: dict[str, Any],
    notice: str | None,
    now: float,
) -> None:
    async with recorded_changes(runtime) as changes:
        if notice is not None:
            message = await store.insert_system_notice(changes.connection, channel, notice, now)
            await changes.record("message.created", Audience(channel=channel), message)
        await changes.record(event, Audience(channel=channel), summary)


async def create(runtime: Runtime, creator: str, name: str, members: list[str]) -> dict[str, Any]:
    """A new private channel; founders see its whole history, and there is no notice."""
    name = _checked_name(name)
    accounts = await _canonical_accounts(runtime, [creator, *members])
    now = time.time()
    async with runtime.stores.presence.transaction() as connection:
        channel_id = await private_store.create(connection, name, creator, accounts, now)
    membership = dict.fromkeys(accounts)
    realtime_of(runtime).access.set_private_members(f"private:{channel_id}", membership)
    summary = _summary(channel_id, name, membership)
    await _announce(runtime, summary["channel"], "channel.created", summary, None, now)
    return summary


async def rename(runtime: Runtime, username: str, channel_id: int, name: str) -> dict[str, Any]:
    current = await _membership(runtime, username, channel_id)
    name = _checked_name(name)
    async with runtime.stores.presence.transaction() as connection:
        await private_store.rename(connection, channel_id, name)
    summary = _summary(channel_id, name, current["members"])
    notice = f'{username} has renamed the channel to "{name}"'
    await _announce(runtime, summary["channel"], "channel.updated", summary, notice, time.time())
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
    async with runtime.stores.presence.transaction() as connection:
        await private_store.add_member(connection, channel_id, added, now)
    members = {**current["members"], added: now}
    channel = f"private:{channel_id}"
    realtime_of(runtime).access.set_private_members(channel, members)
    summary = _summary(channel_id, current["name"], members)
    notice = f"{username} added {added} to this channel"
    await _announce(runtime, channel, "channel.updated", summary, notice, now)
    return summary


async def leave(runtime: Runtime, username: str, channel_id: int) -> None:
    current = await _membership(runtime, username, channel_id)
    async with runtime.stores.presence.transaction() as connection:
        await private_store.remove_member(connection, channel_id, username)
    members = {name: start for name, start in current["members"].items() if name != username}
    channel = f"private:{channel_id}"
    realtime_of(runtime).access.set_private_members(channel, members)
    now = time.time()
    async with recorded_changes(runtime) as changes:
        await changes.record(
            "channel.left", Audience(username=username), {"channel": channel, "id": channel_id}
        )
    if members:
        summary = _summary(channel_id, current["name"], members)
        notice = f"{username} has left the channel"
        await _announce(runtime, channel, "channel.updated", summary, notice, now)


async def channels_of(runtime: Runtime, username: str) -> list[dict[str, Any]]:
    """The user's private channels with members and unread counts."""
    async with runtime.stores.presence.read() as connection:
        rows = await private_store.channels_of(connection, username)
        memberships = {
            channel_id: await private_store.members(connection, channel_id)
            for channel_id, _ in rows
        }
    listed = []
    async with runtime.stores.messages.read() as connection:
        for channel_id, name in rows:
            summary = _summary(channel_id, name, memberships[channel_id])
            start = memberships[channel_id].get(username)
            summary["unread"] = await store.unread_count(
                connection, username, summary["channel"], since=start
            )
            listed.append(summary)
    return listed
