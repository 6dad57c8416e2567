"""The websocket hub in-process: handshake, delivery, exact resume, limits, presence, typing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from quart import Quart
from quart.testing.connections import TestWebsocketConnection as WebsocketConnection
from quart.testing.connections import WebsocketDisconnectError, WebsocketResponseError

from minimost.auth import actions
from minimost.realtime import Audience, Signal, realtime_of
from minimost.runtime import get_runtime, need
from tests.conftest import AppFactory, UserClient, browser_for, sign_up
from tests.helpers.sockets import (
    events,
    frame,
    frame_of,
    hello,
    presence_of,
    raw_frame,
    socket,
)


async def count_pings_until_closed(ws: WebsocketConnection) -> tuple[int, int]:
    """Ignore every ping; return how many came before the server closed, and its code."""
    pings = 0
    while True:
        try:
            received = await raw_frame(ws)
        except WebsocketDisconnectError as closed:
            return pings, closed.args[0]
        pings += received["type"] == "ping"


async def set_bio(user: UserClient, bio: str) -> None:
    response = await user.api("PATCH", "/api/account", json={"bio": bio})
    assert response.status_code == 200


# -- handshake -------------------------------------------------------------------------------------


async def test_anonymous_handshake_is_refused_before_upgrade(app: Quart) -> None:
    anonymous = await browser_for(app)
    with pytest.raises(WebsocketResponseError) as refused:
        async with socket(anonymous) as ws:
            await ws.receive()
    assert refused.value.response.status_code == 401


@pytest.mark.parametrize("origin", [{"Origin": "http://evil.example"}, {}])
async def test_foreign_or_missing_origin_is_refused(app: Quart, origin: dict[str, str]) -> None:
    alice = await sign_up(app, "alice")
    with pytest.raises(WebsocketResponseError) as refused:
        async with socket(alice, headers=origin) as ws:
            await ws.receive()
    assert refused.value.response.status_code == 403


async def test_hello_names_the_user_and_the_log_head(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    async with socket(alice) as ws:
        greeting = await hello(ws)
    assert greeting["username"] == "alice"
    assert greeting["last_event_id"] >= 1, "the sign-up itself was logged"


# -- delivery --------------------------------------------------------------------------------------


async def test_a_change_reaches_the_other_users_socket(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(alice) as ws:
        await hello(ws)
        await set_bio(bob, "hello from bob")
        (event,) = await events(ws, 1)
    assert event["name"] == "user.updated"
    assert event["data"]["username"] == "bob"
    assert event["data"]["bio"] == "hello from bob"


async def test_events_reach_only_those_allowed_to_see_them(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    runtime = get_runtime(app)
    async with socket(alice) as alice_ws, socket(bob) as bob_ws:
        await hello(alice_ws)
        await hello(bob_ws)
        await actions.create_reset_link(runtime, "alice", 5)  # a DM notice to alice only
        await set_bio(alice, "marker")
        (private, marker) = await events(alice_ws, 2)
        (bob_first,) = await events(bob_ws, 1)
    assert private["name"] == "message.created"
    assert private["channel"] == "dm:alice:system"
    assert marker["name"] == "user.updated"
    assert bob_first["id"] == marker["id"], "bob never saw alice's private notice"


async def test_each_event_is_encoded_once_for_every_recipient(app: Quart) -> None:
    runtime = get_runtime(app)
    hub = realtime_of(runtime).hub
    first = hub.register("alice", "s1")
    second = hub.register("bob", "s2")
    assert first is not None
    assert second is not None
    bob = await sign_up(app, "bob")
    await set_bio(bob, "once")
    queued = [first.queue.get_nowait(), second.queue.get_nowait()]
    assert queued[0] is queued[1], "the same event object, with its frame encoded once"
    assert isinstance(queued[0].frame, str)


# -- exact resume ----------------------------------------------------------------------------------


async def test_reconnecting_with_the_last_id_replays_exactly_what_was_missed(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(alice) as ws:
        last_applied = (await hello(ws))["last_event_id"]
    for n in range(5):
        await set_bio(bob, f"bio {n}")
    async with socket(alice, f"?after={last_applied}") as ws:
        await hello(ws)
        missed = await events(ws, 5)
        await set_bio(bob, "live")
        (live,) = await events(ws, 1)
    assert [event["data"]["bio"] for event in missed] == [f"bio {n}" for n in range(5)]
    ids = [event["id"] for event in [*missed, live]]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert ids[0] == last_applied + 1
    assert live["data"]["bio"] == "live"


async def test_events_committed_during_the_replay_arrive_once(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(alice) as ws:
        start = (await hello(ws))["last_event_id"]
    for n in range(3):
        await set_bio(bob, f"before {n}")
    async with socket(alice, f"?after={start}") as ws:
        writes = asyncio.gather(*(set_bio(bob, f"during {n}") for n in range(3)))
        await hello(ws)
        await writes
        received = await events(ws, 6)
    ids = [event["id"] for event in received]
    assert ids == list(range(start + 1, start + 7)), "in order, no gap, no duplicate"


async def test_survives_a_server_restart(make_app: AppFactory) -> None:
    first = make_app()
    async with first.test_app():
        alice = await sign_up(first, "alice")
        bob = await sign_up(first, "bob")
        async with socket(alice) as ws:
            last_applied = (await hello(ws))["last_event_id"]
        await set_bio(bob, "before the restart")
    second = make_app()
    async with second.test_app():
        for user in (alice, bob):  # the same browsers, now talking to the new process
            jar = user.client.cookie_jar
            user.client = second.test_client()
            user.client.cookie_jar = jar
        await set_bio(bob, "after the restart")
        async with socket(alice, f"?after={last_applied}") as ws:
            await hello(ws)
            replayed = await events(ws, 2)
    assert [event["data"]["bio"] for event in replayed] == [
        "before the restart",
        "after the restart",
    ]
    assert [event["id"] for event in replayed] == [last_applied + 1, last_applied + 2]


async def test_an_id_beyond_the_log_or_before_its_horizon_gets_resync(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(alice, "?after=999999") as ws:
        head = (await hello(ws))["last_event_id"]
        resync = await frame(ws)
    assert resync == {"type": "resync", "last_event_id": head}
    await set_bio(bob, "one")
    await set_bio(bob, "two")
    db = sqlite3.connect(data_dir / "users" / "messages.db")
    db.execute("DELETE FROM events WHERE id <= ?", (head + 1,))
    db.commit()
    db.close()
    async with socket(alice, f"?after={head}") as ws:
        await hello(ws)
        assert (await frame(ws))["type"] == "resync", "event head+1 is gone"
    async with socket(alice, f"?after={head + 1}") as ws:
        await hello(ws)
        (event,) = await events(ws, 1)
        assert event["data"]["bio"] == "two", "from the horizon on, resume still works"


async def test_a_malformed_cursor_is_refused(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    with pytest.raises(WebsocketResponseError) as refused:
        async with socket(alice, "?after=nan") as ws:
            await ws.receive()
    assert refused.value.response.status_code == 400


# -- limits ----------------------------------------------------------------------------------------


async def test_connections_beyond_the_per_user_limit_are_refused(make_app: AppFactory) -> None:
    app = make_app(max_event_streams_per_user=2)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        async with socket(alice) as one, socket(alice) as two:
            await hello(one)
            await hello(two)
            async with socket(alice) as three:
                with pytest.raises(WebsocketDisconnectError) as closed:
                    await frame(three)
    assert closed.value.args[0] == 4003


async def test_oversized_client_frames_close_the_socket(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    async with socket(alice) as ws:
        await hello(ws)
        await ws.send(json.dumps({"type": "typing", "channel": "x" * 20000}))
        with pytest.raises(WebsocketDisconnectError) as closed:
            await frame_of(ws, "never")
    assert closed.value.args[0] == 1009


async def test_a_flood_of_client_frames_closes_the_socket(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    async with socket(alice) as ws:
        await hello(ws)
        for _ in range(200):
            await ws.send('{"type": "pong"}')
        with pytest.raises(WebsocketDisconnectError) as closed:
            await frame_of(ws, "never")
    assert closed.value.args[0] == 1008


async def test_unknown_frames_get_an_error_reply(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    async with socket(alice) as ws:
        await hello(ws)
        await ws.send("not json")
        error = await frame_of(ws, "error")
    assert "JSON" in error["message"]


async def test_signing_out_closes_the_users_sockets(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    elsewhere = await browser_for(app)
    await elsewhere.form("/login", {"username": "alice", "password": "Correct-Horse-Battery-9"})
    async with socket(alice) as ws:
        await hello(ws)
        response = await alice.form("/logout", {})
        assert response.status_code == 302
        with pytest.raises(WebsocketDisconnectError) as closed:
            await frame_of(ws, "never")
    assert closed.value.args[0] == 4001


# -- liveness --------------------------------------------------------------------------------------


async def test_a_silent_peer_is_closed_after_two_missed_pings(make_app: AppFactory) -> None:
    app = make_app(config={"WS_HEARTBEAT_SECONDS": 0.2, "PRESENCE_GRACE_SECONDS": 0.0})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as watcher:
            await hello(watcher)
            async with socket(alice) as silent:
                await hello(silent)
                assert await presence_of(watcher, "alice") == "active"
                pings, offline = await asyncio.gather(
                    count_pings_until_closed(silent), presence_of(watcher, "alice")
                )
    assert pings == (2, 4002)
    assert offline == "offline"


async def test_a_peer_that_answers_pings_stays(make_app: AppFactory) -> None:
    app = make_app(config={"WS_HEARTBEAT_SECONDS": 0.05})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        async with socket(alice) as ws:
            await hello(ws)
            pings = 0
            while pings < 6:
                received = await raw_frame(ws)
                if received["type"] == "ping":
                    pings += 1
                    await ws.send('{"type": "pong"}')
            await set_bio(alice, "still here")
            event = await frame_of(ws, "event")
    assert event["data"]["bio"] == "still here"


# -- presence and typing ---------------------------------------------------------------------------


async def test_presence_follows_the_users_tabs(make_app: AppFactory) -> None:
    app = make_app(config={"PRESENCE_GRACE_SECONDS": 0.0})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as watcher:
            await hello(watcher)
            async with socket(alice) as tab:
                await hello(tab)
                assert await presence_of(watcher, "alice") == "active"
                await tab.send('{"type": "presence", "state": "idle"}')
                assert await presence_of(watcher, "alice") == "idle"
                listed = await (await bob.api("GET", "/api/presence")).get_json()
                assert listed["users"]["alice"] == "idle"
            assert await presence_of(watcher, "alice") == "offline"
            listed = await (await bob.api("GET", "/api/presence")).get_json()
            assert "alice" not in listed["users"]


async def test_a_reload_within_the_grace_period_does_not_flash_offline(
    make_app: AppFactory,
) -> None:
    app = make_app(config={"PRESENCE_GRACE_SECONDS": 30.0})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as watcher:
            await hello(watcher)
            async with socket(alice) as tab:
                await hello(tab)
                assert await presence_of(watcher, "alice") == "active"
            async with socket(alice) as reloaded:
                await hello(reloaded)
                await set_bio(alice, "after reload")
                before_event = []
                while (received := await frame(watcher))["type"] != "event":
                    before_event.append(received)
                assert received["data"]["bio"] == "after reload"
    offline = {"type": "presence", "username": "alice", "state": "offline"}
    assert offline not in before_event, "no offline flicker for a reload"
    assert need(get_runtime(app).services.presence, "presence").shown_state("alice") == "active"


async def test_an_override_is_shown_instead_of_the_live_state(make_app: AppFactory) -> None:
    app = make_app(config={"PRESENCE_GRACE_SECONDS": 0.0})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as watcher, socket(alice) as tab:
            await hello(watcher)
            await hello(tab)
            assert await presence_of(watcher, "alice") == "active"
            response = await alice.api(
                "PUT", "/api/presence/override", json={"override": "offline"}
            )
            assert await response.get_json() == {"override": "offline", "state": "offline"}
            assert await presence_of(watcher, "alice") == "offline"
            bad = await alice.api("PUT", "/api/presence/override", json={"override": "busy"})
            assert bad.status_code == 400
            await alice.api("PUT", "/api/presence/override", json={"override": None})
            assert await presence_of(watcher, "alice") == "active"


async def test_typing_reaches_the_channels_other_readers_only(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    async with socket(alice) as a, socket(bob) as b, socket(carol) as c:
        for ws in (a, b, c):
            await hello(ws)
        await a.send(json.dumps({"type": "typing", "channel": "dm:alice:bob"}))
        typing = await frame_of(b, "typing")
        await a.send(json.dumps({"type": "typing", "channel": "general"}))
        assert (await frame_of(c, "typing"))["channel"] == "general", "carol saw no DM typing"
        await a.send(json.dumps({"type": "typing", "channel": "dm:bob:carol"}))
        refused = await frame_of(a, "error")
    assert typing == {
        "type": "typing",
        "channel": "dm:alice:bob",
        "username": "alice",
        "expires_in": 5,
    }
    assert refused["message"] == "You cannot type there."


async def test_signals_are_not_replayed(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    realtime = realtime_of(get_runtime(app))
    async with socket(alice) as ws:
        head = (await hello(ws))["last_event_id"]
    await realtime.signal(Signal(Audience.everyone(), {"type": "typing", "channel": "general"}))
    await set_bio(alice, "logged")
    async with socket(alice, f"?after={head}") as ws:
        await hello(ws)
        assert (await frame(ws))["type"] == "event"
