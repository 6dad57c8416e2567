"""Channel ids, parsed and built in one place: public names, ``dm:<a>:<b>…``, ``private:<n>``.

Chat, realtime and calls all read channel ids; they ask this module what an id means
instead of splitting strings themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DM_PREFIX = "dm:"
PRIVATE_PREFIX = "private:"
# Private channel ids are SQLite integer keys.
MAX_PRIVATE_ID = 2**63 - 1
MAX_PUBLIC_NAME = 80

Kind = Literal["public", "dm", "private"]


@dataclass(frozen=True, slots=True)
class ChannelId:
    """One channel id as sent by clients and stored with messages."""

    text: str
    kind: Kind
    participants: tuple[str, ...] = ()
    private_id: int | None = None

    def __str__(self) -> str:
        return self.text

    @classmethod
    def dm(cls, *usernames: str) -> ChannelId:
        """The one name of a DM: participants in code-point order, each once."""
        names = tuple(sorted(set(usernames)))
        if len(names) < 2 or not all(names) or any(":" in name for name in names):
            raise ValueError(f"A DM needs two or more distinct names without ':': {usernames!r}")
        return cls(DM_PREFIX + ":".join(names), "dm", participants=names)

    @classmethod
    def private(cls, channel_id: int) -> ChannelId:
        if not 0 <= channel_id <= MAX_PRIVATE_ID:
            raise ValueError(f"Private channel ids are 0 to {MAX_PRIVATE_ID}: {channel_id}")
        return cls(f"{PRIVATE_PREFIX}{channel_id}", "private", private_id=channel_id)

    @property
    def is_dm(self) -> bool:
        return self.kind == "dm"

    @property
    def is_private(self) -> bool:
        return self.kind == "private"

    @property
    def canonical(self) -> bool:
        """Whether this is the one spelling of its channel (a DM written out of order
        or with a name twice reads as its participants but may not be posted to)."""
        if self.kind != "dm":
            return True
        names = set(self.participants)
        return len(names) >= 2 and self.text == DM_PREFIX + ":".join(sorted(names))


def parse(text: str) -> ChannelId | None:
    """What a channel id names, or None for text that is no channel id at all."""
    if text.startswith(DM_PREFIX):
        participants = tuple(text[len(DM_PREFIX) :].split(":"))
        if len(participants) < 2 or not all(participants):
            return None
        return ChannelId(text, "dm", participants=participants)
    if text.startswith(PRIVATE_PREFIX):
        digits = text[len(PRIVATE_PREFIX) :]
        if not (0 < len(digits) <= len(str(MAX_PRIVATE_ID)) and digits.isascii()):
            return None
        if not digits.isdigit() or str(int(digits)) != digits:
            return None
        number = int(digits)
        return None if number > MAX_PRIVATE_ID else ChannelId(text, "private", private_id=number)
    if not text or len(text) > MAX_PUBLIC_NAME or text != text.strip():
        return None
    if ":" in text or "/" in text:
        return None
    return ChannelId(text, "public")


def dm_participants(channel: str) -> tuple[str, ...]:
    """The names a DM id lists (as written); empty for any other channel."""
    parsed = parse(channel)
    return parsed.participants if parsed is not None else ()
