"""Messages stored without HTML by 0.0.4: how long an upgraded start and the pass take.

Seeds a data root, then makes it look as 0.0.4 left it (no ``content_html``, schema
before the index of unrendered rows, auth.db before the tombstones its history gives),
with one message in five carrying Markdown and a link. Measures opening the stores
(the migrations, that index and the tombstones among them) and the background pass
that renders and stores every message's HTML, then a second start.

    python bench/older_html.py --messages 100000
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procstats import machine_speed_ms
from bench.seeding import make_layout, seed
from minimost.chat.messages.older_html import OlderHtml
from minimost.db import Stores
from minimost.paths import DataRoot

USERS = ["alice", "bob", "carol", "dave", "erin"]


def as_written_by_0_0_4(data_root: DataRoot) -> None:
    db = sqlite3.connect(data_root.messages_db, isolation_level=None)
    db.execute("BEGIN")
    db.execute(
        "UPDATE messages SET content = '**' || content || '** see https://example.com/' || id "
        "WHERE id % 5 = 0"
    )
    db.execute("UPDATE messages SET content_html = NULL")
    db.execute("DROP INDEX IF EXISTS idx_messages_unrendered")
    db.execute("PRAGMA user_version = 8")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    auth = sqlite3.connect(data_root.auth_db)
    auth.execute("PRAGMA user_version = 2")
    auth.close()


async def start(data_root: DataRoot) -> dict[str, Any]:
    began = time.perf_counter()
    stores = Stores.for_data_root(data_root)
    await stores.open()
    opened = time.perf_counter()
    older = OlderHtml(SimpleNamespace(stores=stores))  # type: ignore[arg-type]
    await older.run()
    finished = time.perf_counter()
    await stores.close()
    left = sqlite3.connect(data_root.messages_db).execute(
        "SELECT COUNT(*) FROM messages WHERE content_html IS NULL"
    )
    return {
        "open_s": opened - began,
        "pass_s": finished - opened,
        "stored": older.stored,
        "left": left.fetchone()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_root = DataRoot(Path(tmp) / "data")
        seed(data_root.path, make_layout(10, 2, USERS), messages=args.messages, senders=USERS)
        as_written_by_0_0_4(data_root)
        print(f"machine speed: reference loop {machine_speed_ms():.0f} ms (lower is faster)\n")
        print("| start | open stores s | background pass s | stored | left without HTML |")
        print("|---|---:|---:|---:|---:|")
        for name in ("upgrade", "next"):
            result = asyncio.run(start(data_root))
            print(
                f"| {name} | {result['open_s']:.2f} | {result['pass_s']:.2f} | "
                f"{result['stored']:,} | {result['left']:,} |"
            )


if __name__ == "__main__":
    main()
