"""The messaging API: channels, history, and sending, editing and deleting messages."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request, send_file

from ..api import ApiError, json_object, optional_string, required_string
from ..auth import sessions
from ..ratelimits import limited
from ..runtime import Runtime, get_runtime
from ..security import passive
from . import actions, pins, private, reactions, reading, search
from .uploads import is_image, original_name, receive_multipart


def _username() -> str:
    signed_in = sessions.current()
    assert signed_in is not None, "the access guard lets only signed-in users here"
    return signed_in.username


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ApiError(400, "bad_request", f'"{name}" must be a whole number.')
    return int(raw)


async def list_channels() -> Response:
    return jsonify({"public": list(get_runtime().settings.channels)})


async def channel_history(channel: str) -> Response:
    messages = await actions.history(
        get_runtime(),
        _username(),
        channel,
        before=_int_arg("before", None),
        limit=_int_arg("limit", actions.PAGE_SIZE) or actions.PAGE_SIZE,
    )
    return jsonify({"messages": messages})


async def post_message(channel: str) -> Response:
    """JSON ``{"content", "client_id", "reply_to"}``, or multipart with ``files`` too."""
    runtime = get_runtime()
    upload = None
    if request.mimetype == "multipart/form-data":
        upload = await receive_multipart(
            runtime.data_root.uploads_dir, runtime.settings.max_upload_bytes
        )
        body: dict[str, object] = dict(upload.fields)
        raw_reply = upload.fields.get("reply_to")
        body["reply_to"] = int(raw_reply) if raw_reply and raw_reply.isdigit() else None
        body.setdefault("content", "")
    else:
        body = await json_object()
    reply_to = body.get("reply_to")
    if reply_to is not None and (not isinstance(reply_to, int) or isinstance(reply_to, bool)):
        raise ApiError(400, "bad_request", '"reply_to" must be a message id or null.')
    messages, created = await actions.send_message(
        runtime,
        _username(),
        channel,
        required_string(body, "content"),
        client_id=optional_string(body, "client_id"),
        reply_to=reply_to,
        upload=upload,
    )
    response = jsonify({"message": messages[0], "messages": messages})
    response.status_code = 201 if created else 200
    return response


async def get_file(name: str) -> Response:
    """Files go only to readers of a channel that shares them, never as active content."""
    path = await actions.readable_file(get_runtime(), _username(), name)
    image = is_image(name)
    response = await send_file(
        path,
        as_attachment=not image,
        attachment_filename=original_name(name),
        mimetype=None if image else "application/octet-stream",
        conditional=True,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


async def get_message(message_id: int) -> Response:
    message = await actions.message_by_id(get_runtime(), _username(), message_id)
    return jsonify({"message": message})


async def edit_message(message_id: int) -> Response:
    body = await json_object()
    message = await actions.edit_message(
        get_runtime(), _username(), message_id, required_string(body, "content")
    )
    return jsonify({"message": message})


async def delete_message(message_id: int) -> Response:
    await actions.delete_message(get_runtime(), _username(), message_id)
    return Response(status=204)


async def mark_read(channel: str) -> Response:
    position = await reading.mark_read(get_runtime(), _username(), channel)
    return jsonify({"last_read_ts": position})


@passive
async def get_read_state(channel: str) -> Response:
    return jsonify(await reading.read_state(get_runtime(), _username(), channel))


@passive
async def unread() -> Response:
    return jsonify({"channels": await reading.unread_counts(get_runtime(), _username())})


def _float_arg(name: str) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise ApiError(400, "bad_request", f'"{name}" must be a time in epoch seconds.')
    return value


async def search_messages() -> Response:
    results = await search.search(
        get_runtime(),
        _username(),
        text=request.args.get("q") or None,
        sender=request.args.get("from") or None,
        channel=request.args.get("channel") or None,
        start=_float_arg("start"),
        end=_float_arg("end"),
    )
    return jsonify({"results": results})


@passive
async def direct_messages() -> Response:
    return jsonify({"dms": await actions.direct_messages(get_runtime(), _username())})


async def hide_dm(channel: str) -> Response:
    await actions.hide_dm(get_runtime(), _username(), channel)
    return Response(status=204)


async def reaction_set() -> Response:
    return jsonify({"reactions": list(reactions.reaction_set())})


async def add_reaction(message_id: int, name: str) -> Response:
    summary = await reactions.set_reaction(
        get_runtime(), _username(), message_id, name, present=True
    )
    return jsonify(summary)


async def remove_reaction(message_id: int, name: str) -> Response:
    summary = await reactions.set_reaction(
        get_runtime(), _username(), message_id, name, present=False
    )
    return jsonify(summary)


async def channel_pins(channel: str) -> Response:
    return jsonify({"pins": await pins.pins_of(get_runtime(), _username(), channel)})


async def toggle_pin(message_id: int) -> Response:
    return jsonify({"pins": await pins.toggle_pin(get_runtime(), _username(), message_id)})


@passive
async def mentions() -> Response:
    return jsonify({"mentions": await actions.unread_mentions(get_runtime(), _username())})


@passive
async def list_private_channels() -> Response:
    return jsonify({"channels": await private.channels_of(get_runtime(), _username())})


async def create_private_channel() -> Response:
    body = await json_object()
    members = body.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ApiError(400, "bad_request", '"members" must be a list of usernames.')
    summary = await private.create(
        get_runtime(), _username(), required_string(body, "name"), members
    )
    response = jsonify({"channel": summary})
    response.status_code = 201
    return response


async def rename_private_channel(channel_id: int) -> Response:
    body = await json_object()
    summary = await private.rename(
        get_runtime(), _username(), channel_id, required_string(body, "name")
    )
    return jsonify({"channel": summary})


async def add_private_member(channel_id: int) -> Response:
    body = await json_object()
    summary = await private.add_member(
        get_runtime(), _username(), channel_id, required_string(body, "username")
    )
    return jsonify({"channel": summary})


async def leave_private_channel(channel_id: int) -> Response:
    await private.leave(get_runtime(), _username(), channel_id)
    return Response(status=204)


def build_blueprint(runtime: Runtime) -> Blueprint:
    blueprint = Blueprint("chat_api", __name__, url_prefix="/api")
    add = blueprint.add_url_rule
    add("/channels", "list_channels", list_channels, methods=["GET"])
    add("/channels/<channel>/messages", "channel_history", channel_history, methods=["GET"])
    add(
        "/channels/<channel>/messages",
        "post_message",
        limited(runtime, post_message, "send", by="user"),
        methods=["POST"],
    )
    add("/messages/<int:message_id>", "get_message", get_message, methods=["GET"])
    add("/files/<name>", "get_file", get_file, methods=["GET"])
    add("/messages/<int:message_id>", "edit_message", edit_message, methods=["PATCH"])
    add("/messages/<int:message_id>", "delete_message", delete_message, methods=["DELETE"])
    add("/channels/<channel>/read", "mark_read", mark_read, methods=["POST"])
    add("/channels/<channel>/read", "get_read_state", get_read_state, methods=["GET"])
    add("/unread", "unread", unread, methods=["GET"])
    add("/mentions", "mentions", mentions, methods=["GET"])
    add("/dms", "direct_messages", direct_messages, methods=["GET"])
    add("/search", "search_messages", search_messages, methods=["GET"])
    add("/dms/<channel>/hide", "hide_dm", hide_dm, methods=["POST"])
    add("/channels/<channel>/pins", "channel_pins", channel_pins, methods=["GET"])
    add("/messages/<int:message_id>/pin", "toggle_pin", toggle_pin, methods=["POST"])
    add("/reactions", "reaction_set", reaction_set, methods=["GET"])
    reaction = "/messages/<int:message_id>/reactions/<name>"
    add(reaction, "add_reaction", add_reaction, methods=["PUT"])
    add(reaction, "remove_reaction", remove_reaction, methods=["DELETE"])
    add("/private-channels", "list_private_channels", list_private_channels, methods=["GET"])
    add(
        "/private-channels",
        "create_private_channel",
        limited(runtime, create_private_channel, "create_channel", by="user"),
        methods=["POST"],
    )
    add(
        "/private-channels/<int:channel_id>",
        "rename_private_channel",
        rename_private_channel,
        methods=["PATCH"],
    )
    add(
        "/private-channels/<int:channel_id>/members",
        "add_private_member",
        add_private_member,
        methods=["POST"],
    )
    add(
        "/private-channels/<int:channel_id>/leave",
        "leave_private_channel",
        leave_private_channel,
        methods=["POST"],
    )
    return blueprint
