"""The account's own JSON API: profile, avatar, password, deletion, and avatars of others."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request, send_file

from ..api import ApiError, json_object, optional_string, required_string
from ..ratelimits import limited
from ..runtime import Runtime, get_runtime
from . import actions, sessions


def _signed_in() -> sessions.CurrentSession:
    signed_in = sessions.current()
    assert signed_in is not None, "the access guard lets only signed-in users here"
    return signed_in


def _refused(error: actions.AccountError) -> ApiError:
    code = {403: "forbidden", 404: "not_found", 413: "too_large"}.get(error.status, "invalid")
    return ApiError(error.status, code, str(error))


async def get_account() -> Response:
    return jsonify(await actions.account_summary(get_runtime(), _signed_in().username))


async def update_account() -> Response:
    body = await json_object()
    try:
        summary = await actions.update_profile(
            get_runtime(),
            _signed_in().username,
            optional_string(body, "name_color"),
            optional_string(body, "bio"),
        )
    except actions.AccountError as error:
        raise _refused(error) from error
    return jsonify(summary)


async def upload_avatar() -> Response:
    files = await request.files
    upload = files.get("avatar")
    if upload is None:
        raise ApiError(400, "bad_request", 'Send the image as the multipart field "avatar".')
    try:
        url = await actions.set_avatar(get_runtime(), _signed_in().username, upload.read())
    except actions.AccountError as error:
        raise _refused(error) from error
    return jsonify({"avatar_url": url})


async def delete_avatar() -> Response:
    await actions.remove_avatar(get_runtime(), _signed_in().username)
    return Response(status=204)


async def list_users() -> Response:
    return jsonify({"users": await actions.user_directory(get_runtime())})


async def user_avatar(username: str) -> Response:
    path = await actions.avatar_file_of(get_runtime(), username)
    if path is None:
        raise ApiError(404, "not_found", "This user has no avatar.")
    return await send_file(path, mimetype="image/jpeg")


async def change_password() -> Response:
    body = await json_object()
    try:
        await actions.change_password(
            get_runtime(),
            _signed_in(),
            required_string(body, "current_password"),
            required_string(body, "new_password"),
            required_string(body, "confirm_password"),
        )
    except actions.AccountError as error:
        raise _refused(error) from error
    return jsonify({"ok": True})


async def delete_account() -> Response:
    body = await json_object()
    try:
        await actions.delete_account(
            get_runtime(),
            _signed_in(),
            required_string(body, "mode"),
            required_string(body, "password"),
        )
    except actions.AccountError as error:
        raise _refused(error) from error
    return jsonify({"ok": True})


def build_blueprint(runtime: Runtime) -> Blueprint:
    blueprint = Blueprint("account_api", __name__, url_prefix="/api")
    add = blueprint.add_url_rule
    add("/account", "get_account", get_account, methods=["GET"])
    add("/account", "update_account", update_account, methods=["PATCH"])
    add(
        "/account/avatar",
        "upload_avatar",
        limited(runtime, upload_avatar, "avatar", by="user"),
        methods=["PUT"],
    )
    add("/account/avatar", "delete_avatar", delete_avatar, methods=["DELETE"])
    add(
        "/account/password",
        "change_password",
        limited(runtime, change_password, "password_reset", by="user"),
        methods=["POST"],
    )
    add("/account/delete", "delete_account", delete_account, methods=["POST"])
    add("/users", "list_users", list_users, methods=["GET"])
    add("/users/<username>/avatar", "user_avatar", user_avatar, methods=["GET"])
    return blueprint
