"""The calls API: start, answer, decline, leave, invite, heartbeat; standalone screen shares.

Each route answers the call (or share) as it stands after the change, so the client
never has to wait for its own event to update its view.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from ..identity import signed_in_user
from ..runtime import get_runtime, need
from ..web.guards import passive
from ..web.schemas import answer, no_body
from .actions import CallService
from .schemas import (
    CallInvite,
    ChannelQuery,
    CurrentCall,
    MyCalls,
    NewCall,
    NewScreenshare,
    OneCall,
    OneScreenshare,
    Screenshares,
    SharingChange,
)

Answer = dict[str, Any]

blueprint = Blueprint("calls_api", __name__, url_prefix="/api")


def _calls() -> CallService:
    return need(get_runtime().services.calls, "calls")


@blueprint.post("/calls")
@validate_request(NewCall)
@answer(OneCall, 201)
async def start_call(data: NewCall) -> tuple[Answer, int]:
    """Ring every other member of a DM or private channel."""
    return {"call": await _calls().start(signed_in_user().username, data.channel)}, 201


@blueprint.get("/calls/current")
@passive
@validate_querystring(ChannelQuery)
@answer(CurrentCall)
async def current_call(query_args: ChannelQuery) -> Answer:
    """The live call of a channel you read, if any."""
    return {"call": await _calls().current(signed_in_user().username, query_args.channel)}


@blueprint.get("/calls/mine")
@passive
@answer(MyCalls)
async def my_calls() -> Answer:
    return {"calls": await _calls().mine(signed_in_user().username)}


@blueprint.get("/calls/<call_id>")
@passive
@answer(OneCall)
async def view_call(call_id: str) -> Answer:
    return {"call": await _calls().view(signed_in_user().username, call_id)}


@blueprint.post("/calls/<call_id>/accept")
@no_body
@answer(OneCall)
async def accept_call(call_id: str) -> Answer:
    """Answer a ring, walk into a live call of a channel you read, or rejoin."""
    return {"call": await _calls().accept(signed_in_user().username, call_id)}


@blueprint.post("/calls/<call_id>/reject")
@no_body
@answer(OneCall)
async def reject_call(call_id: str) -> Answer:
    return {"call": await _calls().reject(signed_in_user().username, call_id)}


@blueprint.post("/calls/<call_id>/leave")
@no_body
@answer(OneCall)
async def leave_call(call_id: str) -> Answer:
    """Hang up; leaving again is harmless."""
    return {"call": await _calls().leave(signed_in_user().username, call_id)}


@blueprint.post("/calls/<call_id>/invite")
@validate_request(CallInvite)
@answer(OneCall)
async def invite_to_call(call_id: str, data: CallInvite) -> Answer:
    """Ring someone into the call; they see the call, not the channel's messages."""
    return {"call": await _calls().invite(signed_in_user().username, call_id, data.username)}


@blueprint.post("/calls/<call_id>/heartbeat")
@passive
@no_body
@answer(OneCall)
async def call_heartbeat(call_id: str) -> Answer:
    return {"call": await _calls().heartbeat(signed_in_user().username, call_id)}


@blueprint.post("/calls/<call_id>/screenshare")
@validate_request(SharingChange)
@answer(OneCall)
async def call_screenshare(call_id: str, data: SharingChange) -> Answer:
    """Say whether you share a screen in the call."""
    return {"call": await _calls().set_sharing(signed_in_user().username, call_id, data.on)}


@blueprint.get("/screenshares")
@passive
@validate_querystring(ChannelQuery)
@answer(Screenshares)
async def list_screenshares(query_args: ChannelQuery) -> Answer:
    return {"shares": await _calls().shares_in(signed_in_user().username, query_args.channel)}


@blueprint.post("/screenshares")
@validate_request(NewScreenshare)
@answer(OneScreenshare, 201)
async def start_screenshare(data: NewScreenshare) -> tuple[Answer, int]:
    """Share a screen with a channel's readers (outside any call)."""
    return {"share": await _calls().start_share(signed_in_user().username, data.channel)}, 201


@blueprint.post("/screenshares/<share_id>/stop")
@no_body
@answer(OneScreenshare)
async def stop_screenshare(share_id: str) -> Answer:
    return {"share": await _calls().stop_share(signed_in_user().username, share_id)}


@blueprint.post("/screenshares/<share_id>/heartbeat")
@passive
@no_body
@answer(OneScreenshare)
async def screenshare_heartbeat(share_id: str) -> Answer:
    return {"share": await _calls().share_heartbeat(signed_in_user().username, share_id)}
