"""Presence API: who is around, and a user's manual override."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request

from ..identity import signed_in_user
from ..runtime import get_runtime, need
from ..web.guards import passive
from ..web.schemas import answer
from .live import online_users
from .schemas import OverrideChange, OverrideSet, OverrideShown, Presence

blueprint = Blueprint("presence", __name__, url_prefix="/api/presence")


@blueprint.get("")
@passive
@answer(Presence)
async def everyone() -> dict[str, Any]:
    runtime = get_runtime()
    return {"users": await online_users(runtime, need(runtime.services.presence, "presence"))}


@blueprint.get("/override")
@passive
@answer(OverrideSet)
async def get_override() -> dict[str, Any]:
    tracker = need(get_runtime().services.presence, "presence")
    return {"override": await tracker.override_of(signed_in_user().username)}


@blueprint.put("/override")
@validate_request(OverrideChange)
@answer(OverrideShown)
async def put_override(data: OverrideChange) -> dict[str, Any]:
    tracker = need(get_runtime().services.presence, "presence")
    shown = await tracker.set_override(signed_in_user().username, data.override)
    return {"override": data.override, "state": shown}
