"""Typing notices: who is typing where, for the channel's other readers, for 5 seconds."""

from __future__ import annotations

import time

from ..realtime.access import Access
from ..realtime.events import Audience, Signal
from .live import Publish

TYPING_SECONDS = 5
# A tab reports typing at most this often; more would only repeat the same notice.
REPEAT_SECONDS = 2.0


class TypingNotices:
    def __init__(self, access: Access, publish: Publish) -> None:
        self.access = access
        self.publish = publish
        self._last: dict[tuple[str, str], float] = {}

    async def typing(self, username: str, channel: str) -> bool:
        """Tell the channel's other readers; False when the user may not read it."""
        if not isinstance(channel, str) or not self.access.can_read(username, channel):
            return False
        now = time.monotonic()
        key = (username, channel)
        if now - self._last.get(key, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return True
        if len(self._last) > 10_000:
            self._last = {k: t for k, t in self._last.items() if now - t < TYPING_SECONDS}
        self._last[key] = now
        body = {
            "type": "typing",
            "channel": channel,
            "username": username,
            "expires_in": TYPING_SECONDS,
        }
        await self.publish(Signal(Audience(channel=channel), body, exclude=username))
        return True
