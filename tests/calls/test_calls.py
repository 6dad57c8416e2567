"""Calls over the API and the websocket: lifecycle, notices, access, signalling, shares."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from quart import Quart
from quart.testing.connections import TestWebsocketConnection as WebsocketConnection

from tests.conftest import AppFactory, UserClient, rows, sign_up
from tests.helpers.chat import created, page
from tests.helpers.sockets import frame, frame_of, hello, socket

DM = "dm:alice:bob"


async def start(user: UserClient, channel: str = DM) -> dict[str, Any]:
    response = await user.api("POST", "/api/calls", json={"channel": channel})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["call"]


async def act(user: UserClient, call: dict[str, Any], action: str, **body: Any) -> Any:
    kwargs = {"json": body} if body else {}
    return await user.api("POST", f"/api/calls/{call['call_id']}/{action}", **kwargs)


async def done(user: UserClient, call: dict[str, Any], action: str, **body: Any) -> dict:
    response = await act(user, call, action, **body)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["call"]


def states(call: dict[str, Any]) -> dict[str, str]:
    return {person["username"]: person["state"] for person in call["participants"]}


async def call_event(ws: WebsocketConnection) -> dict[str, Any]:
    """The next ``call.updated`` event's call, skipping other frames."""
    while True:
        received = await frame_of(ws, "event")
        if received["name"] == "call.updated":
            return received["data"]


async def call_event_where(ws: WebsocketConnection, state: str) -> dict[str, Any]:
    while (call := await call_event(ws))["state"] != state:
        pass
    return call


async def next_notice(ws: WebsocketConnection) -> dict[str, Any]:
    while True:
        received = await frame_of(ws, "event")
        if received["name"] == "message.created":
            return received["data"]


async def notices(user: UserClient, channel: str = DM) -> list[str]:
    return [m["content"] for m in await page(user, channel) if m["sender"] == "system"]


async def error_message(response: Any) -> tuple[int, str]:
    return response.status_code, (await response.get_json())["error"]["message"]


async def signal(ws: WebsocketConnection, call: dict[str, Any], to: str, data: dict) -> None:
    body = {"type": "call.signal", "call_id": call["call_id"], "to": to, "data": data}
    await ws.send(json.dumps(body))


# -- starting and ringing --------------------------------------------------------------------------


async def test_calling_a_dm_rings_the_other_member(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(bob) as ws:
        await hello(ws)
        call = await start(alice)
        ringing = await call_event(ws)
    assert ringing == call
    assert call["state"] == "ringing"
    assert call["channel"] == DM
    assert call["initiator"] == "alice"
    assert states(call) == {"alice": "accepted", "bob": "pending"}
    mine = await (await bob.api("GET", "/api/calls/mine")).get_json()
    assert [c["call_id"] for c in mine["calls"]] == [call["call_id"]]
    current = await (await bob.api("GET", f"/api/calls/current?channel={DM}")).get_json()
    assert current["call"]["call_id"] == call["call_id"]


async def test_only_dms_and_private_channels_one_can_read_have_calls(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    await sign_up(app, "carol")
    public = await alice.api("POST", "/api/calls", json={"channel": "general"})
    foreign = await alice.api("POST", "/api/calls", json={"channel": "dm:bob:carol"})
    alone = await created(alice, "just me", [])
    lonely = await alice.api("POST", "/api/calls", json={"channel": alone["channel"]})
    missing = await alice.api("POST", "/api/calls", json={})
    assert public.status_code == 404
    assert foreign.status_code == 404
    assert await error_message(lonely) == (400, "There is nobody else in this channel to call.")
    assert missing.status_code == 400


async def test_a_channel_has_one_live_call_at_a_time(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    first = await start(alice)
    second = await bob.api("POST", "/api/calls", json={"channel": DM})
    assert await error_message(second) == (409, "A call is already going on here.")
    await done(alice, first, "leave")
    assert (await start(bob))["call_id"] != first["call_id"], "a new call once the first ended"


async def test_starting_a_call_needs_the_csrf_token(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    forged = await alice.api(
        "POST", "/api/calls", json={"channel": DM}, headers={"X-CSRF-Token": "0" * 64}
    )
    assert forged.status_code == 403


# -- answering, declining, hanging up --------------------------------------------------------------


async def test_answer_then_hang_up_ends_the_call_with_one_notice(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    async with socket(alice) as ws:
        await hello(ws)
        call = await start(alice)
        answered = await done(bob, call, "accept")
        assert (await call_event_where(ws, "active")) == answered
        ended = await done(bob, call, "leave")
        notice = await next_notice(ws)
    assert states(answered) == {"alice": "accepted", "bob": "accepted"}
    assert answered["answered_ts"] is not None
    assert ended["state"] == "ended"
    assert states(ended) == {"alice": "left", "bob": "left"}
    assert notice["sender"] == "system"
    assert notice["channel"] == DM
    assert notice["content"].startswith("Call ended · ")
    assert notice["content"].endswith("s")
    assert (await done(alice, call, "leave"))["state"] == "ended", "leaving twice is harmless"
    assert await notices(alice) == [notice["content"]]
    assert await error_message(await act(alice, call, "accept")) == (409, "This call has ended.")


async def test_declining_an_unanswered_call_posts_missed_call(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    call = await start(alice)
    declined = await done(bob, call, "reject")
    assert declined["state"] == "missed"
    assert states(declined) == {"alice": "left", "bob": "rejected"}
    assert await notices(bob) == ["Missed call from alice"]
    again = await act(bob, call, "reject")
    assert await error_message(again) == (409, "This call has ended.")


async def test_the_caller_giving_up_posts_missed_call(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    call = await start(alice)
    assert (await done(alice, call, "leave"))["state"] == "missed"
    assert await notices(bob) == ["Missed call from alice"]
    assert (await (await bob.api("GET", "/api/calls/mine")).get_json())["calls"] == []


async def test_an_unanswered_call_rings_out_into_missed_call(make_app: AppFactory) -> None:
    app = make_app(config={"CALL_RING_SECONDS": 0.2})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(bob) as ws:
            await hello(ws)
            call = await start(alice)
            notice = await next_notice(ws)
            over = await call_event(ws)
        assert notice["content"] == "Missed call from alice"
        assert over["call_id"] == call["call_id"]
        assert over["state"] == "missed"
        assert states(over) == {"alice": "left", "bob": "missed"}
        assert await notices(alice) == ["Missed call from alice"]


async def test_hanging_up_together_still_posts_one_notice(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    call = await start(alice)
    await done(bob, call, "accept")
    results = await asyncio.gather(act(alice, call, "leave"), act(bob, call, "leave"))
    assert [r.status_code for r in results] == [200, 200]
    assert len(await notices(alice)) == 1


# -- group calls, walk-ins and invitations ---------------------------------------------------------


async def test_a_group_call_goes_on_until_one_person_is_left(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    team = await created(alice, "team", ["bob", "carol"])
    call = await start(alice, team["channel"])
    assert states(call) == {"alice": "accepted", "bob": "pending", "carol": "pending"}
    await done(bob, call, "accept")
    await done(carol, call, "accept")
    after_bob = await done(bob, call, "leave")
    assert after_bob["state"] == "active", "two people are still talking"
    assert await notices(alice, team["channel"]) == []
    assert (await done(carol, call, "leave"))["state"] == "ended"
    assert len(await notices(alice, team["channel"])) == 1


async def test_one_decline_in_a_group_keeps_ringing_the_rest(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    team = await created(alice, "team", ["bob", "carol"])
    call = await start(alice, team["channel"])
    assert (await done(bob, call, "reject"))["state"] == "ringing"
    assert (await done(carol, call, "reject"))["state"] == "missed"
    assert await notices(alice, team["channel"]) == ["Missed call from alice"]


async def test_a_channel_member_can_walk_into_a_call(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    dave = await sign_up(app, "dave")
    team = await created(alice, "team", ["bob", "carol"])
    call = await start(alice, team["channel"])
    await done(bob, call, "accept")
    await done(carol, call, "reject")
    rejoined = await done(carol, call, "accept")
    assert states(rejoined)["carol"] == "accepted", "a decline does not lock you out"
    added = await alice.api(
        "POST", f"/api/private-channels/{team['id']}/members", json={"username": "dave"}
    )
    assert added.status_code == 200
    walked_in = await done(dave, call, "accept")
    assert states(walked_in)["dave"] == "accepted"
    current = await (
        await dave.api("GET", f"/api/calls/current?channel={team['channel']}")
    ).get_json()
    assert current["call"]["call_id"] == call["call_id"]


async def test_an_invite_brings_an_outsider_into_the_call_but_not_the_channel(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    call = await start(alice)
    await done(bob, call, "accept")
    async with socket(carol) as ws:
        await hello(ws)
        invited = await done(alice, call, "invite", username="CAROL")
        rung = await call_event(ws)
        assert rung == invited
        assert states(invited)["carol"] == "pending"
        mine = await (await carol.api("GET", "/api/calls/mine")).get_json()
        assert [c["call_id"] for c in mine["calls"]] == [call["call_id"]]
        viewed = await carol.api("GET", f"/api/calls/{call['call_id']}")
        assert viewed.status_code == 200
        joined = await done(carol, call, "accept")
        assert states(joined) == {"alice": "accepted", "bob": "accepted", "carol": "accepted"}
        assert (await carol.api("GET", f"/api/channels/{DM}/messages")).status_code == 404
        assert (await carol.api("GET", f"/api/calls/current?channel={DM}")).status_code == 404
        await done(alice, call, "leave")
        await done(bob, call, "leave")
        seen = []
        while (over := await frame_of(ws, "event"))["data"].get("state") != "ended":
            seen.append(over["name"])
        over = over["data"]
        await ws.send(json.dumps({"type": "typing", "channel": DM}))
        later = []
        while (received := await frame(ws))["type"] != "error":
            later.append(received)
    assert "message.created" not in seen
    assert over["call_id"] == call["call_id"]
    assert states(over)["carol"] == "left"
    assert [f for f in later if f["type"] == "event"] == [], "the notice stays in the channel"
    assert len(await notices(alice)) == 1


async def test_invitations_need_a_participant_and_a_real_account(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await sign_up(app, "carol")
    call = await start(alice)
    pending = await act(bob, call, "invite", username="carol")
    assert await error_message(pending) == (403, "Join the call before adding people.")
    await done(bob, call, "accept")
    ghost = await act(alice, call, "invite", username="ghost")
    assert await error_message(ghost) == (404, "No account named ghost.")
    present = await act(alice, call, "invite", username="bob")
    assert await error_message(present) == (409, "bob is already in the call.")
    blank = await act(alice, call, "invite", username="  ")
    assert blank.status_code == 400


async def test_an_unanswered_invite_stops_ringing_and_the_call_goes_on(
    make_app: AppFactory,
) -> None:
    app = make_app(config={"CALL_RING_SECONDS": 0.2})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        await sign_up(app, "carol")
        async with socket(alice) as ws:
            await hello(ws)
            call = await start(alice)
            await done(bob, call, "accept")
            await done(alice, call, "invite", username="carol")
            while states(latest := await call_event(ws)).get("carol") != "missed":
                pass
        assert latest["state"] == "active"
        assert await notices(alice) == []


# -- who may see and do what -----------------------------------------------------------------------


async def test_outsiders_can_neither_see_nor_join_a_call(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    dave = await sign_up(app, "dave")
    async with socket(dave) as ws:
        await hello(ws)
        call = await start(alice)
        await done(bob, call, "accept")
        for action in ("accept", "reject", "leave", "heartbeat"):
            assert (await act(dave, call, action)).status_code == 404, action
        invite = await act(dave, call, "invite", username="dave")
        share = await act(dave, call, "screenshare", on=True)
        assert invite.status_code == 404
        assert share.status_code == 404
        assert (await dave.api("GET", f"/api/calls/{call['call_id']}")).status_code == 404
        assert (await dave.api("GET", f"/api/calls/current?channel={DM}")).status_code == 404
        assert (await dave.api("GET", "/api/calls/nope")).status_code == 404
        assert (await (await dave.api("GET", "/api/calls/mine")).get_json())["calls"] == []
        await done(alice, call, "leave")
        await ws.send(json.dumps({"type": "typing", "channel": DM}))
        seen = []
        while (received := await frame(ws))["type"] != "error":
            seen.append(received)
    assert [f for f in seen if f["type"] == "event"] == [], "no call or notice event leaked"


async def test_heartbeats_keep_a_participant_in_and_silence_drops_them(
    make_app: AppFactory,
) -> None:
    app = make_app(config={"CALL_STALE_SECONDS": 0.3})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        async with socket(alice) as ws:
            await hello(ws)
            call = await start(alice)
            await done(bob, call, "accept")
            beat = await done(bob, call, "heartbeat")
            assert beat["state"] == "active"
            notice = await next_notice(ws)
            over = await call_event(ws)
        assert notice["content"].startswith("Call ended · ")
        assert over["state"] == "ended"
        assert await notices(alice) == [notice["content"]]


# -- signalling ------------------------------------------------------------------------------------


async def test_signals_reach_only_the_addressed_participant(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    offer = {"description": {"type": "offer", "sdp": "v=0\r\n"}}
    async with socket(alice) as a, socket(bob) as b, socket(carol) as c:
        for ws in (a, b, c):
            await hello(ws)
        call = await start(alice)
        await signal(a, call, "bob", offer)
        early = await frame_of(a, "error")
        await done(bob, call, "accept")
        await signal(a, call, "bob", offer)
        while (received := await frame(b))["type"] != "call.signal":
            pass
        await signal(c, call, "bob", offer)
        outsider = await frame_of(c, "error")
        await signal(b, call, "carol", {"candidate": {"candidate": "x"}})
        not_in_call = await frame_of(b, "error")
        await b.send(json.dumps({"type": "call.signal", "call_id": call["call_id"], "to": "alice"}))
        malformed = await frame_of(b, "error")
        await signal(b, call, "alice", {"description": {"type": "answer", "sdp": "v=0\r\n"}})
        answer = await frame_of(a, "call.signal")
    assert received == {
        "type": "call.signal",
        "call_id": call["call_id"],
        "from": "alice",
        "data": offer,
    }
    assert answer["from"] == "bob"
    assert answer["data"]["description"]["type"] == "answer"
    assert early["about"] == "call.signal", "bob had not answered yet"
    assert outsider["message"] == "No such call, or that person is not in it."
    assert not_in_call["message"] == "No such call, or that person is not in it."
    assert malformed["message"] == "A call signal needs call_id, to and data."
    messages_db = data_dir / "users" / "messages.db"
    assert rows(messages_db, "SELECT COUNT(*) FROM events WHERE type LIKE '%signal%'") == [(0,)]
    assert rows(data_dir / "presence.db", "SELECT COUNT(*) FROM call_signals") == [(0,)]


async def test_in_call_screen_sharing_is_announced(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    call = await start(alice)
    early = await act(alice, call, "screenshare", on=True)
    assert await error_message(early) == (409, "The call is not active.")
    await done(bob, call, "accept")
    async with socket(bob) as ws:
        await hello(ws)
        shared = await done(alice, call, "screenshare", on=True)
        seen = await call_event(ws)
        stopped = await done(alice, call, "screenshare", on=False)
    sharing = {p["username"]: p["sharing"] for p in seen["participants"]}
    assert seen == shared
    assert sharing == {"alice": True, "bob": False}
    assert not any(p["sharing"] for p in stopped["participants"])
    bad = await act(alice, call, "screenshare", on="yes")
    assert bad.status_code == 400


# -- standalone screen shares ----------------------------------------------------------------------


async def share_event(ws: WebsocketConnection) -> dict[str, Any]:
    while True:
        received = await frame_of(ws, "event")
        if received["name"] == "screenshare.updated":
            return received["data"]


async def test_a_standalone_share_reaches_the_channels_readers_only(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    async with socket(bob) as b, socket(carol) as c:
        await hello(b)
        await hello(c)
        response = await alice.api("POST", "/api/screenshares", json={"channel": DM})
        assert response.status_code == 201
        share = (await response.get_json())["share"]
        assert await share_event(b) == share
        listed = await (await bob.api("GET", f"/api/screenshares?channel={DM}")).get_json()
        assert listed["shares"] == [share]
        hidden = await carol.api("GET", f"/api/screenshares?channel={DM}")
        assert hidden.status_code == 404
        viewer = {"type": "share.signal", "share_id": share["share_id"], "to": "alice"}
        await b.send(json.dumps({**viewer, "data": {"description": {"type": "offer"}}}))
        await c.send(json.dumps({**viewer, "data": {"description": {"type": "offer"}}}))
        refused = await frame_of(c, "error")
        not_sharer = await bob.api("POST", f"/api/screenshares/{share['share_id']}/stop")
        stranger = await carol.api("POST", f"/api/screenshares/{share['share_id']}/stop")
        again = await alice.api("POST", "/api/screenshares", json={"channel": DM})
        replaced = await share_event(b)
        second = await share_event(b)
    assert share["sharer"] == "alice"
    assert share["state"] == "active"
    assert refused["message"] == "No such screen share."
    assert await error_message(not_sharer) == (403, "Only the person sharing can stop a share.")
    assert stranger.status_code == 404
    assert replaced["share_id"] == share["share_id"]
    assert replaced["state"] == "ended"
    assert second == (await again.get_json())["share"]
    stop = await alice.api("POST", f"/api/screenshares/{second['share_id']}/stop")
    assert (await stop.get_json())["share"]["state"] == "ended"
    assert (await (await bob.api("GET", f"/api/screenshares?channel={DM}")).get_json()) == {
        "shares": []
    }


async def test_share_signals_pass_between_sharer_and_viewer(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    viewer = await sign_up(app, "viewer")
    data = {"description": {"type": "offer", "sdp": "v=0\r\n"}}
    async with socket(alice) as a, socket(viewer) as v:
        await hello(a)
        await hello(v)
        response = await alice.api("POST", "/api/screenshares", json={"channel": "general"})
        share = (await response.get_json())["share"]
        to_sharer = {"type": "share.signal", "share_id": share["share_id"], "to": "alice"}
        await v.send(json.dumps({**to_sharer, "data": data}))
        received = await frame_of(a, "share.signal")
        await alice.api("POST", f"/api/screenshares/{share['share_id']}/stop")
        await v.send(json.dumps({**to_sharer, "data": data}))
        after_stop = await frame_of(v, "error")
    assert received == {
        "type": "share.signal",
        "share_id": share["share_id"],
        "from": "viewer",
        "data": data,
    }
    assert after_stop["message"] == "No such screen share."
