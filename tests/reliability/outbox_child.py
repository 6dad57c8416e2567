"""A MiniMost process that makes one change and dies the moment it commits.

Run as ``python -m tests.reliability.outbox_child DATA_DIR SCENARIO``. It builds the app
on the data dir, prepares what the scenario needs (accounts, a channel, a call) as
usual, then makes the scenario's change with the process set to die (``os._exit(9)``,
no cleanup, like a kill) right after the change and its outbox rows commit in auth.db or
presence.db, before they are relayed into the event log. It prints ``READY <head>``
(the log's newest event id before the change) first, so the test can resume from it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from minimost import create_app
from minimost.auth import actions as accounts
from minimost.auth import roles
from minimost.calls.actions import CallService
from minimost.chat.channels import private
from minimost.identity.sessions import CurrentSession
from minimost.realtime import store as event_log
from minimost.runtime import Runtime, get_runtime

PASSWORD = "Correct-Horse-42"
CRASHED = 9


async def _accounts(runtime: Runtime) -> None:
    for name in ("alice", "bob"):
        await accounts.sign_up(runtime, name, PASSWORD, PASSWORD)


async def _private_channel(runtime: Runtime) -> int:
    await _accounts(runtime)
    return (await private.create(runtime, "alice", "team", ["bob"]))["id"]


def _calls(runtime: Runtime) -> CallService:
    service = runtime.services.calls
    assert isinstance(service, CallService)
    return service


async def _answered_call(runtime: Runtime) -> str:
    await _accounts(runtime)
    call = await _calls(runtime).start("alice", "dm:alice:bob")
    await _calls(runtime).accept("bob", call["call_id"])
    return call["call_id"]


# Each scenario: the database its change commits in, what it prepares, and the change.
Prepare = Callable[[Runtime], Awaitable[Any]]
Change = Callable[[Runtime, Any], Awaitable[Any]]
SCENARIOS: dict[str, tuple[str, Prepare, Change]] = {
    "private_create": (
        "presence",
        _accounts,
        lambda runtime, _: private.create(runtime, "alice", "team", ["bob"]),
    ),
    "private_leave": (
        "presence",
        _private_channel,
        lambda runtime, channel_id: private.leave(runtime, "bob", channel_id),
    ),
    "call_start": (
        "presence",
        _accounts,
        lambda runtime, _: _calls(runtime).start("alice", "dm:alice:bob"),
    ),
    "call_end": (
        "presence",
        _answered_call,
        lambda runtime, call_id: _calls(runtime).leave("alice", call_id),
    ),
    "screen_share": (
        "presence",
        _accounts,
        lambda runtime, _: _calls(runtime).start_share("alice", "general"),
    ),
    "sign_up": (
        "auth",
        _accounts,
        lambda runtime, _: accounts.sign_up(runtime, "carol", PASSWORD, PASSWORD),
    ),
    "role_change": (
        "auth",
        _accounts,
        lambda runtime, _: roles.grant_admin(runtime, "bob"),
    ),
    "account_removal": (
        "auth",
        _accounts,
        lambda runtime, _: accounts.delete_account(
            runtime, CurrentSession("bob", "no-such-session"), "soft", PASSWORD
        ),
    ),
}


def _die() -> Awaitable[None]:
    """Where the relay would start: the change has committed; the process ends here."""
    sys.stdout.flush()
    os._exit(CRASHED)


async def main(data_dir: Path, scenario: str) -> None:
    database_name, prepare, change = SCENARIOS[scenario]
    app = create_app(
        data_dir=data_dir, settings={"stun_port": 0}, tls=False, config={"HOUSEKEEPING": False}
    )
    runtime = get_runtime(app)
    async with app.test_app(), app.app_context():
        prepared = await prepare(runtime)
        head = await runtime.stores.messages.reading(event_log.head)
        print(f"READY {head}", flush=True)
        getattr(runtime.stores, database_name).after_write = _die
        await change(runtime, prepared)
    print("the change returned: the process should have died at its commit", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
