"""A data root as the original Flask MiniMost left it, written with plain sqlite3.

The auth database predates password ageing (no ``password_set_ts``), presence.db
predates call heartbeats, and messages.db already has its FTS index: the mix an admin
upgrading from 0.0.4 really has.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

ALICE_STORED_HASH = (
    "scrypt:32768:8:1$k3Fq1ZbWv9YkYQ2T$"
    "6f0a3c6b1e0e3d1c2b5a4f6e7d8c9b0a1f2e3d4c5b6a79880716253443526170"
    "8f9e0d1c2b3a4958675a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f80910"
)
BOB_STORED_HASH = (
    "pbkdf2:sha256:600000$Qm9iU2FsdA$"
    "1c0c8a4f1cbe1d9f2e2b8d5c6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091"
)

MESSAGES = [
    (1, "general", "system", "Welcome to MiniMost, alice!", "system", None, 1700000000.0),
    (
        2,
        "general",
        "alice",
        "hello **team**, the firmware build is green",
        "text",
        None,
        1700000010.5,
    ),
    (3, "general", "bob", None, "image", "0123456789abcdef0123456789abcdef.png", 1700000020.0),
    (4, "dm:alice:bob", "bob", "lunch at noon?", "text", None, 1700000030.0),
    (5, "private:1", "alice", "quarterly numbers attached", "text", None, 1700000040.0),
]


def write_original_data_root(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "users").mkdir(exist_ok=True)
    (root / "secret.key").write_text("f" * 64)
    _auth(root / "auth.db")
    _presence(root / "presence.db")
    _messages(root / "users" / "messages.db")


def _auth(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        """
        CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0, lockout_until REAL);
        CREATE TABLE user_settings (username TEXT PRIMARY KEY, name_color TEXT,
            avatar_file TEXT);
        ALTER TABLE user_settings ADD COLUMN bio TEXT;
        CREATE TABLE password_reset_tokens (token TEXT PRIMARY KEY, username TEXT NOT NULL,
            expires_ts REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
        """
    )
    db.executemany(
        "INSERT INTO users (username, password_hash, failed_attempts) VALUES (?, ?, ?)",
        [("alice", ALICE_STORED_HASH, 0), ("Bob", BOB_STORED_HASH, 2)],
    )
    db.execute("INSERT INTO user_settings VALUES ('alice', '#ff8800', 'aaaa.jpg', 'firmware lead')")
    db.execute("INSERT INTO password_reset_tokens VALUES ('tok', 'Bob', 1700009999.0, 0)")
    db.commit()
    db.close()


def _presence(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        """
        CREATE TABLE presence (user TEXT PRIMARY KEY, last_seen INTEGER NOT NULL,
            state TEXT NOT NULL, override TEXT);
        CREATE TABLE typing (user TEXT NOT NULL, channel TEXT NOT NULL, ts INTEGER NOT NULL,
            PRIMARY KEY (user, channel));
        CREATE TABLE private_channels (id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL, created_by TEXT NOT NULL, created_ts REAL NOT NULL);
        CREATE TABLE private_channel_members (channel_id INTEGER NOT NULL,
            username TEXT NOT NULL, joined_ts REAL NOT NULL, history_start_ts REAL,
            PRIMARY KEY (channel_id, username),
            FOREIGN KEY (channel_id) REFERENCES private_channels(id));
        CREATE TABLE calls (call_id TEXT PRIMARY KEY, channel TEXT NOT NULL,
            initiator TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'ringing',
            started_ts REAL NOT NULL, answered_ts REAL, ended_ts REAL,
            screenshare_user TEXT);
        CREATE TABLE call_participants (call_id TEXT NOT NULL, username TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'participant', state TEXT NOT NULL DEFAULT 'pending',
            joined_ts REAL, left_ts REAL, sharing INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (call_id, username), FOREIGN KEY (call_id) REFERENCES calls(call_id));
        CREATE TABLE call_signals (id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id TEXT NOT NULL, from_user TEXT NOT NULL, to_user TEXT NOT NULL,
            signal_type TEXT NOT NULL, payload TEXT NOT NULL, ts REAL NOT NULL);
        CREATE TABLE screenshares (share_id TEXT PRIMARY KEY, channel TEXT NOT NULL,
            sharer TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'active',
            started_ts REAL NOT NULL, ended_ts REAL);
        CREATE TABLE event_signal (id INTEGER PRIMARY KEY CHECK (id = 1),
            gen INTEGER NOT NULL DEFAULT 0);
        INSERT INTO event_signal VALUES (1, 41);
        """
    )
    db.executemany(
        "INSERT INTO presence VALUES (?, ?, ?, ?)",
        [("alice", 1700000000, "active", "idle"), ("bob", 1700000000, "hidden", None)],
    )
    db.execute("INSERT INTO private_channels VALUES (1, 'q3-planning', 'alice', 1699999000.0)")
    db.executemany(
        "INSERT INTO private_channel_members VALUES (1, ?, ?, ?)",
        [("alice", 1699999000.0, None), ("bob", 1700000050.0, 1700000050.0)],
    )
    db.executemany(
        "INSERT INTO calls VALUES (?, 'dm:alice:bob', 'alice', ?, 1700000000.0, NULL, ?, NULL)",
        [
            ("live-call", "active", None),
            ("ringing-call", "ringing", None),
            ("old-call", "ended", 1699990000.0),
        ],
    )
    db.execute(
        "INSERT INTO call_participants (call_id, username, role, state) "
        "VALUES ('live-call', 'bob', 'participant', 'accepted')"
    )
    db.execute(
        "INSERT INTO call_signals (call_id, from_user, to_user, signal_type, payload, ts) "
        "VALUES ('live-call', 'alice', 'bob', 'offer', '{}', 1700000000.0)"
    )
    db.execute(
        "INSERT INTO screenshares VALUES ('share-1', 'general', 'alice', 'active', 1.0, NULL)"
    )
    db.commit()
    db.close()


def _messages(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        """
        CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,
            sender TEXT NOT NULL, content TEXT, content_type TEXT DEFAULT 'text',
            filename TEXT, ts REAL NOT NULL, edited INTEGER DEFAULT 0, edited_ts REAL,
            deleted INTEGER DEFAULT 0, deleted_ts REAL, reply_to_id INTEGER,
            reactions_ts REAL, mentions TEXT, metadata TEXT, client_msg_id TEXT,
            expires_ts REAL, FOREIGN KEY (reply_to_id) REFERENCES messages(id));
        CREATE INDEX idx_messages_channel_ts ON messages(channel, ts);
        CREATE TABLE reactions (message_id INTEGER NOT NULL, emoji TEXT NOT NULL,
            reactor TEXT NOT NULL, PRIMARY KEY (message_id, emoji, reactor));
        CREATE TABLE read_state (user TEXT NOT NULL, channel TEXT NOT NULL,
            last_read_ts REAL NOT NULL DEFAULT 0, PRIMARY KEY (user, channel));
        CREATE TABLE dm_hidden (user TEXT NOT NULL, channel TEXT NOT NULL,
            hidden_ts REAL NOT NULL, PRIMARY KEY (user, channel));
        CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages',
            content_rowid='id', tokenize='trigram', columnsize=0);
        CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END;
        CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content); END;
        CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END;
        """
    )
    db.executemany(
        "INSERT INTO messages (id, channel, sender, content, content_type, filename, ts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        MESSAGES,
    )
    db.execute("UPDATE messages SET mentions = '[\"bob\"]', reply_to_id = 1 WHERE id = 2")
    db.execute("INSERT INTO reactions VALUES (2, 'thumbsup', 'bob')")
    db.execute("INSERT INTO read_state VALUES ('bob', 'general', 1700000010.5)")
    db.execute("INSERT INTO dm_hidden VALUES ('alice', 'dm:alice:bob', 1700000035.0)")
    db.commit()
    db.close()


# Written by people whose accounts 0.0.4 deleted (it left no trace in auth.db) and by
# the accounts that still exist, in the markup its users typed.
OLDER_MARKUP = [
    (20, "general", "carol", "@alice see `make flash` and https://example.com/build?id=7"),
    (21, "general", "alice", "**bold**, _italic_, ~~gone~~\n> quoted\n- one\n- two"),
    (22, "general", "carol", "```python\nprint('<b>hi</b>')\n```"),
    (23, "dm:Dave:carol", "carol", "ping <script>alert(1)</script> www.example.org"),
]


def write_history_of_deleted_accounts(root: Path) -> None:
    """Add history from names with no account (carol, Dave, erin, frank) to a 0.0.4 root."""
    messages = sqlite3.connect(root / "users" / "messages.db")
    messages.executemany(
        "INSERT INTO messages (id, channel, sender, content, content_type, ts) "
        "VALUES (?, ?, ?, ?, 'text', 1700000100.0 + ?)",
        [(*row, row[0]) for row in OLDER_MARKUP],
    )
    messages.execute("INSERT INTO reactions VALUES (2, 'tada', 'erin')")
    messages.execute("INSERT INTO read_state VALUES ('frank', 'general', 1700000000.0)")
    messages.commit()
    messages.close()
    presence = sqlite3.connect(root / "presence.db")
    presence.execute("INSERT INTO private_channel_members VALUES (1, 'erin', 1699999000.0, NULL)")
    presence.commit()
    presence.close()
