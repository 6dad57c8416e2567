"""SQL for the call tables of ``presence.db``: calls, their participants, screen shares."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..db.database import select_all, select_one

LIVE_CALL_STATES = ("ringing", "active")

_CALL_COLUMNS = "call_id, channel, initiator, state, started_ts, answered_ts, ended_ts"
_PARTICIPANT_COLUMNS = (
    "username, role, state, joined_ts, left_ts, sharing, invited_ts, last_seen_ts"
)
_SHARE_COLUMNS = "share_id, channel, sharer, state, started_ts, ended_ts"


def _call(row: Any) -> dict[str, Any]:
    keys = ("call_id", "channel", "initiator", "state", "started_ts", "answered_ts", "ended_ts")
    return dict(zip(keys, row, strict=True))


def _participant(row: Any) -> dict[str, Any]:
    keys = (
        "username",
        "role",
        "state",
        "joined_ts",
        "left_ts",
        "sharing",
        "invited_ts",
        "last_seen_ts",
    )
    participant = dict(zip(keys, row, strict=True))
    participant["sharing"] = bool(participant["sharing"])
    return participant


def _share(row: Any) -> dict[str, Any]:
    keys = ("share_id", "channel", "sharer", "state", "started_ts", "ended_ts")
    return dict(zip(keys, row, strict=True))


def end_live_calls(connection: sqlite3.Connection, now: float) -> int:
    cursor = connection.execute(
        "UPDATE calls SET state = 'ended', ended_ts = ? WHERE state IN ('ringing', 'active')",
        (now,),
    )
    return cursor.rowcount


def end_active_screenshares(connection: sqlite3.Connection, now: float) -> int:
    cursor = connection.execute(
        "UPDATE screenshares SET state = 'ended', ended_ts = ? WHERE state = 'active'", (now,)
    )
    return cursor.rowcount


def delete_all_signals(connection: sqlite3.Connection) -> int:
    """Signalling rows are only meaningful to a live call; none is live after a restart."""
    cursor = connection.execute("DELETE FROM call_signals")
    return cursor.rowcount


def live_call_in(connection: sqlite3.Connection, channel: str) -> dict[str, Any] | None:
    row = select_one(
        connection,
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE channel = ? AND state IN ('ringing', 'active') "
        "ORDER BY started_ts DESC LIMIT 1",
        (channel,),
    )
    return _call(row) if row else None


def get_call(connection: sqlite3.Connection, call_id: str) -> dict[str, Any] | None:
    row = select_one(connection, f"SELECT {_CALL_COLUMNS} FROM calls WHERE call_id = ?", (call_id,))
    return _call(row) if row else None


def insert_call(
    connection: sqlite3.Connection, call_id: str, channel: str, initiator: str, now: float
) -> None:
    connection.execute(
        "INSERT INTO calls (call_id, channel, initiator, state, started_ts) "
        "VALUES (?, ?, ?, 'ringing', ?)",
        (call_id, channel, initiator, now),
    )


def participants(connection: sqlite3.Connection, call_id: str) -> list[dict[str, Any]]:
    rows = select_all(
        connection,
        f"SELECT {_PARTICIPANT_COLUMNS} FROM call_participants WHERE call_id = ? "
        "ORDER BY COALESCE(joined_ts, invited_ts), username",
        (call_id,),
    )
    return [_participant(row) for row in rows]


def participant_state(connection: sqlite3.Connection, call_id: str, username: str) -> str | None:
    row = select_one(
        connection,
        "SELECT state FROM call_participants WHERE call_id = ? AND username = ?",
        (call_id, username),
    )
    return str(row[0]) if row else None


def accepted_in_live_call(
    connection: sqlite3.Connection, call_id: str, usernames: tuple[str, ...]
) -> int:
    """How many of the named users are accepted participants of the call while it is live."""
    marks = ", ".join("?" for _ in usernames)
    row = select_one(
        connection,
        "SELECT COUNT(*) FROM call_participants p JOIN calls c ON c.call_id = p.call_id "
        f"WHERE p.call_id = ? AND p.state = 'accepted' AND p.username IN ({marks}) "
        "AND c.state IN ('ringing', 'active')",
        (call_id, *usernames),
    )
    return int(row[0]) if row else 0


def ring(
    connection: sqlite3.Connection, call_id: str, username: str, role: str, now: float
) -> None:
    """Make the user a ringing (``pending``) participant, whatever their row said before."""
    connection.execute(
        "INSERT INTO call_participants (call_id, username, role, state, invited_ts) "
        "VALUES (?, ?, ?, 'pending', ?) "
        "ON CONFLICT (call_id, username) DO UPDATE SET state = 'pending', "
        "invited_ts = excluded.invited_ts, left_ts = NULL, sharing = 0",
        (call_id, username, role, now),
    )


def join(
    connection: sqlite3.Connection, call_id: str, username: str, role: str, now: float
) -> None:
    """Make the user an accepted participant, with a fresh heartbeat."""
    connection.execute(
        "INSERT INTO call_participants "
        "(call_id, username, role, state, joined_ts, last_seen_ts, invited_ts) "
        "VALUES (?, ?, ?, 'accepted', ?, ?, ?) "
        "ON CONFLICT (call_id, username) DO UPDATE SET state = 'accepted', "
        "joined_ts = excluded.joined_ts, last_seen_ts = excluded.last_seen_ts, "
        "left_ts = NULL, sharing = 0",
        (call_id, username, role, now, now, now),
    )


def part(
    connection: sqlite3.Connection, call_id: str, username: str, state: str, now: float
) -> None:
    """Record that the user is no longer in (or being rung for) the call."""
    connection.execute(
        "UPDATE call_participants SET state = ?, left_ts = ?, sharing = 0 "
        "WHERE call_id = ? AND username = ?",
        (state, now, call_id, username),
    )


def answer(connection: sqlite3.Connection, call_id: str, now: float) -> None:
    """The call is active; its duration counts from the first answer."""
    connection.execute(
        "UPDATE calls SET state = 'active', answered_ts = COALESCE(answered_ts, ?) "
        "WHERE call_id = ? AND state IN ('ringing', 'active')",
        (now, call_id),
    )


def finish(connection: sqlite3.Connection, call_id: str, state: str, now: float) -> bool:
    """End a live call; True only for the one caller that actually ended it."""
    cursor = connection.execute(
        "UPDATE calls SET state = ?, ended_ts = ?, screenshare_user = NULL "
        "WHERE call_id = ? AND state IN ('ringing', 'active')",
        (state, now, call_id),
    )
    if cursor.rowcount != 1:
        return False
    connection.execute(
        "UPDATE call_participants SET state = CASE state WHEN 'pending' THEN 'missed' "
        "ELSE 'left' END, left_ts = ?, sharing = 0 "
        "WHERE call_id = ? AND state IN ('pending', 'accepted')",
        (now, call_id),
    )
    return True


def heartbeat(connection: sqlite3.Connection, call_id: str, username: str, now: float) -> bool:
    cursor = connection.execute(
        "UPDATE call_participants SET last_seen_ts = ? "
        "WHERE call_id = ? AND username = ? AND state = 'accepted'",
        (now, call_id, username),
    )
    return cursor.rowcount == 1


def set_sharing(connection: sqlite3.Connection, call_id: str, username: str, sharing: bool) -> None:
    connection.execute(
        "UPDATE call_participants SET sharing = ? WHERE call_id = ? AND username = ?",
        (int(sharing), call_id, username),
    )
    connection.execute(
        "UPDATE calls SET screenshare_user = CASE WHEN ? THEN ? "
        "WHEN screenshare_user = ? THEN NULL ELSE screenshare_user END WHERE call_id = ?",
        (int(sharing), username, username, call_id),
    )


def live_calls_of(connection: sqlite3.Connection, username: str) -> list[str]:
    """Live calls the user is in or being rung for, newest first."""
    rows = select_all(
        connection,
        "SELECT c.call_id FROM calls c JOIN call_participants p ON p.call_id = c.call_id "
        "WHERE p.username = ? AND p.state IN ('pending', 'accepted') "
        "AND c.state IN ('ringing', 'active') ORDER BY c.started_ts DESC",
        (username,),
    )
    return [str(row[0]) for row in rows]


def unanswered_rings(connection: sqlite3.Connection, cutoff: float) -> list[tuple[str, str]]:
    """(call, user) pairs of live calls that have been ringing since before ``cutoff``."""
    rows = select_all(
        connection,
        "SELECT p.call_id, p.username FROM call_participants p "
        "JOIN calls c ON c.call_id = p.call_id "
        "WHERE p.state = 'pending' AND c.state IN ('ringing', 'active') "
        "AND COALESCE(p.invited_ts, c.started_ts) <= ?",
        (cutoff,),
    )
    return [(str(call_id), str(username)) for call_id, username in rows]


def silent_participants(connection: sqlite3.Connection, cutoff: float) -> list[tuple[str, str]]:
    """(call, user) pairs of accepted participants whose last heartbeat is before ``cutoff``."""
    rows = select_all(
        connection,
        "SELECT p.call_id, p.username FROM call_participants p "
        "JOIN calls c ON c.call_id = p.call_id "
        "WHERE p.state = 'accepted' AND c.state IN ('ringing', 'active') "
        "AND COALESCE(p.last_seen_ts, p.joined_ts, 0) < ?",
        (cutoff,),
    )
    return [(str(call_id), str(username)) for call_id, username in rows]


def start_share(
    connection: sqlite3.Connection, share_id: str, channel: str, sharer: str, now: float
) -> list[str]:
    """Start a share, ending the sharer's earlier one in the channel; return those ended."""
    rows = select_all(
        connection,
        "SELECT share_id FROM screenshares WHERE channel = ? AND sharer = ? AND state = 'active'",
        (channel, sharer),
    )
    earlier = [str(row[0]) for row in rows]
    for old in earlier:
        end_share(connection, old, now)
    connection.execute(
        "INSERT INTO screenshares (share_id, channel, sharer, state, started_ts) "
        "VALUES (?, ?, ?, 'active', ?)",
        (share_id, channel, sharer, now),
    )
    return earlier


def get_share(connection: sqlite3.Connection, share_id: str) -> dict[str, Any] | None:
    row = select_one(
        connection, f"SELECT {_SHARE_COLUMNS} FROM screenshares WHERE share_id = ?", (share_id,)
    )
    return _share(row) if row else None


def end_share(connection: sqlite3.Connection, share_id: str, now: float) -> bool:
    cursor = connection.execute(
        "UPDATE screenshares SET state = 'ended', ended_ts = ? "
        "WHERE share_id = ? AND state = 'active'",
        (now, share_id),
    )
    return cursor.rowcount == 1


def active_shares(connection: sqlite3.Connection, channel: str) -> list[dict[str, Any]]:
    rows = select_all(
        connection,
        f"SELECT {_SHARE_COLUMNS} FROM screenshares WHERE channel = ? AND state = 'active' "
        "ORDER BY started_ts",
        (channel,),
    )
    return [_share(row) for row in rows]


def all_active_shares(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = select_all(
        connection, f"SELECT {_SHARE_COLUMNS} FROM screenshares WHERE state = 'active'"
    )
    return [_share(row) for row in rows]
