"""The messaging API: channels, history, and sending, editing and deleting messages."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, send_file
from quart_schema import RequestSchemaValidationError, validate_querystring, validate_request

from ..identity import signed_in_user
from ..ids import is_decimal
from ..runtime import get_runtime
from ..web.guards import passive
from ..web.ratelimits import rate_limited
from ..web.schemas import (
    answer,
    file_response,
    load_body,
    no_body,
    no_content,
    validate_json_or_multipart,
)
from .channels import private, reading
from .messages import actions, pins, search
from .reactions import actions as reactions
from .schemas import (
    ChannelList,
    DirectMessages,
    HistoryQuery,
    Mentions,
    MessageEdit,
    MessagePage,
    MessageReactions,
    MessageSent,
    NewMember,
    NewMessage,
    NewMessageForm,
    NewPrivateChannel,
    OneMessage,
    Pins,
    PrivateChannelAnswer,
    PrivateChannelRename,
    PrivateChannels,
    ReactionSet,
    ReadPosition,
    ReadState,
    SearchQuery,
    SearchResults,
    UnreadCounts,
)
from .uploads.streaming import is_image, original_name, receive_multipart

Answer = dict[str, Any]

blueprint = Blueprint("chat_api", __name__, url_prefix="/api")


@blueprint.get("/channels")
@answer(ChannelList)
async def list_channels() -> Answer:
    return {"public": list(get_runtime().settings.channels)}


@blueprint.get("/channels/<channel>/messages")
@validate_querystring(HistoryQuery)
@answer(MessagePage)
async def channel_history(channel: str, query_args: HistoryQuery) -> Answer:
    messages = await actions.history(
        get_runtime(),
        signed_in_user().username,
        channel,
        before=query_args.before,
        limit=query_args.limit or actions.PAGE_SIZE,
    )
    return {"messages": messages}


@blueprint.post("/channels/<channel>/messages")
@rate_limited("send", by="user")
@validate_json_or_multipart(NewMessage, NewMessageForm)
@answer(MessageSent, 201)
@answer(MessageSent, 200)
async def post_message(channel: str, data: NewMessage | None) -> tuple[Answer, int]:
    """Send a message: JSON, or a multipart form with files too."""
    runtime = get_runtime()
    upload = None
    if data is None:
        upload = await receive_multipart(
            runtime.data_root.uploads_dir, runtime.settings.max_upload_bytes
        )
        raw_reply = upload.fields.get("reply_to")
        try:
            data = load_body(
                NewMessage,
                {
                    "content": upload.fields.get("content", ""),
                    "client_id": upload.fields.get("client_id"),
                    "reply_to": int(raw_reply) if raw_reply and is_decimal(raw_reply) else None,
                },
            )
        except RequestSchemaValidationError:
            upload.discard()
            raise
    messages, created = await actions.send_message(
        runtime,
        signed_in_user().username,
        channel,
        data.content,
        client_id=data.client_id,
        reply_to=data.reply_to,
        upload=upload,
    )
    return {"message": messages[0], "messages": messages}, 201 if created else 200


@blueprint.get("/files/<name>")
@file_response("image/*", "application/octet-stream")
async def get_file(name: str) -> Response:
    """Fetch a file shared in a channel you read.

    Files go only to readers of a channel that shares them, never as active content:
    images inline, anything else as an attachment.
    """
    path = await actions.readable_file(get_runtime(), signed_in_user().username, name)
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


@blueprint.get("/messages/<int:message_id>")
@answer(OneMessage)
async def get_message(message_id: int) -> Answer:
    message = await actions.message_by_id(get_runtime(), signed_in_user().username, message_id)
    return {"message": message}


@blueprint.patch("/messages/<int:message_id>")
@validate_request(MessageEdit)
@answer(OneMessage)
async def edit_message(message_id: int, data: MessageEdit) -> Answer:
    message = await actions.edit_message(
        get_runtime(), signed_in_user().username, message_id, data.content
    )
    return {"message": message}


@blueprint.delete("/messages/<int:message_id>")
@no_content
async def delete_message(message_id: int) -> Response:
    await actions.delete_message(get_runtime(), signed_in_user().username, message_id)
    return Response(status=204)


@blueprint.post("/channels/<channel>/read")
@no_body
@answer(ReadPosition)
async def mark_read(channel: str) -> Answer:
    position = await reading.mark_read(get_runtime(), signed_in_user().username, channel)
    return {"last_read_ts": position}


@blueprint.get("/channels/<channel>/read")
@passive
@answer(ReadState)
async def get_read_state(channel: str) -> Answer:
    return await reading.read_state(get_runtime(), signed_in_user().username, channel)


@blueprint.get("/unread")
@passive
@answer(UnreadCounts)
async def unread() -> Answer:
    return {"channels": await reading.unread_counts(get_runtime(), signed_in_user().username)}


@blueprint.get("/search")
@validate_querystring(SearchQuery)
@answer(SearchResults)
async def search_messages(query_args: SearchQuery) -> Answer:
    results = await search.search(
        get_runtime(),
        signed_in_user().username,
        text=query_args.q or None,
        sender=query_args.sender or None,
        channel=query_args.channel or None,
        start=query_args.start,
        end=query_args.end,
    )
    return {"results": results}


@blueprint.get("/dms")
@passive
@answer(DirectMessages)
async def direct_messages() -> Answer:
    return {"dms": await actions.direct_messages(get_runtime(), signed_in_user().username)}


@blueprint.post("/dms/<channel>/hide")
@no_body
@no_content
async def hide_dm(channel: str) -> Response:
    await actions.hide_dm(get_runtime(), signed_in_user().username, channel)
    return Response(status=204)


@blueprint.get("/reactions")
@answer(ReactionSet)
async def reaction_set() -> Answer:
    return {"reactions": list(reactions.reaction_set())}


@blueprint.put("/messages/<int:message_id>/reactions/<name>")
@no_body
@answer(MessageReactions)
async def add_reaction(message_id: int, name: str) -> Answer:
    """Add my reaction (again is harmless); answers the message's reactions."""
    return await reactions.set_reaction(
        get_runtime(), signed_in_user().username, message_id, name, present=True
    )


@blueprint.delete("/messages/<int:message_id>/reactions/<name>")
@answer(MessageReactions)
async def remove_reaction(message_id: int, name: str) -> Answer:
    """Take my reaction back (if there is none, nothing changes)."""
    return await reactions.set_reaction(
        get_runtime(), signed_in_user().username, message_id, name, present=False
    )


@blueprint.get("/channels/<channel>/pins")
@answer(Pins)
async def channel_pins(channel: str) -> Answer:
    return {"pins": await pins.pins_of(get_runtime(), signed_in_user().username, channel)}


@blueprint.post("/messages/<int:message_id>/pin")
@no_body
@answer(Pins)
async def toggle_pin(message_id: int) -> Answer:
    """Pin a message, or unpin it if it is pinned; answers the channel's pins."""
    return {"pins": await pins.toggle_pin(get_runtime(), signed_in_user().username, message_id)}


@blueprint.get("/mentions")
@passive
@answer(Mentions)
async def mentions() -> Answer:
    return {"mentions": await actions.unread_mentions(get_runtime(), signed_in_user().username)}


@blueprint.get("/private-channels")
@passive
@answer(PrivateChannels)
async def list_private_channels() -> Answer:
    return {"channels": await private.channels_of(get_runtime(), signed_in_user().username)}


@blueprint.post("/private-channels")
@rate_limited("create_channel", by="user")
@validate_request(NewPrivateChannel)
@answer(PrivateChannelAnswer, 201)
async def create_private_channel(data: NewPrivateChannel) -> tuple[Answer, int]:
    summary = await private.create(
        get_runtime(), signed_in_user().username, data.name, data.members
    )
    return {"channel": summary}, 201


@blueprint.patch("/private-channels/<int:channel_id>")
@validate_request(PrivateChannelRename)
@answer(PrivateChannelAnswer)
async def rename_private_channel(channel_id: int, data: PrivateChannelRename) -> Answer:
    summary = await private.rename(get_runtime(), signed_in_user().username, channel_id, data.name)
    return {"channel": summary}


@blueprint.post("/private-channels/<int:channel_id>/members")
@validate_request(NewMember)
@answer(PrivateChannelAnswer)
async def add_private_member(channel_id: int, data: NewMember) -> Answer:
    summary = await private.add_member(
        get_runtime(), signed_in_user().username, channel_id, data.username
    )
    return {"channel": summary}


@blueprint.post("/private-channels/<int:channel_id>/leave")
@no_body
@no_content
async def leave_private_channel(channel_id: int) -> Response:
    await private.leave(get_runtime(), signed_in_user().username, channel_id)
    return Response(status=204)
