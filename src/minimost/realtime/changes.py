"""Where events go: into the log with their change, to clients after the commit.

Every write to messages.db goes through ``Database.write``; an event recorded there is
appended to the log in the same transaction, and the batch's events are published
while the writer is still held, so publication order is commit order and a client that
saw event n has seen every event before it.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from ..db import Changes
from . import store
from .events import Audience, Event

__all__ = ["Changes", "log_event"]


def log_event(
    connection: sqlite3.Connection, name: str, audience: Audience, data: dict[str, Any]
) -> Event:
    """The messages.db recorder: append the event to the log, stamped now."""
    return store.append(connection, name, audience, data, time.time())
