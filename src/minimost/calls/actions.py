"""The call lifecycle: start, ring, answer, leave, invite, and the timers that end calls.

Every change is written to ``presence.db`` together with its ``call.updated`` event
(carrying the whole call, so a client that missed something catches up from the next
event), which the outbox relays to the log. Changes are serialised by one lock, so the snapshots
reach clients in the order the changes happened. A call finishes exactly once (the
one update that moves it out of ``ringing``/``active``), and only that finish posts
the channel notice.

Who may see a call: readers of its channel and anyone with a participant row (people
invited from outside the channel). Invitees get the call's events addressed to them
personally; the channel's messages stay closed to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ..api import ApiError
from ..channel_ids import dm_participants, parse
from ..chat.messages.mentions import channel_members
from ..db import Changes
from ..identity import users
from ..identity.events import NOTICE
from ..realtime import Audience, Signal, realtime_of
from ..runtime import Runtime
from . import store

log = logging.getLogger(__name__)

CALL_NOT_FOUND = ApiError(404, "not_found", "No such call.")
SHARE_NOT_FOUND = ApiError(404, "not_found", "No such screen share.")
CALL_OVER = ApiError(409, "call_ended", "This call has ended.")
CALLABLE_KINDS = ("dm", "private")
# A change to a call on the writer's thread: the connection, the call before, the time;
# answers whether anything changed.
CallChange = Callable[[sqlite3.Connection, dict[str, Any], float], bool]


def call_notice(call: dict[str, Any]) -> str:
    """The one channel notice of a finished call."""
    if call["answered_ts"] is None:
        return f"Missed call from {call['initiator']}"
    return f"Call ended · {format_duration(call['ended_ts'] - call['answered_ts'])}"


def format_duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


class CallService:
    """Call and screen-share actions, plus the ring and stale-heartbeat timers."""

    def __init__(self, runtime: Runtime, *, ring_seconds: float, stale_seconds: float) -> None:
        self.runtime = runtime
        self.ring_seconds = ring_seconds
        self.stale_seconds = stale_seconds
        self._lock = asyncio.Lock()
        self._timers: set[asyncio.Task[None]] = set()
        self._share_seen: dict[str, float] = {}

    # -- visibility ------------------------------------------------------------------------------

    def _can_read(self, username: str, channel: str) -> bool:
        return realtime_of(self.runtime).access.can_read(username, channel)

    async def _visible_call(self, username: str, call_id: str) -> dict[str, Any]:
        """The call with its participants, or 404 for someone who may not see it."""
        call = await self.runtime.stores.presence.reading(
            lambda connection: self._snapshot(connection, call_id)
        )
        if call is None or not self._may_see(username, call):
            raise CALL_NOT_FOUND
        return call

    def _may_see(self, username: str, call: dict[str, Any]) -> bool:
        if self._can_read(username, call["channel"]):
            return True
        return any(p["username"] == username for p in call["participants"])

    def _snapshot(self, connection: sqlite3.Connection, call_id: str) -> dict[str, Any] | None:
        call = store.get_call(connection, call_id)
        if call is None:
            return None
        people = store.participants(connection, call_id)
        call["participants"] = [
            {
                "username": p["username"],
                "role": p["role"],
                "state": p["state"],
                "sharing": p["sharing"],
                "joined_ts": p["joined_ts"],
            }
            for p in people
        ]
        return call

    # -- announcing ------------------------------------------------------------------------------

    def _announce(self, changes: Changes, call: dict[str, Any], notice: bool) -> None:
        """Record the call's new state for its channel's readers and each outside invitee."""
        channel = call["channel"]
        if notice:
            notice_data = {"text": call_notice(call), "ts": call["ended_ts"]}
            changes.record(NOTICE, Audience(channel=channel), notice_data)
        changes.record("call.updated", Audience(channel=channel), call)
        for person in call["participants"]:
            if not self._can_read(person["username"], channel):
                changes.record("call.updated", Audience(username=person["username"]), call)

    async def _change(
        self, call_id: str, change: CallChange, *, settle: bool = True
    ) -> dict[str, Any] | None:
        """Apply ``change(connection, call, now)`` and record the result, in one transaction.

        With ``settle``, a call left with fewer than two people (in it or ringing)
        finishes in the same transaction. Returns the call as announced, or None when
        the change decided there was nothing to announce.
        """

        def write(changes: Changes) -> dict[str, Any] | None:
            connection = changes.connection
            before = self._snapshot(connection, call_id)
            if before is None:
                raise CALL_NOT_FOUND
            if not change(connection, before, now):
                return None
            finished = settle and self._settle(connection, call_id, now)
            after = self._snapshot(connection, call_id)
            assert after is not None
            self._announce(changes, after, notice=finished)
            return after

        async with self._lock:
            now = time.time()
            return await self.runtime.stores.presence.write(write)

    def _settle(self, connection: sqlite3.Connection, call_id: str, now: float) -> bool:
        """Finish a live call with fewer than two people in it or being rung for it."""
        people = store.participants(connection, call_id)
        present = [p for p in people if p["state"] in ("pending", "accepted")]
        if len(present) >= 2:
            return False
        call = store.get_call(connection, call_id)
        assert call is not None
        final = "ended" if call["answered_ts"] is not None else "missed"
        return store.finish(connection, call_id, final, now)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, caller: str, channel: str) -> dict[str, Any]:
        """Ring every other member of a DM or private channel."""
        parsed = parse(channel)
        if (
            parsed is None
            or parsed.kind not in CALLABLE_KINDS
            or not self._can_read(caller, channel)
        ):
            raise ApiError(404, "not_found", "No such channel.")
        members = await self._members(channel)
        others = [name for name in members if name != caller]
        if not others:
            raise ApiError(400, "invalid", "There is nobody else in this channel to call.")
        call_id = str(uuid.uuid4())

        def write(changes: Changes) -> dict[str, Any]:
            connection = changes.connection
            if store.live_call_in(connection, channel) is not None:
                raise ApiError(409, "call_in_progress", "A call is already going on here.")
            store.insert_call(connection, call_id, channel, caller, now)
            store.join(connection, call_id, caller, "initiator", now)
            for name in others:
                store.ring(connection, call_id, name, "participant", now)
            call = self._snapshot(connection, call_id)
            assert call is not None
            self._announce(changes, call, notice=False)
            return call

        async with self._lock:
            now = time.time()
            call = await self.runtime.stores.presence.write(write)
        self._after(self.ring_seconds, self._ring_out)
        return call

    async def _members(self, channel: str) -> list[str]:
        """The accounts in a DM (that still exist) or the members of a private channel."""
        names = dm_participants(channel)
        if names:
            found = await self.runtime.stores.auth.reading(
                lambda connection: [users.find_user(connection, name) for name in names]
            )
            return [user["username"] for user in found if user is not None]
        return await channel_members(self.runtime, channel)

    async def accept(self, username: str, call_id: str) -> dict[str, Any]:
        """Answer a ring, walk into a live call of a channel one reads, or rejoin.

        Accepting again (a reloaded tab) is announced with a new ``joined_ts``, so the
        others replace their connection to this participant.
        """
        await self._visible_call(username, call_id)

        def change(connection: sqlite3.Connection, call: dict[str, Any], now: float) -> bool:
            if call["state"] not in store.LIVE_CALL_STATES:
                raise CALL_OVER
            role = "initiator" if username == call["initiator"] else "participant"
            store.join(connection, call_id, username, role, now)
            store.answer(connection, call_id, now)
            return True

        changed = await self._change(call_id, change, settle=False)
        assert changed is not None
        return changed

    async def reject(self, username: str, call_id: str) -> dict[str, Any]:
        """Decline a ring; a call nobody is left to answer ends as missed."""
        await self._visible_call(username, call_id)

        def change(connection: sqlite3.Connection, call: dict[str, Any], now: float) -> bool:
            if call["state"] not in store.LIVE_CALL_STATES:
                raise CALL_OVER
            state = store.participant_state(connection, call_id, username)
            if state != "pending":
                raise ApiError(409, "not_ringing", "This call is not ringing for you.")
            store.part(connection, call_id, username, "rejected", now)
            return True

        changed = await self._change(call_id, change)
        assert changed is not None
        return changed

    async def leave(self, username: str, call_id: str) -> dict[str, Any]:
        """Hang up (or stop ringing as the caller); idempotent, so a page-hide retry is safe."""
        await self._visible_call(username, call_id)

        def change(connection: sqlite3.Connection, call: dict[str, Any], now: float) -> bool:
            if call["state"] not in store.LIVE_CALL_STATES:
                return False
            state = store.participant_state(connection, call_id, username)
            if state == "accepted":
                store.part(connection, call_id, username, "left", now)
                return True
            if state == "pending":
                store.part(connection, call_id, username, "rejected", now)
                return True
            return False

        changed = await self._change(call_id, change)
        return changed or await self._visible_call(username, call_id)

    async def invite(self, username: str, call_id: str, invitee: str) -> dict[str, Any]:
        """Ring someone else into the call (any account, even from outside the channel)."""
        await self._visible_call(username, call_id)
        if not invitee.strip():
            raise ApiError(400, "invalid", "Say who to add.")
        account = await self.runtime.stores.auth.reading(
            lambda connection: users.find_user(connection, invitee.strip())
        )
        if account is None:
            raise ApiError(404, "not_found", f"No account named {invitee.strip()}.")
        name = account["username"]

        def change(connection: sqlite3.Connection, call: dict[str, Any], now: float) -> bool:
            if call["state"] not in store.LIVE_CALL_STATES:
                raise CALL_OVER
            states = {p["username"]: p["state"] for p in call["participants"]}
            if states.get(username) != "accepted":
                raise ApiError(403, "not_in_call", "Join the call before adding people.")
            if states.get(name) == "accepted":
                raise ApiError(409, "already_in_call", f"{name} is already in the call.")
            if states.get(name) == "pending":
                return False
            store.ring(connection, call_id, name, "participant", now)
            return True

        changed = await self._change(call_id, change, settle=False)
        if changed is None:
            return await self._visible_call(username, call_id)
        self._after(self.ring_seconds, self._ring_out)
        return changed

    async def heartbeat(self, username: str, call_id: str) -> dict[str, Any]:
        """Say this participant is still there; answers the call as it stands."""
        call = await self._visible_call(username, call_id)
        if call["state"] in store.LIVE_CALL_STATES:
            now = time.time()
            await self.runtime.stores.presence.write(
                lambda changes: store.heartbeat(changes.connection, call_id, username, now)
            )
        return call

    async def set_sharing(self, username: str, call_id: str, sharing: bool) -> dict[str, Any]:
        """Tell the others this participant is (or stopped) sharing a screen in the call."""
        await self._visible_call(username, call_id)

        def change(connection: sqlite3.Connection, call: dict[str, Any], now: float) -> bool:
            if call["state"] != "active":
                raise ApiError(409, "not_active", "The call is not active.")
            people = {p["username"]: p for p in call["participants"]}
            if people.get(username, {}).get("state") != "accepted":
                raise ApiError(403, "not_in_call", "You are not in this call.")
            if people[username]["sharing"] == sharing:
                return False
            store.set_sharing(connection, call_id, username, sharing)
            return True

        changed = await self._change(call_id, change, settle=False)
        return changed or await self._visible_call(username, call_id)

    async def view(self, username: str, call_id: str) -> dict[str, Any]:
        return await self._visible_call(username, call_id)

    async def current(self, username: str, channel: str) -> dict[str, Any] | None:
        """The live call of a channel the user reads, if any."""
        if not self._can_read(username, channel):
            raise ApiError(404, "not_found", "No such channel.")

        def current(connection: sqlite3.Connection) -> dict[str, Any] | None:
            live = store.live_call_in(connection, channel)
            return self._snapshot(connection, live["call_id"]) if live else None

        return await self.runtime.stores.presence.reading(current)

    async def mine(self, username: str) -> list[dict[str, Any]]:
        """Live calls the user is in or being rung for (invitations from outside included)."""

        def mine(connection: sqlite3.Connection) -> list[dict[str, Any] | None]:
            ids = store.live_calls_of(connection, username)
            return [self._snapshot(connection, call_id) for call_id in ids]

        calls = await self.runtime.stores.presence.reading(mine)
        return [call for call in calls if call is not None]

    # -- signalling ------------------------------------------------------------------------------

    async def relay(self, sender: str, frame: dict[str, Any]) -> str | None:
        """Pass an offer, answer or ICE candidate to another participant; or say why not."""
        call_id, target, data = frame.get("call_id"), frame.get("to"), frame.get("data")
        if not isinstance(call_id, str) or not isinstance(target, str):
            return "A call signal needs call_id, to and data."
        if not isinstance(data, dict) or target == sender:
            return "A call signal needs call_id, to and data."
        together = await self.runtime.stores.presence.reading(
            lambda connection: store.accepted_in_live_call(connection, call_id, (sender, target))
        )
        if together != 2:
            return "No such call, or that person is not in it."
        body = {"type": "call.signal", "call_id": call_id, "from": sender, "data": data}
        await realtime_of(self.runtime).signal(Signal(Audience(username=target), body))
        return None

    async def relay_share(self, sender: str, frame: dict[str, Any]) -> str | None:
        """Signalling between a sharer and one viewer of a standalone screen share."""
        share_id, target, data = frame.get("share_id"), frame.get("to"), frame.get("data")
        if not isinstance(share_id, str) or not isinstance(target, str):
            return "A share signal needs share_id, to and data."
        if not isinstance(data, dict) or target == sender:
            return "A share signal needs share_id, to and data."
        share = await self.runtime.stores.presence.reading(
            lambda connection: store.get_share(connection, share_id)
        )
        allowed = (
            share is not None
            and share["state"] == "active"
            and share["sharer"] in (sender, target)
            and self._can_read(sender, share["channel"])
            and self._can_read(target, share["channel"])
        )
        if not allowed:
            return "No such screen share."
        body = {"type": "share.signal", "share_id": share_id, "from": sender, "data": data}
        await realtime_of(self.runtime).signal(Signal(Audience(username=target), body))
        return None

    # -- standalone screen shares ---------------------------------------------------------------

    async def start_share(self, sharer: str, channel: str) -> dict[str, Any]:
        """Share a screen with a channel's readers; ends the sharer's earlier share there."""
        if not self._can_read(sharer, channel):
            raise ApiError(404, "not_found", "No such channel.")
        share_id = str(uuid.uuid4())

        def write(changes: Changes) -> list[dict[str, Any]]:
            connection = changes.connection
            ended = store.start_share(connection, share_id, channel, sharer, now)
            shares = [store.get_share(connection, sid) for sid in [*ended, share_id]]
            for share in shares:
                assert share is not None
                changes.record("screenshare.updated", Audience(channel=channel), share)
            return [share for share in shares if share is not None]

        async with self._lock:
            now = time.time()
            shares = await self.runtime.stores.presence.write(write)
            self._share_seen[share_id] = time.monotonic()
            for share in shares:
                if share["state"] != "active":
                    self._share_seen.pop(share["share_id"], None)
        return shares[-1]

    async def stop_share(self, username: str, share_id: str) -> dict[str, Any]:
        share = await self._visible_share(username, share_id)
        if share["sharer"] != username:
            raise ApiError(403, "forbidden", "Only the person sharing can stop a share.")
        return await self._end_share(share_id) or share

    async def share_heartbeat(self, username: str, share_id: str) -> dict[str, Any]:
        share = await self._visible_share(username, share_id)
        if share["sharer"] == username and share["state"] == "active":
            self._share_seen[share_id] = time.monotonic()
        return share

    async def shares_in(self, username: str, channel: str) -> list[dict[str, Any]]:
        if not self._can_read(username, channel):
            raise ApiError(404, "not_found", "No such channel.")
        return await self.runtime.stores.presence.reading(
            lambda connection: store.active_shares(connection, channel)
        )

    async def _visible_share(self, username: str, share_id: str) -> dict[str, Any]:
        share = await self.runtime.stores.presence.reading(
            lambda connection: store.get_share(connection, share_id)
        )
        if share is None or not self._can_read(username, share["channel"]):
            raise SHARE_NOT_FOUND
        return share

    async def _end_share(self, share_id: str) -> dict[str, Any] | None:
        self._share_seen.pop(share_id, None)

        def write(changes: Changes) -> dict[str, Any] | None:
            if not store.end_share(changes.connection, share_id, now):
                return None
            share = store.get_share(changes.connection, share_id)
            assert share is not None
            changes.record("screenshare.updated", Audience(channel=share["channel"]), share)
            return share

        async with self._lock:
            now = time.time()
            return await self.runtime.stores.presence.write(write)

    # -- timers ----------------------------------------------------------------------------------

    def _after(self, delay: float, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work()`` after ``delay`` seconds as a task that shutdown cancels."""

        async def later() -> None:
            await asyncio.sleep(delay)
            await work()

        task = asyncio.create_task(later())
        self._timers.add(task)
        task.add_done_callback(self._timer_done)

    def _timer_done(self, task: asyncio.Task[None]) -> None:
        self._timers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call timer failed", exc_info=task.exception())

    async def _ring_out(self) -> None:
        """Stop ringing whoever has rung for the full ring time without answering."""
        cutoff = time.time() - self.ring_seconds + 0.05
        due = await self.runtime.stores.presence.reading(
            lambda connection: store.unanswered_rings(connection, cutoff)
        )
        for call_id, username in due:
            await self._drop(call_id, username, from_state="pending", to_state="missed")

    async def _drop(self, call_id: str, username: str, *, from_state: str, to_state: str) -> None:
        def change(connection: sqlite3.Connection, call: dict[str, Any], now: float) -> bool:
            if call["state"] not in store.LIVE_CALL_STATES:
                return False
            if store.participant_state(connection, call_id, username) != from_state:
                return False
            store.part(connection, call_id, username, to_state, now)
            return True

        await self._change(call_id, change)

    async def sweep(self) -> None:
        """Drop participants whose heartbeat stopped, and shares whose sharer went quiet."""
        quiet_since = time.time() - self.stale_seconds
        silent, shares = await self.runtime.stores.presence.reading(
            lambda connection: (
                store.silent_participants(connection, quiet_since),
                store.all_active_shares(connection),
            )
        )
        for call_id, username in silent:
            await self._drop(call_id, username, from_state="accepted", to_state="left")
        cutoff = time.monotonic() - self.stale_seconds
        for share in shares:
            seen = self._share_seen.setdefault(share["share_id"], time.monotonic())
            if seen < cutoff:
                await self._end_share(share["share_id"])

    async def run_sweeps(self) -> None:
        while True:
            await asyncio.sleep(self.stale_seconds / 3)
            try:
                await self.sweep()
            except Exception:
                log.exception("call sweep failed")

    async def close(self) -> None:
        timers = list(self._timers)
        for task in timers:
            task.cancel()
        for task in timers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
