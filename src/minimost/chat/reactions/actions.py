"""Reactions: a named set shared with the browser, one per (message, name, user)."""

from __future__ import annotations

import json
import time
from functools import cache
from importlib import resources
from typing import Any

from ...api import ApiError
from ...db import Changes
from ...realtime import Audience, realtime_of
from ...runtime import Runtime
from ..messages import store

NOT_FOUND = ApiError(404, "not_found", "No such message.")


@cache
def reaction_set() -> tuple[dict[str, str], ...]:
    """The 477 reactions of MiniMost, by name; stored names stay valid across versions."""
    text = resources.files(__package__).joinpath("reactions.json").read_text(encoding="utf-8")
    return tuple(json.loads(text))


@cache
def reaction_names() -> frozenset[str]:
    return frozenset(reaction["name"] for reaction in reaction_set())


async def set_reaction(
    runtime: Runtime, username: str, message_id: int, name: str, *, present: bool
) -> dict[str, Any]:
    """Add or take back the user's reaction; answer the message's reactions after it."""
    if name not in reaction_names():
        raise ApiError(400, "unknown_reaction", f'"{name}" is not one of the reactions.')
    access = realtime_of(runtime).access

    def write(changes: Changes) -> dict[str, Any]:
        row = store.get_message(changes.connection, message_id)
        hidden = row is None or not access.can_read(username, row["channel"], row["ts"])
        if hidden or row["deleted"]:
            raise NOT_FOUND
        channel = row["channel"]
        changed = store.set_reaction(
            changes.connection, message_id, name, username, present=present, now=time.time()
        )
        listed = store.reactions_of(changes.connection, [message_id])
        summary = {"id": message_id, "channel": channel, "reactions": listed.get(message_id, [])}
        if changed:
            changes.record("message.reactions", Audience(channel=channel), summary)
        return summary

    return await runtime.stores.messages.write(write)
