"""Messages kept as encoded JSON between page loads.

Turning a hundred rows into JSON (reading every column, building each message, its
reactions, encoding) is most of a page's own cost, and pages are read far more often
than messages change. An entry is keyed by the columns that every change to a message's
JSON moves: ``sender`` (an account deleted softly), ``edited_ts`` (edits and their
mentions) and ``reactions_ts`` (reactions). A page reads those with its ids, so an entry
made stale by any writer (another worker, an older release on the same files) is never
served: it is rebuilt. Deleted messages are not on pages at all.

Readers look entries up on their own threads; only the event loop adds and evicts.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ...runtime import Runtime, need

Version = tuple[Any, ...]

DEFAULT_BUDGET_BYTES = 16 * 1024 * 1024


class EncodedMessages:
    """Encoded messages by id, the earliest kept evicted first past a byte budget.

    The budget counts every encoding still referenced, replaced ones included until
    their turn to go comes, so memory stays within it however often a message changes.
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.size_bytes = 0
        self._entries: dict[int, tuple[Version, bytes]] = {}
        self._order: deque[tuple[int, bytes]] = deque()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, message_id: int, version: Version) -> bytes | None:
        """The message's JSON if it was encoded at exactly this version."""
        entry = self._entries.get(message_id)
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def keep(self, fresh: list[tuple[int, Version, bytes]]) -> None:
        """Remember newly encoded messages, then evict the earliest kept past the budget."""
        entries, order = self._entries, self._order
        for message_id, version, encoded in fresh:
            entries[message_id] = (version, encoded)
            order.append((message_id, encoded))
            self.size_bytes += len(encoded)
        while self.size_bytes > self.budget_bytes:
            message_id, encoded = order.popleft()
            self.size_bytes -= len(encoded)
            entry = entries.get(message_id)
            if entry is not None and entry[1] is encoded:
                del entries[message_id]


def keep_encoded_messages(runtime: Runtime) -> None:
    runtime.services.encoded_messages = EncodedMessages()


def encoded_messages_of(runtime: Runtime) -> EncodedMessages:
    return need(runtime.services.encoded_messages, "encoded messages")
