"""Features meet through hooks: /ws announces connections, auth announces account changes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from quart import Quart

from minimost.identity import accounts_of
from minimost.realtime import realtime_of
from minimost.runtime import MissingServiceError, Services, get_runtime, need
from tests.conftest import GOOD_PASSWORD, AppFactory, sign_up
from tests.helpers.sockets import hello, presence_of, socket

TIMEOUT = 5.0
# Longer than any test here: an offline notice that arrives came from a hook, not the grace.
LONG_GRACE = {"PRESENCE_GRACE_SECONDS": 60.0}


class Recorder:
    """Collects hook calls; ``seen(n)`` waits until there are at least ``n`` of them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self._changed = asyncio.Condition()

    def hook(self, name: str) -> Callable[..., Awaitable[None]]:
        async def record(*args: object) -> None:
            async with self._changed:
                self.calls.append((name, *map(str, args)))
                self._changed.notify_all()

        return record

    async def seen(self, count: int) -> list[tuple[str, ...]]:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.calls) >= count), TIMEOUT
            )
        return list(self.calls)


async def test_a_connection_subscriber_sees_each_tab_connect_and_disconnect(
    make_app: AppFactory,
) -> None:
    app = make_app()
    recorder = Recorder()
    realtime = realtime_of(get_runtime(app))
    realtime.on_connect(recorder.hook("connect"))
    realtime.on_disconnect(recorder.hook("disconnect"))
    async with app.test_app():
        alice = await sign_up(app, "alice")
        async with socket(alice) as tab:
            await hello(tab)
            [(kind, username, connection_id)] = await recorder.seen(1)
            assert (kind, username) == ("connect", "alice")
            assert connection_id.isdigit()
        assert await recorder.seen(2) == [
            ("connect", "alice", connection_id),
            ("disconnect", "alice", connection_id),
        ]


async def test_connection_hooks_run_in_registration_order_after_presence(
    make_app: AppFactory,
) -> None:
    app = make_app(config={"PRESENCE_GRACE_SECONDS": 0.0})
    recorder = Recorder()
    runtime = get_runtime(app)
    tracker = need(runtime.services.presence, "presence")

    def after_presence(name: str) -> Callable[[str, int], Awaitable[None]]:
        record = recorder.hook(name)

        async def hook(username: str, connection_id: int) -> None:
            await record(username, tracker.shown_state(username))

        return hook

    realtime = realtime_of(runtime)
    realtime.on_connect(after_presence("first"))
    realtime.on_connect(after_presence("second"))
    async with app.test_app():
        alice = await sign_up(app, "alice")
        async with socket(alice) as tab:
            await hello(tab)
            assert await recorder.seen(2) == [
                ("first", "alice", "active"),
                ("second", "alice", "active"),
            ]


async def test_account_hooks_hear_created_signed_out_and_removed(make_app: AppFactory) -> None:
    app = make_app()
    recorder = Recorder()
    accounts = accounts_of(get_runtime(app))
    accounts.on_created(recorder.hook("created"))
    accounts.on_signed_out(recorder.hook("signed out"))
    accounts.on_removed(recorder.hook("removed"))
    accounts.on_sessions_ended(recorder.hook("sessions ended"))
    async with app.test_app():
        alice = await sign_up(app, "alice")
        assert await recorder.seen(1) == [("created", "alice")]
        await alice.form("/logout", {})
        calls = await recorder.seen(3)
        assert [call[0] for call in calls] == ["created", "sessions ended", "signed out"]
        bob = await sign_up(app, "bob")
        response = await bob.api(
            "POST", "/api/account/delete", json={"mode": "soft", "password": GOOD_PASSWORD}
        )
        assert response.status_code == 200, await response.get_data(as_text=True)
        calls = await recorder.seen(6)
    assert calls[3:] == [
        ("created", "bob"),
        ("removed", "bob"),
        ("sessions ended", "bob", calls[5][2]),
    ]


async def test_signing_out_shows_the_user_offline_at_once(make_app: AppFactory) -> None:
    app = make_app(config=LONG_GRACE)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as watcher:
            await hello(watcher)
            async with socket(alice) as tab:
                await hello(tab)
                assert await presence_of(watcher, "alice") == "active"
                await alice.form("/logout", {})
                assert await presence_of(watcher, "alice") == "offline"


async def test_a_removed_account_is_shown_offline_at_once(make_app: AppFactory) -> None:
    app = make_app(config=LONG_GRACE)
    async with app.test_app():
        await sign_up(app, "owner")  # the server's admin, so alice may leave
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as watcher:
            await hello(watcher)
            async with socket(alice) as tab:
                await hello(tab)
                assert await presence_of(watcher, "alice") == "active"
                await alice.api(
                    "POST", "/api/account/delete", json={"mode": "hard", "password": GOOD_PASSWORD}
                )
                assert await presence_of(watcher, "alice") == "offline"


async def test_a_service_of_a_switched_off_feature_is_none_and_needing_it_says_so(
    app: Quart,
) -> None:
    services = get_runtime(app).services
    assert isinstance(services, Services)
    assert services.housekeeping is None  # the test apps run without housekeeping
    with pytest.raises(MissingServiceError, match=r"^the housekeeping service is not running"):
        need(services.housekeeping, "housekeeping")
