"""Presence API: who is around, and a user's manual override."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from ..api import ApiError, json_object
from ..auth import sessions
from ..runtime import get_runtime
from ..security import passive
from .live import OVERRIDES, online_users

blueprint = Blueprint("presence", __name__, url_prefix="/api/presence")


@blueprint.get("")
@passive
async def everyone() -> Response:
    runtime = get_runtime()
    return jsonify({"users": await online_users(runtime, runtime.services["presence"])})


@blueprint.get("/override")
@passive
async def get_override() -> Response:
    signed_in = sessions.current()
    assert signed_in is not None
    tracker = get_runtime().services["presence"]
    return jsonify({"override": await tracker.override_of(signed_in.username)})


@blueprint.put("/override")
async def put_override() -> Response:
    signed_in = sessions.current()
    assert signed_in is not None
    body = await json_object()
    override = body.get("override")
    if override is not None and override not in OVERRIDES:
        raise ApiError(
            400, "bad_request", '"override" must be "active", "idle", "offline" or null.'
        )
    tracker = get_runtime().services["presence"]
    shown = await tracker.set_override(signed_in.username, override)
    return jsonify({"override": override, "state": shown})
