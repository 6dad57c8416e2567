"""A large message history written straight into a server's own messages.db.

The server creates its schema on first start; this fills the columns both schemas
share (0.0.4's ``messages`` table, which MiniMost keeps and extends by migration), so the
FTS triggers and indexes of each schema do their own work. Content is deterministic: the
same seed gives the same rows for both servers.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

WORDS = [
    "deploy",
    "build",
    "firmware",
    "release",
    "review",
    "merge",
    "branch",
    "test",
    "lunch",
    "coffee",
    "meeting",
    "sensor",
    "board",
    "driver",
    "kernel",
    "patch",
    "ticket",
    "schedule",
    "budget",
    "design",
    "network",
    "router",
    "switch",
    "cable",
    "antenna",
    "battery",
    "display",
    "memory",
    "cache",
    "latency",
    "throughput",
    "packet",
]
RARE_WORD = "quokka"  # in one message of about a thousand
RARE_EVERY = 997
CHANNELS = ("general", "software", "firmware", "systems", "off-topic")
SENDERS = tuple(f"user{n:02d}" for n in range(20))
BATCH = 20_000


def rows(count: int, start_ts: float, seed: int = 4) -> Iterator[tuple]:
    """(channel, sender, content, ts): 60 % in general, one message a second."""
    chooser = random.Random(seed)
    for index in range(count):
        channel = "general" if chooser.random() < 0.6 else chooser.choice(CHANNELS[1:])
        words = chooser.choices(WORDS, k=chooser.randint(4, 16))
        if index % RARE_EVERY == 0:
            words.insert(chooser.randrange(len(words) + 1), RARE_WORD)
        yield channel, chooser.choice(SENDERS), " ".join(words), start_ts + index


def seed(database: Path, count: int) -> float:
    """Append ``count`` messages ending about now; return the seconds it took."""
    started = time.perf_counter()
    connection = sqlite3.connect(database, timeout=30)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        batch: list[tuple] = []
        with connection:
            for row in rows(count, time.time() - count - 60):
                batch.append(row)
                if len(batch) == BATCH:
                    connection.executemany(INSERT, batch)
                    batch.clear()
            connection.executemany(INSERT, batch)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return time.perf_counter() - started


INSERT = (
    "INSERT INTO messages (channel, sender, content, content_type, ts) VALUES (?, ?, ?, 'text', ?)"
)
