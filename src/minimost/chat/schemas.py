"""Declared shapes of the messaging API's requests and answers (see ``..schemas``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..ids import StoredInt, WholeNumber
from ..web.schemas import Query, RequestBody, ResponseBody

EpochSeconds = Annotated[float, Field(allow_inf_nan=False, description="Time in epoch seconds.")]


# -- requests ----------------------------------------------------------------------------


class NewMessage(RequestBody):
    content: str = Field(description="Markdown text (at most 10,000 characters).")
    client_id: str | None = Field(
        None, description="The sender's own id for the message: a retry is not duplicated."
    )
    reply_to: StoredInt | None = Field(None, description="Id of the message this one answers.")


class NewMessageForm(RequestBody):
    """The multipart form of a new message: its text plus any number of file parts."""

    content: str = ""
    client_id: str | None = None
    reply_to: StoredInt | None = None
    files: list[bytes] = Field(
        default_factory=list,
        description="File parts: any part with a filename is a file, whatever its field name.",
    )


class MessageEdit(RequestBody):
    content: str = Field(description="The new Markdown text.")


class NewPrivateChannel(RequestBody):
    name: str
    members: list[str] = Field(default_factory=list, description="Usernames to invite.")


class PrivateChannelRename(RequestBody):
    name: str


class NewMember(RequestBody):
    username: str


class HistoryQuery(Query):
    before: WholeNumber | None = Field(None, description="Only messages with a smaller id.")
    limit: WholeNumber | None = Field(None, description="Page size (default 100, at most 200).")


class SearchQuery(Query):
    q: str | None = Field(None, description="Words to find in the text.")
    sender: str | None = Field(None, alias="from", description="Only messages of this user.")
    channel: str | None = Field(None, description="Only this channel.")
    start: EpochSeconds | None = None
    end: EpochSeconds | None = None


# -- answers -----------------------------------------------------------------------------


class AttachedFile(ResponseBody):
    name: str
    url: str
    image: bool


class Reaction(ResponseBody):
    name: str = Field(description="One of the names listed by GET /api/reactions.")
    count: int
    users: list[str] = Field(description="Who reacted, in the order they did.")


class Message(ResponseBody):
    """A message as every client receives it, in API answers and live events alike."""

    id: int
    channel: str
    sender: str
    content: str = Field(description="The raw Markdown text; empty once deleted.")
    html: str | None = Field(description="Rendered, sanitised HTML to insert as is.")
    content_type: str
    filename: str | None
    ts: float
    edited: bool
    edited_ts: float | None
    deleted: bool
    deleted_ts: float | None
    reply_to: int | None
    client_id: str | None
    mentions: list[str]
    file: AttachedFile | None
    reactions: list[Reaction] = Field(description="By name, in the order first given.")


class ChannelList(ResponseBody):
    public: list[str]


class MessagePage(ResponseBody):
    """A page of messages, oldest first."""

    messages: list[Message]


class MessageSent(ResponseBody):
    """The new message (201), or the one already sent with this ``client_id`` (200)."""

    message: Message
    messages: list[Message] = Field(description="The text message first, then one per file.")


class OneMessage(ResponseBody):
    message: Message


class ReadPosition(ResponseBody):
    last_read_ts: float | None


class ReadState(ResponseBody):
    """Your read position and everyone's receipts in the channel."""

    last_read_ts: float | None
    receipts: dict[str, float]


class UnreadCounts(ResponseBody):
    """Unread messages per public channel."""

    channels: dict[str, int]


class Mentions(ResponseBody):
    mentions: list[Message]


class DirectMessage(ResponseBody):
    channel: str
    users: list[str] = Field(description="The other people in the conversation.")
    unread: int
    last_ts: float


class DirectMessages(ResponseBody):
    """Your direct messages, newest activity first."""

    dms: list[DirectMessage]


class SearchResults(ResponseBody):
    results: list[Message]


class Pin(ResponseBody):
    id: int
    channel: str
    sender: str
    content: str = Field(description="A short preview of the text.")
    filename: str | None
    ts: float
    pinned_by: str
    pinned_ts: float


class ReactionName(ResponseBody):
    name: str
    label: str
    emoji: str


class ReactionSet(ResponseBody):
    """The 477 reactions, in the order the picker shows them."""

    reactions: list[ReactionName]


class MessageReactions(ResponseBody):
    """A message's reactions after a change (also sent live as ``message.reactions``)."""

    id: int
    channel: str
    reactions: list[Reaction]


class Pins(ResponseBody):
    """Pinned messages, most recently pinned first."""

    pins: list[Pin]


class PrivateChannel(ResponseBody):
    id: int
    channel: str = Field(description="The channel id used by messages: private:<id>.")
    name: str
    members: list[str]


class ListedPrivateChannel(PrivateChannel):
    unread: int


class PrivateChannels(ResponseBody):
    channels: list[ListedPrivateChannel]


class PrivateChannelAnswer(ResponseBody):
    channel: PrivateChannel
