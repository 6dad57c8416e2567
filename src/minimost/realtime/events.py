"""Events: what changed, who may see it, and the one JSON text every recipient gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..jsoncodec import compact
from .wire import text_frame


@dataclass(frozen=True)
class Audience:
    """Who may see an event: a channel's readers, one user, or every signed-in user."""

    channel: str | None = None
    username: str | None = None

    @classmethod
    def everyone(cls) -> Audience:
        return cls()


@dataclass(frozen=True)
class Event:
    """A logged change. ``id`` comes from the event log, so order is commit order."""

    id: int
    name: str
    audience: Audience
    data: dict[str, Any]
    ts: float
    frame: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Encoded once here; every recipient is handed the same string.
        body = {
            "type": "event",
            "id": self.id,
            "name": self.name,
            "ts": self.ts,
            "data": self.data,
        }
        if self.audience.channel is not None:
            body["channel"] = self.audience.channel
        object.__setattr__(self, "frame", compact(body))

    @cached_property
    def wire(self) -> bytes:
        """The websocket frame, built once for every socket it is written to."""
        return text_frame(self.frame)


@dataclass(frozen=True)
class Signal:
    """An ephemeral notice (presence, typing): delivered live, never logged or replayed."""

    audience: Audience
    body: dict[str, Any]
    exclude: str | None = None
    frame: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame", compact(self.body))

    @cached_property
    def wire(self) -> bytes:
        """The websocket frame, built once for every socket it is written to."""
        return text_frame(self.frame)
