"""The calls API: start, answer, decline, leave, invite, heartbeat; standalone screen shares.

Each route answers the call (or share) as it stands after the change, so the client
never has to wait for its own event to update its view.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify, request

from ..api import ApiError, json_object, required_string
from ..auth import sessions
from ..runtime import get_runtime
from ..security import passive
from .actions import CallService

blueprint = Blueprint("calls_api", __name__, url_prefix="/api")


def _username() -> str:
    signed_in = sessions.current()
    assert signed_in is not None, "the access guard lets only signed-in users here"
    return signed_in.username


def _calls() -> CallService:
    service = get_runtime().services["calls"]
    assert isinstance(service, CallService)
    return service


def _channel_arg() -> str:
    channel = request.args.get("channel", "")
    if not channel:
        raise ApiError(400, "bad_request", '"channel" is required.')
    return channel


def _created(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = 201
    return response


@blueprint.post("/calls")
async def start_call() -> Response:
    body = await json_object()
    call = await _calls().start(_username(), required_string(body, "channel"))
    return _created({"call": call})


@blueprint.get("/calls/current")
@passive
async def current_call() -> Response:
    return jsonify({"call": await _calls().current(_username(), _channel_arg())})


@blueprint.get("/calls/mine")
@passive
async def my_calls() -> Response:
    return jsonify({"calls": await _calls().mine(_username())})


@blueprint.get("/calls/<call_id>")
@passive
async def view_call(call_id: str) -> Response:
    return jsonify({"call": await _calls().view(_username(), call_id)})


@blueprint.post("/calls/<call_id>/accept")
async def accept_call(call_id: str) -> Response:
    return jsonify({"call": await _calls().accept(_username(), call_id)})


@blueprint.post("/calls/<call_id>/reject")
async def reject_call(call_id: str) -> Response:
    return jsonify({"call": await _calls().reject(_username(), call_id)})


@blueprint.post("/calls/<call_id>/leave")
async def leave_call(call_id: str) -> Response:
    return jsonify({"call": await _calls().leave(_username(), call_id)})


@blueprint.post("/calls/<call_id>/invite")
async def invite_to_call(call_id: str) -> Response:
    body = await json_object()
    call = await _calls().invite(_username(), call_id, required_string(body, "username"))
    return jsonify({"call": call})


@blueprint.post("/calls/<call_id>/heartbeat")
@passive
async def call_heartbeat(call_id: str) -> Response:
    return jsonify({"call": await _calls().heartbeat(_username(), call_id)})


@blueprint.post("/calls/<call_id>/screenshare")
async def call_screenshare(call_id: str) -> Response:
    body = await json_object()
    sharing = body.get("on")
    if not isinstance(sharing, bool):
        raise ApiError(400, "bad_request", '"on" must be true or false.')
    return jsonify({"call": await _calls().set_sharing(_username(), call_id, sharing)})


@blueprint.get("/screenshares")
@passive
async def list_screenshares() -> Response:
    return jsonify({"shares": await _calls().shares_in(_username(), _channel_arg())})


@blueprint.post("/screenshares")
async def start_screenshare() -> Response:
    body = await json_object()
    share = await _calls().start_share(_username(), required_string(body, "channel"))
    return _created({"share": share})


@blueprint.post("/screenshares/<share_id>/stop")
async def stop_screenshare(share_id: str) -> Response:
    return jsonify({"share": await _calls().stop_share(_username(), share_id)})


@blueprint.post("/screenshares/<share_id>/heartbeat")
@passive
async def screenshare_heartbeat(share_id: str) -> Response:
    return jsonify({"share": await _calls().share_heartbeat(_username(), share_id)})
