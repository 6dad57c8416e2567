"""Storage: migrations on fresh and original databases, the writer/reader split, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from minimost.db import Database, Migration, Stores, discover
from minimost.db.migrate import split_statements
from minimost.paths import DataRoot
from minimost.runtime import get_runtime
from tests.conftest import AppFactory, rows
from tests.helpers.original_install import MESSAGES, write_original_data_root

EXPECTED_TABLES = {
    "auth": {
        "users",
        "password_history",
        "user_settings",
        "password_reset_tokens",
        "sessions",
        "deleted_usernames",
        "outbox",
        "roles",
    },
    "presence": {
        "presence",
        "typing",
        "read_receipts",
        "message_reactions",
        "private_channels",
        "private_channel_members",
        "calls",
        "call_participants",
        "call_signals",
        "screenshares",
        "event_signal",
        "outbox",
    },
    "messages": {
        "messages",
        "reactions",
        "read_state",
        "dm_hidden",
        "pins",
        "messages_fts",
        "events",
        "message_mentions",
        "dm_members",
        "relayed_outbox_rows",
    },
}
EXPECTED_COLUMNS = {
    ("auth", "users"): [
        "username",
        "password_hash",
        "failed_attempts",
        "lockout_until",
        "password_set_ts",
        "sessions_revoked_ts",
    ],
    ("auth", "user_settings"): ["username", "name_color", "avatar_file", "bio"],
    ("presence", "call_participants"): [
        "call_id",
        "username",
        "role",
        "state",
        "joined_ts",
        "left_ts",
        "sharing",
        "invited_ts",
        "last_seen_ts",
    ],
    ("presence", "private_channel_members"): [
        "channel_id",
        "username",
        "joined_ts",
        "history_start_ts",
    ],
    ("messages", "messages"): [
        "id",
        "channel",
        "sender",
        "content",
        "content_type",
        "filename",
        "ts",
        "edited",
        "edited_ts",
        "deleted",
        "deleted_ts",
        "reply_to_id",
        "reactions_ts",
        "mentions",
        "metadata",
        "client_msg_id",
        "expires_ts",
        "content_html",
    ],
}


def db_path(root: Path, name: str) -> Path:
    return {
        "auth": root / "auth.db",
        "presence": root / "presence.db",
        "messages": root / "users" / "messages.db",
    }[name]


async def test_fresh_data_root_gets_every_table_and_column(
    make_app: AppFactory, data_dir: Path
) -> None:
    async with make_app().test_app():
        pass
    for name, tables in EXPECTED_TABLES.items():
        path = db_path(data_dir, name)
        found = {row[0] for row in rows(path, "SELECT name FROM sqlite_master")}
        assert tables <= found, f"{name}: missing {tables - found}"
        assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    for (name, table), columns in EXPECTED_COLUMNS.items():
        info = rows(db_path(data_dir, name), f"PRAGMA table_info({table})")
        assert [row[1] for row in info] == columns
    messages = db_path(data_dir, "messages")
    assert rows(messages, "PRAGMA user_version") == [(10,)]
    assert rows(db_path(data_dir, "auth"), "PRAGMA user_version") == [(5,)]
    assert rows(messages, "PRAGMA auto_vacuum") == [(2,)], "incremental on new files"
    triggers = {
        row[0] for row in rows(messages, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    assert {"messages_fts_ai", "messages_fts_ad", "messages_fts_au"} <= triggers
    assert not list(data_dir.glob("**/*.bak")), "nothing to back up on a fresh install"


# Tables the startup resets do not touch must come through byte for byte (new columns
# are appended, so each old row must be a prefix of its new row).
UNTOUCHED = {
    "auth": ["users", "user_settings", "password_reset_tokens"],
    "presence": ["typing", "private_channels", "private_channel_members", "event_signal"],
    "messages": ["messages", "reactions", "read_state", "dm_hidden"],
}


async def test_original_install_keeps_every_row(make_app: AppFactory, data_dir: Path) -> None:
    write_original_data_root(data_dir)
    before = {
        (name, table): rows(db_path(data_dir, name), f"SELECT * FROM {table} ORDER BY 1, 2")
        for name, tables in UNTOUCHED.items()
        for table in tables
    }
    assert sum(len(rows) for rows in before.values()) > 15

    app = make_app()
    async with (
        app.test_app(),
        get_runtime(app).stores.messages.read() as conn,
        conn.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", ('"firmware"',)
        ) as cursor,
    ):
        assert [row[0] for row in await cursor.fetchall()] == [2], "old index still works"
    assert app.config["SECRET_KEY"] == "f" * 64

    for (name, table), old_rows in before.items():
        after = rows(db_path(data_dir, name), f"SELECT * FROM {table} ORDER BY 1, 2")
        assert [row[: len(old)] for row, old in zip(after, old_rows, strict=True)] == old_rows, (
            f"{name}.{table} changed"
        )
    auth = db_path(data_dir, "auth")
    assert rows(auth, "SELECT COUNT(*) FROM users WHERE password_set_ts IS NULL") == [(0,)]
    assert rows(auth, "SELECT username, password_hash FROM password_history ORDER BY username") == [
        (u, h) for u, h, *_ in before["auth", "users"]
    ]
    assert rows(
        db_path(data_dir, "messages"), "SELECT message_id, username FROM message_mentions"
    ) == [(2, "bob")], "old mentions are indexed too"
    assert rows(
        db_path(data_dir, "messages"), "SELECT channel, username FROM dm_members ORDER BY 2"
    ) == [("dm:alice:bob", "alice"), ("dm:alice:bob", "bob")], "old DMs are indexed too"
    for name in ("auth.db", "presence.db", "users/messages.db"):
        assert (data_dir / f"{name}.v0.bak").is_file(), f"a copy of the old {name} is kept"
    assert rows(data_dir / "users/messages.db.v0.bak", "SELECT COUNT(*) FROM messages") == [
        (len(MESSAGES),)
    ]


async def test_startup_resets_presence_and_live_calls(make_app: AppFactory, data_dir: Path) -> None:
    write_original_data_root(data_dir)
    async with make_app().test_app():
        pass
    presence = db_path(data_dir, "presence")
    assert rows(presence, "SELECT user, state, override FROM presence ORDER BY user") == [
        ("alice", "offline", None),
        ("bob", "offline", None),
    ]
    calls = rows(
        presence, "SELECT call_id, state, ended_ts IS NOT NULL FROM calls ORDER BY call_id"
    )
    assert calls == [
        ("live-call", "ended", 1),
        ("old-call", "ended", 1),
        ("ringing-call", "ended", 1),
    ]
    assert rows(presence, "SELECT ended_ts FROM calls WHERE call_id = 'old-call'") == [
        (1699990000.0,)
    ], "calls that had already ended keep their end time"
    assert rows(presence, "SELECT COUNT(*) FROM call_signals") == [(0,)]
    assert rows(presence, "SELECT state FROM screenshares") == [("ended",)]
    assert rows(
        db_path(data_dir, "messages"), "SELECT COUNT(*) FROM messages WHERE content_type = 'system'"
    ) == [(1,)], "a restart posts no call notices"


async def test_reopening_is_idempotent(make_app: AppFactory, data_dir: Path) -> None:
    for _ in range(2):
        async with make_app().test_app():
            pass
    assert rows(db_path(data_dir, "messages"), "PRAGMA user_version") == [(10,)]


async def test_fts_index_follows_inserts_edits_and_deletes(tmp_path: Path) -> None:
    database = Database(tmp_path / "m.db", discover("minimost.migrations.messages"))
    await database.open()
    try:
        async with database.maintenance(transaction=True) as conn:
            await conn.execute(
                "INSERT INTO messages (id, channel, sender, content, ts) "
                "VALUES (1, 'general', 'a', 'deploy the firmware', 1.0)"
            )
        async with database.maintenance(transaction=True) as conn:
            await conn.execute("UPDATE messages SET content = 'deploy the website' WHERE id = 1")

        async def search(term: str) -> list[int]:
            async with (
                database.read() as conn,
                conn.execute(
                    "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", (f'"{term}"',)
                ) as cursor,
            ):
                return [row[0] for row in await cursor.fetchall()]

        assert await search("firmware") == []
        assert await search("websi") == [1], "trigram finds a mid-word substring"
        async with database.maintenance(transaction=True) as conn:
            await conn.execute("DELETE FROM messages WHERE id = 1")
        assert await search("website") == []
    finally:
        await database.close()


async def test_event_log_is_append_only(tmp_path: Path) -> None:
    database = Database(tmp_path / "m.db", discover("minimost.migrations.messages"))
    await database.open()
    try:
        async with database.maintenance(transaction=True) as conn:
            cursor = await conn.execute(
                "INSERT INTO events (ts, type, channel, payload) VALUES (1, 'x', 'general', '{}')"
            )
            first = cursor.lastrowid
            cursor = await conn.execute(
                "INSERT INTO events (ts, type, username, payload) VALUES (2, 'y', 'bob', '{}')"
            )
            assert cursor.lastrowid == first + 1, "ids grow in commit order"
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with database.maintenance(transaction=True) as conn:
                await conn.execute("UPDATE events SET payload = '[]'")
        async with database.read() as conn, conn.execute("SELECT payload FROM events") as cur:
            assert [row[0] for row in await cur.fetchall()] == ["{}", "{}"]
    finally:
        await database.close()


async def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    database = Database(tmp_path / "m.db", discover("minimost.migrations.messages"))
    await database.open()

    async def insert_then_fail() -> None:
        async with database.maintenance(transaction=True) as conn:
            await conn.execute(
                "INSERT INTO messages (channel, sender, content, ts) "
                "VALUES ('general', 'a', 'half', 1.0)"
            )
            raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            await insert_then_fail()
        async with database.read() as conn, conn.execute("SELECT COUNT(*) FROM messages") as cur:
            assert (await cur.fetchone())[0] == 0
    finally:
        await database.close()


async def test_a_writer_cancelled_while_beginning_leaves_no_transaction_open(
    tmp_path: Path,
) -> None:
    """A websocket closed mid-write cancels its task; the next writer must still begin."""
    database = Database(tmp_path / "m.db", discover("minimost.migrations.messages"))
    await database.open()

    async def write() -> None:
        async with database.maintenance(transaction=True) as conn:
            await conn.execute("INSERT INTO events (ts, type, payload) VALUES (1.0, 'x', '{}')")

    try:
        for yields in range(8):
            task = asyncio.create_task(write())
            for _ in range(yields):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            async with database.maintenance(transaction=True) as conn:
                await conn.execute("SELECT 1")
    finally:
        await database.close()


async def test_failed_migration_rolls_back_and_keeps_the_version(tmp_path: Path) -> None:
    async def create(conn: aiosqlite.Connection) -> None:
        await conn.execute("CREATE TABLE kept (x)")

    async def broken(conn: aiosqlite.Connection) -> None:
        await conn.execute("CREATE TABLE half (x)")
        await conn.execute("INSERT INTO nowhere VALUES (1)")

    path = tmp_path / "x.db"
    database = Database(path, [Migration(1, "create", create), Migration(2, "broken", broken)])
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await database.open()
    assert not database.is_open
    assert rows(path, "PRAGMA user_version") == [(1,)]
    tables = {row[0] for row in rows(path, "SELECT name FROM sqlite_master")}
    assert "kept" in tables
    assert "half" not in tables


async def test_readers_cannot_write_and_settings_are_applied(tmp_path: Path) -> None:
    database = Database(tmp_path / "m.db", discover("minimost.migrations.messages"), readers=2)
    await database.open()
    try:
        async with database.read() as conn:
            async with conn.execute("PRAGMA busy_timeout") as cur:
                assert (await cur.fetchone())[0] == 5000
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await conn.execute("INSERT INTO events (ts, type, payload) VALUES (1, 'x', '')")
        async with database.read() as first, database.read() as second:
            assert first is not second, "readers run side by side"
    finally:
        await database.close()


async def test_commits_leave_checkpoints_to_the_background(tmp_path: Path) -> None:
    """A commit never copies the WAL into the file itself (that fsync would stall every
    send waiting on it); a checkpoint after the writes does."""
    path = tmp_path / "m.db"
    database = Database(path, discover("minimost.migrations.messages"))
    await database.open()
    try:
        async with (
            database.maintenance() as writer,
            writer.execute("PRAGMA wal_autocheckpoint") as cur,
        ):
            assert (await cur.fetchone())[0] == 0
        database.checkpointed.clear()
        async with database.maintenance(transaction=True) as connection:
            await connection.executemany(
                "INSERT INTO messages (channel, sender, content, ts) VALUES ('general', ?, ?, ?)",
                [("alice", f"message {n} " + "x" * 500, float(n)) for n in range(3000)],
            )
        await asyncio.wait_for(database.checkpointed.wait(), 10)
        # Read the file alone, ignoring the WAL: the checkpoint put the rows there.
        in_file = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            assert in_file.execute("SELECT COUNT(*) FROM messages").fetchone() == (3000,)
        finally:
            in_file.close()
    finally:
        await database.close()


async def test_stores_are_closed_when_the_app_stops(make_app: AppFactory) -> None:
    app = make_app()
    async with app.test_app():
        stores = get_runtime(app).stores
        assert all(database.is_open for database in stores.all)
    assert not any(database.is_open for database in stores.all)
    with pytest.raises(RuntimeError, match="not open"):
        async with stores.messages.read():
            pass


async def test_a_failing_store_closes_the_ones_already_open(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    root.prepare()
    root.messages_db.write_bytes(b"this is not a database" * 100)
    stores = Stores.for_data_root(root)
    with pytest.raises(sqlite3.DatabaseError):
        await stores.open()
    assert not any(database.is_open for database in stores.all)


def test_statement_splitter_keeps_trigger_bodies_whole() -> None:
    statements = split_statements(
        "CREATE TABLE a (x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  INSERT INTO a VALUES (1);\n  INSERT INTO a VALUES (2);\nEND;\n"
    )
    assert len(statements) == 2
    assert statements[1].count("INSERT INTO") == 2
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE b (x)")
