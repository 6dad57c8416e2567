"""The account's own JSON API: profile, avatar, password, deletion, and avatars of others."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, request, send_file
from quart_schema import validate_request

from ..api import ApiError
from ..identity import signed_in_user
from ..identity.users import account_summary
from ..runtime import get_runtime
from ..web.ratelimits import rate_limited
from ..web.schemas import Done, also_refuses, answer, file_response, multipart_form, no_content
from . import actions
from .schemas import (
    Account,
    AccountDeletion,
    AvatarForm,
    AvatarUploaded,
    PasswordChange,
    ProfileChange,
    UserDirectory,
)

Answer = dict[str, Any]

blueprint = Blueprint("account_api", __name__, url_prefix="/api")


def _refused(error: actions.AccountError) -> ApiError:
    codes = {403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large"}
    code = codes.get(error.status, "invalid")
    return ApiError(error.status, code, str(error))


@blueprint.get("/account")
@answer(Account)
async def get_account() -> Answer:
    return await account_summary(get_runtime(), signed_in_user().username)


@blueprint.patch("/account")
@validate_request(ProfileChange)
@answer(Account)
async def update_account(data: ProfileChange) -> Answer:
    username = signed_in_user().username
    try:
        await actions.update_profile(get_runtime(), username, data.name_color, data.bio)
    except actions.AccountError as error:
        raise _refused(error) from error
    return await account_summary(get_runtime(), username)


@blueprint.put("/account/avatar")
@rate_limited("avatar", by="user")
@multipart_form(AvatarForm)
@answer(AvatarUploaded)
async def upload_avatar() -> Answer:
    files = await request.files
    upload = files.get("avatar")
    if upload is None:
        raise ApiError(400, "bad_request", 'Send the image as the multipart field "avatar".')
    try:
        url = await actions.set_avatar(get_runtime(), signed_in_user().username, upload.read())
    except actions.AccountError as error:
        raise _refused(error) from error
    return {"avatar_url": url}


@blueprint.delete("/account/avatar")
@no_content
async def delete_avatar() -> Response:
    await actions.remove_avatar(get_runtime(), signed_in_user().username)
    return Response(status=204)


@blueprint.get("/users")
@answer(UserDirectory)
async def list_users() -> Answer:
    """Everyone's public profile."""
    return {"users": await actions.user_directory(get_runtime())}


@blueprint.get("/users/<username>/avatar")
@file_response("image/jpeg")
async def user_avatar(username: str) -> Response:
    path = await actions.avatar_file_of(get_runtime(), username)
    if path is None:
        raise ApiError(404, "not_found", "This user has no avatar.")
    return await send_file(path, mimetype="image/jpeg")


@blueprint.post("/account/password")
@rate_limited("password_reset", by="user")
@validate_request(PasswordChange)
@answer(Done)
async def change_password(data: PasswordChange) -> Answer:
    try:
        await actions.change_password(
            get_runtime(),
            signed_in_user(),
            data.current_password,
            data.new_password,
            data.confirm_password,
        )
    except actions.AccountError as error:
        raise _refused(error) from error
    return {"ok": True}


@blueprint.post("/account/delete")
@validate_request(AccountDeletion)
@also_refuses(409)
@answer(Done)
async def delete_account(data: AccountDeletion) -> Answer:
    """Delete your account, confirmed with your password."""
    try:
        await actions.delete_account(get_runtime(), signed_in_user(), data.mode, data.password)
    except actions.AccountError as error:
        raise _refused(error) from error
    return {"ok": True}
