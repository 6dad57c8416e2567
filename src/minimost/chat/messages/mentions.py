"""Mentions: ``@name`` of a channel member, or ``@everyone``."""

from __future__ import annotations

import re

from ...channel_ids import parse
from ...identity import users
from ...runtime import Runtime
from ..channels import private_store

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_-]+)")
EVERYONE = "@everyone"


def mention_tokens(text: str) -> set[str]:
    return {token.lower() for token in MENTION.findall(text)}


async def channel_members(runtime: Runtime, channel: str) -> list[str]:
    """Members in their order: participants of a DM, members of a private channel,
    every account for a public channel."""
    parsed = parse(channel)
    if parsed is not None and parsed.is_dm:
        return list(parsed.participants)
    if parsed is not None and parsed.private_id is not None:
        channel_id = parsed.private_id
        members = await runtime.stores.presence.reading(
            lambda connection: private_store.members(connection, channel_id)
        )
        return list(members)
    return await runtime.stores.auth.reading(users.all_usernames)


async def resolve_mentions(runtime: Runtime, channel: str, text: str) -> list[str]:
    """Who the text mentions: ``["@everyone"]``, or members in canonical spelling."""
    tokens = mention_tokens(text)
    if not tokens:
        return []
    if "everyone" in tokens:
        return [EVERYONE]
    return [name for name in await channel_members(runtime, channel) if name.lower() in tokens]
