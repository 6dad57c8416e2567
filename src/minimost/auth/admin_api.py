"""The administration API: people and their roles. Only admins see that it exists."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from ..api import ApiError
from ..identity import admin_only, signed_in_user
from ..runtime import get_runtime
from ..web.ratelimits import rate_limited
from ..web.schemas import also_refuses, answer, no_body
from . import roles
from .actions import AccountError
from .schemas import People, RoleShown

Answer = dict[str, Any]

blueprint = Blueprint("admin_api", __name__, url_prefix="/api/admin")


def _refused(error: AccountError) -> ApiError:
    code = {404: "not_found", 409: "conflict"}.get(error.status, "invalid")
    return ApiError(error.status, code, str(error))


@blueprint.get("/people")
@admin_only
@answer(People)
async def list_people() -> Answer:
    """Every account with its role, last activity and open sessions."""
    return {"people": await roles.people(get_runtime())}


@blueprint.put("/people/<username>/admin")
@admin_only
@rate_limited("admin", by="user")
@no_body
@answer(RoleShown)
async def grant_admin(username: str) -> Answer:
    """Make someone an admin (nothing changes if they are one)."""
    try:
        name, _ = await roles.grant_admin(get_runtime(), username, by=signed_in_user().username)
    except AccountError as error:
        raise _refused(error) from error
    return {"username": name, "role": "admin"}


@blueprint.delete("/people/<username>/admin")
@admin_only
@rate_limited("admin", by="user")
@also_refuses(409)
@answer(RoleShown)
async def revoke_admin(username: str) -> Answer:
    """Make an admin a member again; refused (409) for the last admin."""
    try:
        name, _ = await roles.revoke_admin(get_runtime(), username, by=signed_in_user().username)
    except AccountError as error:
        raise _refused(error) from error
    return {"username": name, "role": "member"}
