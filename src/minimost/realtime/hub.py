"""The hub: every open websocket of this process, and delivery to the right ones.

Delivery never waits on a client. A live connection whose socket has room and nothing
queued gets the frame written at once (``wire.py``); otherwise it goes to the
connection's bounded queue, drained in order by its own writer. A connection whose
queue overflows (a client that stopped reading) is closed with "resync"; everyone
else carries on at full speed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..jsoncodec import compact
from .access import Access
from .events import Event, Signal
from .wire import Corked, Wire, text_frame

CLOSE_RESYNC = 4000
CLOSE_SIGNED_OUT = 4001
CLOSE_HEARTBEAT = 4002
CLOSE_TOO_MANY = 4003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009

PING_FRAME = compact({"type": "ping"})

Frame = Event | Signal | str


@dataclass(eq=False)
class Connection:
    """One open websocket of one signed-in user."""

    id: int
    username: str
    sid: str
    queue: asyncio.Queue[Frame]
    missed_pings: int = 0
    reported_state: str = "active"
    close_code: int | None = None
    close_reason: str = ""
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    last_sent: int = 0
    wire: Wire | None = None
    writing: bool = False

    def offer(self, frame: Frame) -> bool:
        """Send or queue a frame without waiting; an overflowing client is told to resync.

        The frame is written at once only when nothing is ahead of it (an empty queue,
        no frame in the writer's hands) and the socket has room, so order is kept.
        """
        if self.closing.is_set():
            return False
        wire = self.wire
        if wire is not None and not self.writing and self.queue.empty() and wire.has_room:
            if wire.open:
                self.write_now(wire, frame)
            return True
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close(CLOSE_RESYNC, "resync")
            return False
        return True

    def refuse(self, message: str, **details: Any) -> None:
        """Tell this client a frame of theirs was not taken, and why."""
        self.offer(compact({"type": "error", "message": message, **details}))

    def offer_all(self, frames: list[Frame]) -> None:
        """``offer`` several frames in order, deciding once how they travel."""
        if self.closing.is_set():
            return
        wire = self.wire
        if wire is not None and not self.writing and self.queue.empty() and wire.has_room:
            if wire.open:
                for frame in frames:
                    self.write_now(wire, frame)
            return
        for frame in frames:
            try:
                self.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self.close(CLOSE_RESYNC, "resync")
                return

    def text_to_send(self, frame: Frame) -> str | None:
        """The frame's text, or None for an event the client already has (replayed)."""
        if isinstance(frame, str):
            return frame
        if isinstance(frame, Signal):
            return frame.frame
        if frame.id <= self.last_sent:
            return None
        self.last_sent = frame.id
        return frame.frame

    def write_now(self, wire: Wire, frame: Frame) -> None:
        if isinstance(frame, str):
            wire.write(text_frame(frame))
        elif isinstance(frame, Signal):
            wire.write(frame.wire)
        elif frame.id > self.last_sent:
            self.last_sent = frame.id
            wire.write(frame.wire)

    def close(self, code: int, reason: str) -> None:
        if not self.closing.is_set():
            self.close_code, self.close_reason = code, reason
            self.closing.set()


class Hub:
    def __init__(self, access: Access, *, queue_size: int, max_per_user: int) -> None:
        self.access = access
        self.queue_size = queue_size
        self.max_per_user = max_per_user
        self._by_user: dict[str, set[Connection]] = {}
        self._ids = itertools.count(1)
        self.corked = Corked()

    @property
    def connections(self) -> list[Connection]:
        return [connection for group in self._by_user.values() for connection in group]

    def connections_of(self, username: str) -> set[Connection]:
        return set(self._by_user.get(username, ()))

    def register(self, username: str, sid: str) -> Connection | None:
        """Add a connection, or None when the user already has the most allowed.

        The newest is refused rather than the oldest closed: closing the oldest would
        let two tabs beyond the limit knock each other out forever.
        """
        group = self._by_user.setdefault(username, set())
        if len(group) >= self.max_per_user:
            return None
        connection = Connection(
            next(self._ids), username, sid, asyncio.Queue(maxsize=self.queue_size)
        )
        group.add(connection)
        return connection

    def unregister(self, connection: Connection) -> bool:
        """Remove a connection; return whether it was the user's last."""
        group = self._by_user.get(connection.username)
        if group is None:
            return True
        group.discard(connection)
        if not group:
            del self._by_user[connection.username]
            return True
        return False

    def deliver(self, items: Sequence[Event | Signal]) -> None:
        """Queue events and signals, in order, for every connection allowed to see each.

        The events of one commit come together: each connection then gets its share in
        one ``offer_all``, and a run of items for the same audience is matched against
        the connections once (unless a late joiner's start makes it depend on the time).
        """
        if len(items) == 1:
            item = items[0]
            for connection in self._audience_of(item):
                connection.offer(item)
            return
        shares: dict[Connection, list[Frame]] = {}
        index, count = 0, len(items)
        while index < count:
            item = items[index]
            run_end = index + 1
            if isinstance(item, Event):
                fixed_from = self.access.readers_fixed_from(item.audience)
                if item.ts >= fixed_from:
                    while run_end < count and self._joins_run(items[run_end], item, fixed_from):
                        run_end += 1
            run = items[index:run_end]
            for connection in self._audience_of(item):
                share = shares.get(connection)
                if share is None:
                    shares[connection] = list(run)
                else:
                    share.extend(run)
            index = run_end
        for connection, share in shares.items():
            connection.offer_all(share)

    @staticmethod
    def _joins_run(item: Event | Signal, first: Event, fixed_from: float) -> bool:
        """Whether an item has the same readers as the run ``first`` starts."""
        return isinstance(item, Event) and item.audience == first.audience and item.ts >= fixed_from

    def _audience_of(self, item: Event | Signal) -> list[Connection]:
        """The connections allowed to see one item."""
        if isinstance(item, Event):
            readers = self.access.readers(item.audience, item.ts)
            exclude = None
        else:
            readers = self.access.readers(item.audience)
            exclude = item.exclude
        if readers is None:
            return [connection for connection in self.connections if connection.username != exclude]
        by_user = self._by_user
        return [
            connection
            for username in readers
            if username != exclude and username in by_user
            for connection in by_user[username]
        ]

    def close_sessions(self, username: str, sids: list[str]) -> None:
        ended = set(sids)
        for connection in self._by_user.get(username, ()):
            if connection.sid in ended:
                connection.close(CLOSE_SIGNED_OUT, "signed out")

    def beat(self, part: int = 0, parts: int = 1) -> None:
        """Ping one part of the connections (each connection's id fixes its part); close
        those that missed their last two pings."""
        for connection in self.connections:
            if connection.id % parts != part:
                continue
            if connection.missed_pings >= 2:
                connection.close(CLOSE_HEARTBEAT, "heartbeat timeout")
                continue
            connection.missed_pings += 1
            connection.offer(PING_FRAME)

    def close_all(self, code: int, reason: str) -> None:
        for connection in self.connections:
            connection.close(code, reason)
