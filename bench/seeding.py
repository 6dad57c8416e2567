"""Fill a data root with a large, realistic message history, fast.

The databases are created by MiniMost's own migrations; the rows then go in with plain
``executemany`` on one SQLite connection (one transaction, no fsync per row). The
trigram index is rebuilt once at the end, which is several times faster than letting
the insert trigger index a million rows one by one, and leaves it exactly as the
trigger would have.
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from minimost.db.stores import Stores
from minimost.paths import DataRoot

SYLLABLES = [
    "ka",
    "ri",
    "to",
    "mu",
    "sen",
    "da",
    "lo",
    "vi",
    "pe",
    "ra",
    "no",
    "ste",
    "fan",
    "gri",
    "bel",
    "tor",
    "min",
    "qua",
    "zel",
    "hop",
    "dur",
    "lin",
    "mar",
    "cas",
    "pol",
    "ven",
    "tri",
    "ul",
    "ox",
    "ar",
    "ben",
    "cor",
    "dex",
    "fil",
    "gam",
    "hul",
    "jor",
    "kel",
]
COMMON_WORDS = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "is",
    "it",
    "for",
    "on",
    "that",
    "this",
    "with",
    "we",
    "be",
    "at",
    "deploy",
    "build",
    "test",
    "merge",
    "review",
    "meeting",
    "lunch",
    "today",
    "tomorrow",
    "release",
    "server",
    "client",
    "database",
    "cache",
    "fix",
    "bug",
    "ticket",
    "please",
    "thanks",
    "ok",
    "yes",
    "no",
    "maybe",
    "later",
    "now",
    "why",
    "how",
    "what",
    "when",
    "where",
]
FTS_INSERT_TRIGGER = "messages_fts_ai"


@dataclass
class Layout:
    """Which channels exist and who is in the private ones."""

    public: list[str]
    private_members: dict[int, list[str]]
    dms: list[str]
    users: list[str]
    private_names: dict[int, str] = field(default_factory=dict)

    @property
    def private(self) -> list[str]:
        return [f"private:{channel_id}" for channel_id in self.private_members]

    @property
    def all_channels(self) -> list[str]:
        return [*self.public, *self.private, *self.dms]


def make_layout(public_count: int, private_count: int, users: list[str]) -> Layout:
    public = ["general", "random"] + [f"team-{n:02d}" for n in range(public_count - 2)]
    private_members = {n + 1: users[: 2 + n % (len(users) - 1)] for n in range(private_count)}
    dms = sorted({"dm:" + ":".join(sorted((users[0], other))) for other in users[1:]})
    layout = Layout(public, private_members, dms, users)
    layout.private_names = {channel_id: f"project {channel_id}" for channel_id in private_members}
    return layout


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Made-up words of 2–4 syllables: varied trigrams, as real chat text has."""
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def texts(count: int, rng: random.Random, words: list[str]) -> Iterator[str]:
    pool = words + COMMON_WORDS * 40
    for _ in range(count):
        length = min(60, int(rng.expovariate(1 / 12)) + 2)
        yield " ".join(rng.choices(pool, k=length))


def _migrate(data_root: DataRoot) -> None:
    async def run() -> None:
        stores = Stores.for_data_root(data_root)
        await stores.open()
        await stores.close()

    data_root.prepare()
    asyncio.run(run())


def seed(
    data_path: Path,
    layout: Layout,
    *,
    messages: int,
    senders: list[str],
    span_days: float = 365.0,
    seed_value: int = 7,
) -> dict[str, float]:
    """Write ``messages`` messages over the layout's channels; return timings in seconds."""
    rng = random.Random(seed_value)
    data_root = DataRoot(data_path)
    started = time.perf_counter()
    _migrate(data_root)
    words = vocabulary(20_000, rng)
    channels = layout.all_channels
    # A few busy channels and a long tail, as in a real team.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(channels))]
    now = time.time() - 60
    first = now - span_days * 86400
    step = (now - first) / messages

    presence = sqlite3.connect(data_root.presence_db)
    with presence:
        presence.executemany(
            "INSERT INTO private_channels (id, name, created_by, created_ts) VALUES (?, ?, ?, ?)",
            [(cid, name, layout.users[0], first) for cid, name in layout.private_names.items()],
        )
        presence.executemany(
            "INSERT INTO private_channel_members (channel_id, username, joined_ts, "
            "history_start_ts) VALUES (?, ?, ?, NULL)",
            [
                (cid, member, first)
                for cid, members in layout.private_members.items()
                for member in members
            ],
        )
    presence.close()

    db = sqlite3.connect(data_root.messages_db, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    (trigger_sql,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_INSERT_TRIGGER,)
    ).fetchone()
    db.execute("BEGIN")
    db.execute(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
    batch: list[tuple] = []
    mention_rows: list[tuple[int, str]] = []
    for number, text in enumerate(texts(messages, rng, words), start=1):
        channel = rng.choices(channels, weights)[0]
        sender = rng.choice(senders)
        if channel.startswith("dm:"):
            sender = rng.choice(channel.split(":")[1:])
        elif channel.startswith("private:"):
            sender = rng.choice(layout.private_members[int(channel.split(":")[1])])
        mentions = None
        if number % 97 == 0:
            named = rng.choice(layout.users)
            text = f"@{named} {text}"
            mentions = json.dumps([named])
            mention_rows.append((number, named))
        batch.append(
            (
                number,
                channel,
                sender,
                text,
                f"<p>{html.escape(text, quote=False)}</p>",
                first + number * step,
                mentions,
            )
        )
        if len(batch) == 50_000:
            _insert(db, batch)
            batch = []
    _insert(db, batch)
    db.executemany(
        "INSERT INTO message_mentions (message_id, username) VALUES (?, ?)", mention_rows
    )
    db.executemany(
        "INSERT OR IGNORE INTO dm_members (channel, username) VALUES (?, ?)",
        [(dm, name) for dm in layout.dms for name in dm.split(":")[1:]],
    )
    inserted = time.perf_counter()
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    # A rebuild leaves the index in many segments whose merging FTS5 then does a little
    # at a time on later writes: the first tens of thousands of sends would pay for it
    # (batches stalled up to 350 ms). An install whose index grew one send at a time has
    # no such backlog; merging now gives the benchmark that state.
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
    db.execute(trigger_sql)
    db.execute("COMMIT")
    indexed = time.perf_counter()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    finished = time.perf_counter()
    return {
        "insert_s": inserted - started,
        "fts_s": indexed - inserted,
        "total_s": finished - started,
    }


def _insert(db: sqlite3.Connection, batch: list[tuple]) -> None:
    db.executemany(
        "INSERT INTO messages (id, channel, sender, content, content_html, content_type, ts, "
        "mentions) VALUES (?, ?, ?, ?, ?, 'text', ?, ?)",
        batch,
    )


def set_read_positions(
    data_path: Path, layout: Layout, users: list[str], seed_value: int = 11
) -> None:
    """Put each user's watermark a little way behind the newest message of each channel."""
    rng = random.Random(seed_value)
    db = sqlite3.connect(DataRoot(data_path).messages_db, isolation_level=None, timeout=30)
    rows = []
    for channel in layout.public:
        stamps = [
            row[0]
            for row in db.execute(
                "SELECT ts FROM messages WHERE channel = ? ORDER BY id DESC LIMIT 400", (channel,)
            )
        ]
        for user in users:
            behind = rng.randint(0, len(stamps) - 1) if stamps else 0
            rows.append((user, channel, stamps[behind] if stamps else 0.0))
    with db:
        db.executemany(
            "INSERT INTO read_state (user, channel, last_read_ts) VALUES (?, ?, ?) "
            "ON CONFLICT (user, channel) DO UPDATE SET last_read_ts = excluded.last_read_ts",
            rows,
        )
    db.close()
