"""Housekeeping: the four retention steps, the housekeeper's pass, and its schedule."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import random
import sqlite3
import string
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from minimost.db import Database, discover
from minimost.housekeeping import Housekeeper
from minimost.housekeeping.retention import (
    DAY_SECONDS,
    EVENT_LOG,
    EVENT_LOG_DAYS,
    MESSAGE_AGE,
    MESSAGE_CAP,
    MIB,
    SPEED_ONLY_INDEXES,
    UPLOAD_AGE,
    UPLOAD_CAP,
    enforce_message_db_cap,
    enforce_upload_cap,
    live_bytes,
    prune_event_log,
    purge_old_messages,
    purge_old_uploads,
    remove_file,
)
from minimost.paths import DataRoot
from minimost.settings import SettingsSource

NOW = 1_800_000_000.0
KIB = 1024
BOUND = 10.0  # seconds: generous upper bound for waits that should be near-instant


# ------------------------------------------------------------------------ helpers


def make_file(
    directory: Path, name: str, *, size: int = 100, age_days: float = 0.0, now: float = NOW
) -> Path:
    path = directory / name
    path.write_bytes(b"x" * size)
    stamp = now - age_days * DAY_SECONDS
    os.utime(path, (stamp, stamp))
    return path


def names(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


async def add_message(
    db: Database,
    sender: str,
    *,
    ts: float,
    content: str | None = "hello",
    filename: str | None = None,
    channel: str = "general",
) -> int:
    async with db.maintenance(transaction=True) as connection:
        cursor = await connection.execute(
            "INSERT INTO messages (channel, sender, content, filename, ts) VALUES (?, ?, ?, ?, ?)",
            (channel, sender, content, filename, ts),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def query(db: Database, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    async with db.read() as connection, connection.execute(sql, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def pragma(db: Database, name: str) -> int:
    async with db.maintenance() as connection, connection.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def legacy_db(path: Path, *, with_pins: bool) -> None:
    """A per-user store from the pre-shared model: no FTS, auto_vacuum NONE."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(
            """
            CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,
                sender TEXT NOT NULL, content TEXT, filename TEXT, ts REAL NOT NULL);
            CREATE TABLE reactions (message_id INTEGER NOT NULL, emoji TEXT NOT NULL,
                reactor TEXT NOT NULL, PRIMARY KEY (message_id, emoji, reactor));
            """
        )
        if with_pins:
            connection.execute(
                "CREATE TABLE pins (message_id INTEGER PRIMARY KEY, channel TEXT NOT NULL, "
                "pinned_by TEXT NOT NULL, pinned_ts REAL NOT NULL)"
            )
        connection.execute(
            "INSERT INTO messages (id, channel, sender, content, ts) VALUES "
            "(1, 'general', 'alice', 'ancient', ?), (2, 'general', 'alice', 'recent', ?)",
            (NOW - 1000 * DAY_SECONDS, NOW - DAY_SECONDS),
        )
        connection.execute(
            "INSERT INTO reactions VALUES (1, 'thumbsup', 'bob'), (2, 'thumbsup', 'bob')"
        )
        if with_pins:
            connection.execute(
                "INSERT INTO pins VALUES (1, 'general', 'bob', ?), (2, 'general', 'bob', ?)",
                (NOW, NOW),
            )
        connection.commit()
    finally:
        connection.close()


def legacy_rows(path: Path, table: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        connection.close()


def legacy_auto_vacuum(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA auto_vacuum").fetchone()[0]
    finally:
        connection.close()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataRoot:
    monkeypatch.delenv("MINIMOST_SETTINGS", raising=False)
    data_root = DataRoot(tmp_path)
    data_root.prepare()
    return data_root


@pytest.fixture
def uploads(root: DataRoot) -> Path:
    return root.uploads_dir


@pytest.fixture
async def db(root: DataRoot) -> AsyncIterator[Database]:
    database = Database(root.messages_db, discover("minimost.migrations.messages"))
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def housekeeper_for(
    root: DataRoot, db: Database, overrides: dict[str, object] | None = None
) -> Housekeeper:
    source = SettingsSource.for_data_root(root, overrides)
    return Housekeeper(
        uploads_dir=root.uploads_dir,
        users_dir=root.users_dir,
        messages=db,
        settings_source=source,
        startup_settings=source.load(),
        lock_path=root.path / "housekeeping.lock",
    )


# ------------------------------------------------------------ step 1: upload age


async def test_upload_age_uses_image_and_file_retention(uploads: Path) -> None:
    make_file(uploads, "a" * 32 + ".png", age_days=20)  # image, older than 10 days
    make_file(uploads, "b" * 32 + ".JPG", age_days=20)  # extension case does not matter
    make_file(uploads, "c" * 32 + ".webp", age_days=5)  # image, young enough
    make_file(uploads, "d" * 32 + "_report.pdf", age_days=20)  # file, younger than 40
    make_file(uploads, "e" * 32 + "_old.pdf", age_days=50, size=300)  # file, too old
    make_file(uploads, "f" * 32 + "_notes", age_days=50)  # no extension: a file

    report = await purge_old_uploads(
        uploads, image_retention_days=10, file_retention_days=40, now=NOW
    )

    assert names(uploads) == {"c" * 32 + ".webp", "d" * 32 + "_report.pdf"}
    assert report.step == UPLOAD_AGE
    assert report.files_deleted == 4
    assert report.bytes_freed == 100 + 100 + 300 + 100
    assert report.ok


async def test_upload_age_is_strictly_older_than_the_limit(uploads: Path) -> None:
    make_file(uploads, "edge.png", age_days=10)  # exactly at the limit: kept
    make_file(uploads, "past.png", age_days=10.001)

    await purge_old_uploads(uploads, image_retention_days=10, file_retention_days=10, now=NOW)

    assert names(uploads) == {"edge.png"}


async def test_upload_age_leaves_subdirectories_alone(uploads: Path) -> None:
    nested = uploads / "thumbs"
    nested.mkdir()
    make_file(nested, "old.png", age_days=400)
    os.utime(nested, (NOW - 400 * DAY_SECONDS,) * 2)
    make_file(uploads, "old.png", age_days=400)

    report = await purge_old_uploads(
        uploads, image_retention_days=1, file_retention_days=1, now=NOW
    )

    assert names(uploads) == {"thumbs"}
    assert names(nested) == {"old.png"}
    assert report.files_deleted == 1


def test_remove_file_tolerates_a_vanished_file(tmp_path: Path) -> None:
    present = make_file(tmp_path, "here.bin")
    assert remove_file(present) is True
    assert remove_file(present) is False  # already gone: no error


async def test_racing_purges_tolerate_each_other(uploads: Path) -> None:
    """Two workers purging at once: every file goes, each exactly once, nobody fails."""
    for index in range(300):
        make_file(uploads, f"{index:032x}.png", age_days=100)

    first, second = await asyncio.gather(
        purge_old_uploads(uploads, image_retention_days=1, file_retention_days=1, now=NOW),
        purge_old_uploads(uploads, image_retention_days=1, file_retention_days=1, now=NOW),
    )

    assert names(uploads) == set()
    assert first.ok
    assert second.ok
    assert first.files_deleted + second.files_deleted == 300
    assert first.problems == second.problems == []


# ------------------------------------------------------------- step 2: upload cap


async def _cap_scenario(uploads: Path, db: Database) -> None:
    """Orphans 128 KiB, alice 3 x 128 KiB, bob 128 KiB (the oldest owned file) + 64 KiB."""
    make_file(uploads, "orphan_old.bin", size=64 * KIB, age_days=9)
    make_file(uploads, "orphan_new.bin", size=64 * KIB, age_days=0.5)
    make_file(uploads, "b1.bin", size=128 * KIB, age_days=8)
    make_file(uploads, "a1.bin", size=128 * KIB, age_days=7)
    make_file(uploads, "a2.bin", size=128 * KIB, age_days=6)
    make_file(uploads, "a3.bin", size=128 * KIB, age_days=3)
    make_file(uploads, "b2.bin", size=64 * KIB, age_days=2)
    nested = uploads / "nested"  # not counted, not touched
    nested.mkdir()
    make_file(nested, "huge.bin", size=1024 * KIB, age_days=30)
    for name, sender in [("a1", "alice"), ("a2", "alice"), ("a3", "alice")]:
        await add_message(db, sender, ts=NOW, content=None, filename=f"{name}.bin")
    await add_message(db, "bob", ts=NOW, content=None, filename="b1.bin")
    await add_message(db, "bob", ts=NOW, content=None, filename="b2.bin")
    await add_message(db, "carol", ts=NOW, content="no file", filename="")
    await add_message(db, "carol", ts=NOW, content="no file", filename=None)


async def test_upload_cap_orphans_first_then_heaviest_owner(uploads: Path, db: Database) -> None:
    await _cap_scenario(uploads, db)  # 704 KiB in total

    report = await enforce_upload_cap(uploads, db, max_upload_dir_size_mb=256 * KIB / MIB)

    # orphans (128) -> 576; alice 384 loses a1 -> 448; alice 256 loses a2 -> 320;
    # now bob (192) is heaviest and loses b1 -> 192 <= 256: stop.
    assert names(uploads) == {"a3.bin", "b2.bin", "nested"}
    assert names(uploads / "nested") == {"huge.bin"}
    assert report.step == UPLOAD_CAP
    assert report.files_deleted == 5
    assert report.bytes_freed == (64 + 64 + 128 + 128 + 128) * KIB


async def test_upload_cap_stops_as_soon_as_total_fits(uploads: Path, db: Database) -> None:
    await _cap_scenario(uploads, db)

    report = await enforce_upload_cap(uploads, db, max_upload_dir_size_mb=512 * KIB / MIB)

    # orphans -> 576 KiB, then alice's oldest -> 448 KiB <= 512: bob's older b1 survives.
    assert names(uploads) == {"b1.bin", "a2.bin", "a3.bin", "b2.bin", "nested"}
    assert report.files_deleted == 3


async def test_upload_cap_under_the_cap_deletes_nothing(uploads: Path, db: Database) -> None:
    await _cap_scenario(uploads, db)

    report = await enforce_upload_cap(uploads, db, max_upload_dir_size_mb=704 * KIB / MIB)

    assert report.files_deleted == 0
    assert len(names(uploads)) == 8


async def test_upload_cap_disabled_at_zero(uploads: Path, db: Database) -> None:
    await _cap_scenario(uploads, db)

    report = await enforce_upload_cap(uploads, db, max_upload_dir_size_mb=0)

    assert report.skipped
    assert report.files_deleted == 0
    assert len(names(uploads)) == 8


async def test_upload_cap_without_owner_db_is_oldest_first(uploads: Path) -> None:
    make_file(uploads, "old.bin", size=64 * KIB, age_days=3)
    make_file(uploads, "mid.bin", size=64 * KIB, age_days=2)
    make_file(uploads, "new.bin", size=64 * KIB, age_days=1)

    report = await enforce_upload_cap(uploads, None, max_upload_dir_size_mb=100 * KIB / MIB)

    assert names(uploads) == {"new.bin"}
    assert report.files_deleted == 2


# ----------------------------------------------------------- step 3: message age


async def test_message_purge_deletes_old_rows_and_their_orphans(
    root: DataRoot, db: Database
) -> None:
    old = NOW - 100 * DAY_SECONDS
    old_pinned = await add_message(db, "alice", ts=old, content="ancient pinned words")
    old_system = await add_message(db, "system", ts=old, content="alice joined the channel")
    old_plain = await add_message(db, "bob", ts=old, content="ancient plain words " * 200)
    fresh = await add_message(db, "bob", ts=NOW - 10 * DAY_SECONDS, content="fresh words")
    async with db.maintenance(transaction=True) as connection:
        await connection.executemany(
            "INSERT INTO reactions (message_id, emoji, reactor) VALUES (?, 'thumbsup', 'carol')",
            [(old_pinned,), (old_plain,), (fresh,)],
        )
        await connection.executemany(
            "INSERT INTO pins (message_id, channel, pinned_by, pinned_ts) "
            "VALUES (?, 'general', 'carol', ?)",
            [(old_pinned, NOW), (fresh, NOW)],
        )
    search = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid"
    assert await query(db, search, ('"ancient"',)) == [(old_pinned,), (old_plain,)]

    report = await purge_old_messages(db, root.users_dir, message_retention_days=30, now=NOW)

    assert await query(db, "SELECT id FROM messages") == [(fresh,)]
    assert await query(db, "SELECT message_id FROM reactions") == [(fresh,)]
    assert await query(db, "SELECT message_id FROM pins") == [(fresh,)]
    assert await query(db, search, ('"ancient"',)) == []
    assert await query(db, search, ('"joined"',)) == []
    assert await query(db, search, ('"fresh"',)) == [(fresh,)]
    assert old_system not in {row[0] for row in await query(db, "SELECT id FROM messages")}
    assert report.step == MESSAGE_AGE
    assert report.rows_deleted == 3
    assert report.orphans_pruned == 3  # two reactions, one pin
    assert report.problems == []
    # INCREMENTAL database: the freed pages went back to the file system.
    assert await pragma(db, "auto_vacuum") == 2
    assert await pragma(db, "freelist_count") == 0
    assert report.bytes_freed > 0


async def test_message_purge_keeps_everything_within_retention(
    root: DataRoot, db: Database
) -> None:
    kept = await add_message(db, "alice", ts=NOW - 29 * DAY_SECONDS)

    report = await purge_old_messages(db, root.users_dir, message_retention_days=30, now=NOW)

    assert await query(db, "SELECT id FROM messages") == [(kept,)]
    assert report.rows_deleted == 0


async def test_message_purge_switches_a_none_database_to_incremental(root: DataRoot) -> None:
    database = Database(
        root.messages_db, discover("minimost.migrations.messages"), incremental_vacuum=False
    )
    await database.open()
    try:
        assert await pragma(database, "auto_vacuum") == 0
        await add_message(database, "alice", ts=NOW - 100 * DAY_SECONDS)

        report = await purge_old_messages(
            database, root.users_dir, message_retention_days=30, now=NOW
        )

        assert report.rows_deleted == 1
        assert await pragma(database, "auto_vacuum") == 2
        assert await pragma(database, "freelist_count") == 0
    finally:
        await database.close()


async def test_message_purge_covers_legacy_databases_and_skips_bad_ones(
    root: DataRoot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    users = root.users_dir
    legacy_db(users / "alice.db", with_pins=False)
    (users / "bad.db").write_bytes(b"this is not an SQLite database at all" * 100)
    foreign = sqlite3.connect(users / "foreign.db")
    foreign.execute("CREATE TABLE something_else (x)")
    foreign.close()
    legacy_db(users / "zed.db", with_pins=True)  # sorted after the bad ones
    await add_message(db, "alice", ts=NOW - 1000 * DAY_SECONDS)
    caplog.set_level(logging.WARNING, logger="minimost.housekeeping")

    report = await purge_old_messages(db, users, message_retention_days=770, now=NOW)

    for name in ("alice.db", "zed.db"):
        assert [row[0] for row in legacy_rows(users / name, "messages")] == [2]
        assert [row[0] for row in legacy_rows(users / name, "reactions")] == [2]
        assert legacy_auto_vacuum(users / name) == 2
    assert [row[0] for row in legacy_rows(users / "zed.db", "pins")] == [2]
    assert await query(db, "SELECT COUNT(*) FROM messages") == [(0,)]
    assert report.ok
    assert report.rows_deleted == 3  # one in messages.db, one in each legacy store
    assert report.orphans_pruned == 3  # alice: 1 reaction; zed: 1 reaction + 1 pin
    assert len(report.problems) == 2
    assert "bad.db" in report.problems[0]
    assert "foreign.db" in report.problems[1]
    assert "bad.db" in caplog.text
    assert "foreign.db" in caplog.text
    # The bad file is left exactly as it was.
    assert (users / "bad.db").read_bytes().startswith(b"this is not an SQLite")


# ------------------------------------------------------------- step 4: DB size cap


async def _flood(db: Database) -> None:
    """alice floods 3000 long messages; bob and carol say a little, earlier."""
    async with db.maintenance(transaction=True) as connection:
        await connection.executemany(
            "INSERT INTO messages (channel, sender, content, ts) VALUES ('general', ?, ?, ?)",
            [("bob", f"bob says hello {index}", 1000.0 + index) for index in range(30)]
            + [("carol", f"carol here {index}", 1100.0 + index) for index in range(30)]
            + [
                ("alice", f"flood {index:05d} " + f"{index * 7919:x}" * 40, 2000.0 + index)
                for index in range(3000)
            ],
        )
        await connection.execute(
            "INSERT INTO reactions (message_id, emoji, reactor) "
            "SELECT id, 'thumbsup', 'bob' FROM messages WHERE sender = 'alice' ORDER BY ts LIMIT 5"
        )


async def test_db_cap_evicts_the_flooder_not_the_innocent(db: Database) -> None:
    await _flood(db)
    async with db.maintenance() as connection:
        live = await live_bytes(connection)
    cap_mb = live * 0.75 / MIB

    report = await enforce_message_db_cap(db, max_message_db_size_mb=cap_mb)

    assert report.step == MESSAGE_CAP
    assert report.stop_reason == "under cap"
    assert report.rows_deleted in (1000, 2000)  # whole batches, never all of alice
    counts = dict(await query(db, "SELECT sender, COUNT(*) FROM messages GROUP BY sender"))
    assert counts["bob"] == 30
    assert counts["carol"] == 30
    assert counts["alice"] == 3000 - report.rows_deleted
    # alice lost her oldest messages, in (ts, id) order.
    oldest_left = await query(db, "SELECT MIN(ts) FROM messages WHERE sender = 'alice'")
    assert oldest_left == [(2000.0 + report.rows_deleted,)]
    assert await query(db, "SELECT COUNT(*) FROM reactions") == [(0,)]
    async with db.maintenance() as connection:
        assert await live_bytes(connection) <= cap_mb * MIB
    # VACUUM + wal_checkpoint(TRUNCATE): no free pages, empty WAL, a smaller file.
    assert await pragma(db, "freelist_count") == 0
    assert db.path.with_name(db.path.name + "-wal").stat().st_size == 0
    marks = ", ".join("?" for _ in SPEED_ONLY_INDEXES)
    [(speed_indexes,)] = await query(
        db, f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})", SPEED_ONLY_INDEXES
    )
    assert db.path.stat().st_size <= cap_mb * MIB + speed_indexes
    assert report.bytes_freed > 0


async def test_db_cap_reclaims_search_index_pages_of_deleted_rows(db: Database) -> None:
    """Varied text: deleting rows first grows the FTS5 index (delete markers), so the
    step must merge the index, not mistake the batch for one that frees nothing."""
    rng = random.Random(7)
    alphabet = string.ascii_lowercase + " "
    async with db.maintenance(transaction=True) as connection:
        await connection.executemany(
            "INSERT INTO messages (channel, sender, content, ts) VALUES ('general', ?, ?, ?)",
            [("bob", f"bob says hello {index}", 1000.0 + index) for index in range(30)]
            + [
                ("alice", "".join(rng.choices(alphabet, k=400)), 2000.0 + index)
                for index in range(3000)
            ],
        )
    async with db.maintenance() as connection:
        live = await live_bytes(connection)

    report = await enforce_message_db_cap(db, max_message_db_size_mb=live * 0.6 / MIB)

    assert report.stop_reason == "under cap"
    assert report.rows_deleted == 2000
    counts = dict(await query(db, "SELECT sender, COUNT(*) FROM messages GROUP BY sender"))
    assert counts == {"alice": 1000, "bob": 30}


async def test_db_cap_stops_when_a_batch_frees_no_page(db: Database) -> None:
    await add_message(db, "alice", ts=1.0, content="alice is the heaviest sender here")
    await add_message(db, "bob", ts=2.0, content="bob")
    await add_message(db, "carol", ts=3.0, content="carol")

    # A cap no database can meet: deleting alice's one small row frees no page, so the
    # loop must stop there instead of emptying the table.
    report = await enforce_message_db_cap(db, max_message_db_size_mb=1 / MIB)

    assert report.stop_reason == "batch freed no page"
    assert report.rows_deleted == 1
    assert await query(db, "SELECT sender FROM messages ORDER BY id") == [("bob",), ("carol",)]


async def test_db_cap_under_the_cap_and_disabled(db: Database) -> None:
    await _flood(db)

    under = await enforce_message_db_cap(db, max_message_db_size_mb=1024)
    disabled = await enforce_message_db_cap(db, max_message_db_size_mb=0)

    assert under.stop_reason == "under cap"
    assert under.rows_deleted == 0
    assert disabled.skipped
    assert disabled.rows_deleted == 0
    assert await query(db, "SELECT COUNT(*) FROM messages") == [(3060,)]


async def test_db_cap_does_not_count_the_index_kept_only_for_speed(db: Database) -> None:
    """Channel search's text index came with an upgrade: the history that fitted under
    the cap before it was built still fits."""
    await _flood(db)
    pages = await pragma(db, "page_count") - await pragma(db, "freelist_count")
    whole_file = pages * await pragma(db, "page_size")
    async with db.maintenance() as connection:
        counted = await live_bytes(connection)
    assert counted < whole_file * 0.8  # the index holds most of the messages' text again

    report = await enforce_message_db_cap(db, max_message_db_size_mb=(counted + 4096) / MIB)

    assert report.stop_reason == "under cap"
    assert report.rows_deleted == 0
    assert await query(db, "SELECT COUNT(*) FROM messages") == [(3060,)]


# --------------------------------------------------------------- the housekeeper


async def test_a_failing_step_does_not_stop_the_others(
    root: DataRoot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # uploads/ replaced by a plain file: both upload steps fail.
    root.uploads_dir.rmdir()
    root.uploads_dir.write_text("not a directory")
    old = await add_message(db, "alice", ts=NOW - 1000 * DAY_SECONDS)
    kept = await add_message(db, "alice", ts=NOW)
    housekeeper = housekeeper_for(root, db, {"max_upload_dir_size_mb": 0.001})
    caplog.set_level(logging.ERROR, logger="minimost.housekeeping")

    report = await housekeeper.run_once(now=NOW)

    assert [step.step for step in report.steps] == [
        UPLOAD_AGE,
        UPLOAD_CAP,
        MESSAGE_AGE,
        MESSAGE_CAP,
        EVENT_LOG,
    ]
    assert "NotADirectoryError" in (report.step(UPLOAD_AGE).error or "")
    assert "NotADirectoryError" in (report.step(UPLOAD_CAP).error or "")
    assert report.step(MESSAGE_AGE).ok
    assert report.step(MESSAGE_CAP).ok
    assert [row[0] for row in await query(db, "SELECT id FROM messages")] == [kept]
    assert old != kept
    failures = [record for record in caplog.records if "failed" in record.getMessage()]
    assert len(failures) == 2
    assert all(record.exc_info is not None for record in failures)  # traceback logged
    assert housekeeper.runs_completed == 1


async def test_failing_message_steps_do_not_stop_upload_steps(root: DataRoot) -> None:
    closed = Database(root.messages_db, discover("minimost.migrations.messages"))  # never opened
    make_file(root.uploads_dir, "old.png", age_days=400, now=NOW)
    housekeeper = housekeeper_for(root, closed)

    report = await housekeeper.run_once(now=NOW)

    assert names(root.uploads_dir) == set()
    assert report.step(UPLOAD_AGE).files_deleted == 1
    assert report.step(UPLOAD_CAP).ok  # owners unreadable: oldest-first fallback
    assert "not open" in (report.step(MESSAGE_AGE).error or "")
    assert "not open" in (report.step(MESSAGE_CAP).error or "")
    assert "not open" in (report.step(EVENT_LOG).error or "")
    assert [step.step for step in report.failed] == [MESSAGE_AGE, MESSAGE_CAP, EVENT_LOG]


async def test_settings_are_read_again_on_every_run(root: DataRoot, db: Database) -> None:
    make_file(root.uploads_dir, "report.pdf", age_days=10)
    housekeeper = housekeeper_for(root, db)  # shipped defaults: 30 days

    await housekeeper.run_once(now=NOW)
    assert names(root.uploads_dir) == {"report.pdf"}

    root.settings_file.write_text(json.dumps({"file_retention_days": 5}))
    report = await housekeeper.run_once(now=NOW)

    assert names(root.uploads_dir) == set()
    assert report.settings_error is None
    assert report.step(UPLOAD_AGE).files_deleted == 1


async def test_only_one_process_of_a_deployment_runs_a_pass(root: DataRoot, db: Database) -> None:
    make_file(root.uploads_dir, "old.pdf", age_days=100)
    housekeeper = housekeeper_for(root, db)
    other_worker = os.open(root.path / "housekeeping.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(other_worker, fcntl.LOCK_EX)
        skipped = await housekeeper.run_once(now=NOW)
    finally:
        os.close(other_worker)
    assert skipped.skipped_reason is not None
    assert skipped.steps == []
    assert names(root.uploads_dir) == {"old.pdf"}, "the other worker's pass owns the files"

    ran = await housekeeper.run_once(now=NOW)
    assert ran.skipped_reason is None
    assert names(root.uploads_dir) == set()


async def test_invalid_admin_settings_fall_back_to_startup_settings(
    root: DataRoot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    root.settings_file.write_text(json.dumps({"file_retention_days": 5}))
    housekeeper = housekeeper_for(root, db)  # validated at startup: 5 days
    root.settings_file.write_text(json.dumps({"file_retention_days": 0}))  # broken later
    make_file(root.uploads_dir, "report.pdf", age_days=10)  # kept by the 30-day default
    caplog.set_level(logging.ERROR, logger="minimost.housekeeping")

    report = await housekeeper.run_once(now=NOW)

    assert names(root.uploads_dir) == set()  # the startup 5 days applied
    assert report.settings_error is not None
    assert "file_retention_days" in report.settings_error
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "file_retention_days" in errors[0].getMessage()
    assert all(step.ok for step in report.steps)


async def test_runs_never_overlap_and_are_counted(root: DataRoot, db: Database) -> None:
    housekeeper = housekeeper_for(root, db)

    waiter = asyncio.create_task(housekeeper.wait_for_runs(2))
    first, second = await asyncio.gather(
        housekeeper.run_once(now=NOW), housekeeper.run_once(now=NOW)
    )

    assert await asyncio.wait_for(waiter, BOUND) == 2
    assert first.finished is not None
    assert second.finished is not None
    earlier, later = sorted((first, second), key=lambda report: report.started)
    assert earlier.finished is not None
    assert later.started >= earlier.finished
    assert housekeeper.runs_started == housekeeper.runs_completed == 2
    assert housekeeper.last_report is later


# ------------------------------------------------------------------ the schedule


async def test_scheduled_pass_runs_and_shutdown_is_clean(root: DataRoot, db: Database) -> None:
    make_file(root.uploads_dir, "old.png", age_days=400, now=time.time())
    housekeeper = housekeeper_for(root, db)

    async with housekeeper.scheduled(first_run_seconds=0.01, interval_hours=24) as running:
        assert running is housekeeper
        assert await asyncio.wait_for(housekeeper.wait_for_runs(1), BOUND) == 1
        assert names(root.uploads_dir) == set()
        scheduler = housekeeper.scheduler
        assert scheduler is not None
        assert scheduler.running
        job = scheduler.get_job("housekeeping")
        assert job is not None
        assert job.max_instances == 1
        assert job.coalesce
        assert job.trigger.interval.total_seconds() == 24 * 3600

    assert not scheduler.running
    assert housekeeper.runs_completed == 1


async def test_shutdown_cancels_a_pass_in_flight(
    root: DataRoot, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    housekeeper = housekeeper_for(root, db)
    caplog.set_level(logging.INFO)

    async with db.maintenance():  # the pass will block on the message database
        context = housekeeper.scheduled(first_run_seconds=0, interval_hours=24)
        await context.__aenter__()
        try:
            await asyncio.wait_for(housekeeper.wait_for_started(1), BOUND)
        finally:
            started = time.monotonic()
            await asyncio.wait_for(context.__aexit__(None, None, None), BOUND)
        assert time.monotonic() - started < BOUND / 2

    assert housekeeper.scheduler is not None
    assert not housekeeper.scheduler.running
    assert housekeeper.runs_completed == 0
    # A cancellation by our own shutdown is not a failed job.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "housekeeping pass cancelled by shutdown" in caplog.text
    # The writer is usable again: the cancelled pass left no transaction behind.
    await add_message(db, "alice", ts=NOW)


@pytest.fixture
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINIMOST_SETTINGS", "MINIMOST_SKIP_CLEANUP", "MINIMOST_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


async def test_app_runs_housekeeping_and_stops_it(tmp_path: Path, no_env_overrides: None) -> None:
    from minimost.app import create_app
    from minimost.runtime import get_runtime

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    make_file(uploads, "old.png", age_days=400, now=time.time())
    make_file(uploads, "new.png", age_days=1, now=time.time())
    app = create_app(
        data_dir=tmp_path,
        settings={"stun_enabled": False},
        config={"HOUSEKEEPING_FIRST_RUN_SECONDS": 0.05},
        tls=False,
    )
    housekeeper = get_runtime(app).services.housekeeping
    assert isinstance(housekeeper, Housekeeper)

    async with app.test_app():
        await asyncio.wait_for(housekeeper.wait_for_runs(1), BOUND)
        assert names(uploads) == {"new.png"}
        report = housekeeper.last_report
        assert report is not None
        assert not report.failed
        scheduler = housekeeper.scheduler
        assert scheduler is not None
        assert scheduler.running
        leaving = time.monotonic()

    assert time.monotonic() - leaving < 2.0
    assert not scheduler.running


async def test_app_without_housekeeping_registers_nothing(
    tmp_path: Path, no_env_overrides: None
) -> None:
    from minimost.app import create_app
    from minimost.runtime import get_runtime

    app = create_app(
        data_dir=tmp_path,
        settings={"stun_enabled": False},
        config={"HOUSEKEEPING": False},
        tls=False,
    )

    assert get_runtime(app).services.housekeeping is None


async def test_event_log_keeps_only_the_resume_horizon(db: Database) -> None:
    old = NOW - (EVENT_LOG_DAYS + 1) * 86400
    async with db.maintenance(transaction=True) as connection:
        for ts in (old, old, NOW - 3600, old):
            await connection.execute(
                "INSERT INTO events (ts, type, payload) VALUES (?, 'user.updated', '{}')", (ts,)
            )
    report = await prune_event_log(db, now=NOW)
    assert report.rows_deleted == 2
    async with db.read() as connection, connection.execute("SELECT id FROM events") as cursor:
        kept = [row[0] for row in await cursor.fetchall()]
    assert kept == [3, 4], "recent events stay, and the newest always stays as the head"
