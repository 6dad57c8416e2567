"""Who may read which channel, kept in memory so delivering an event needs no query.

Public channels come from settings; a DM's members are named in its id; private
channel members (with the moment a late joiner's history starts) are loaded at start
and kept current by the actions that change membership.
"""

from __future__ import annotations

from collections.abc import Collection

import aiosqlite

from ..channel_ids import ChannelId, parse
from ..db.database import fetch_all
from .events import Audience

_NOT_A_MEMBER = object()


class Access:
    def __init__(self, public_channels: tuple[str, ...]) -> None:
        self.public = frozenset(public_channels)
        self._private: dict[str, dict[str, float | None]] = {}
        # Per private channel, the latest moment a member's view begins: from then on
        # every member sees everything, whatever its time.
        self._latest_start: dict[str, float] = {}

    async def load_private_members(self, connection: aiosqlite.Connection) -> None:
        rows = await fetch_all(
            connection, "SELECT channel_id, username, history_start_ts FROM private_channel_members"
        )
        members: dict[str, dict[str, float | None]] = {}
        for channel_id, username, history_start in rows:
            members.setdefault(ChannelId.private(channel_id).text, {})[username] = history_start
        self._private = {}
        self._latest_start = {}
        for channel, channel_members in members.items():
            self.set_private_members(channel, channel_members)

    def set_private_members(self, channel: str, members: dict[str, float | None]) -> None:
        self._private[channel] = dict(members)
        starts = [start for start in members.values() if start is not None]
        self._latest_start[channel] = max(starts, default=float("-inf"))

    def private_channels_of(self, username: str) -> list[tuple[str, float | None]]:
        """The private channels the user is in, with when their view of each begins."""
        return [
            (channel, members[username])
            for channel, members in self._private.items()
            if username in members
        ]

    def history_start(self, username: str, channel: str) -> float | None:
        """When a late joiner's view of a private channel begins (None: all of it)."""
        start = self._private.get(channel, {}).get(username)
        return start if isinstance(start, float | int) else None

    def can_read(self, username: str, channel: str, ts: float | None = None) -> bool:
        """Whether the user may read the channel (and, with ``ts``, that moment of it)."""
        if channel in self.public:
            return True
        parsed = parse(channel)
        if parsed is None:
            return False
        if parsed.is_dm:
            return username in parsed.participants
        if parsed.is_private:
            start = self._private.get(channel, {}).get(username, _NOT_A_MEMBER)
            if start is _NOT_A_MEMBER:
                return False
            return start is None or ts is None or ts >= start  # type: ignore[operator]
        return False

    def readers_fixed_from(self, audience: Audience) -> float:
        """From what time on who may see this audience's items no longer depends on the
        item's time (only a private channel's late joiners make it depend on when)."""
        channel = audience.channel
        if channel is None or channel not in self._latest_start:
            return float("-inf")
        return self._latest_start.get(channel, float("-inf"))

    def readers(self, audience: Audience, ts: float | None = None) -> Collection[str] | None:
        """The users who may see an item for this audience at ``ts``; None for every
        signed-in user. Delivery asks this once per item, not once per connection."""
        channel = audience.channel
        if channel is None:
            return None if audience.username is None else (audience.username,)
        if channel in self.public:
            return None
        parsed = parse(channel)
        if parsed is None:
            return ()
        if parsed.is_dm:
            return parsed.participants
        members = self._private.get(channel)
        if members is None or not parsed.is_private:
            return ()
        if ts is None or ts >= self._latest_start.get(channel, float("-inf")):
            return members.keys()
        return [name for name, start in members.items() if start is None or ts >= start]

    def can_see(self, username: str, audience: Audience, ts: float | None = None) -> bool:
        if audience.channel is not None:
            return self.can_read(username, audience.channel, ts)
        if audience.username is not None:
            return audience.username == username
        return True
