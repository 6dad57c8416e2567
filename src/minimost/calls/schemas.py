"""Declared shapes of the calls and screen-share API's requests and answers (see ``..schemas``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..web.schemas import Query, RequestBody, ResponseBody

# -- requests ----------------------------------------------------------------------------


class NewCall(RequestBody):
    channel: str = Field(description="A DM (dm:a:b) or private channel (private:<id>) you read.")


class CallInvite(RequestBody):
    username: str = Field(description="Anyone with an account, even from outside the channel.")


class SharingChange(RequestBody):
    on: bool = Field(description="True while you share a screen in the call.")


class NewScreenshare(RequestBody):
    channel: str = Field(description="A channel you read; its readers may watch.")


class ChannelQuery(Query):
    channel: str = Field(description="A channel id you read, e.g. dm:alice:bob.")


# -- answers -----------------------------------------------------------------------------


class Participant(ResponseBody):
    username: str
    role: Literal["initiator", "participant"]
    state: str = Field(
        description="pending (ringing), accepted (in the call), rejected, missed or left."
    )
    sharing: bool = Field(description="Sharing a screen in the call.")
    joined_ts: float | None = Field(description="When they last joined (null while ringing).")


class Call(ResponseBody):
    """A call as every client receives it, in API answers and ``call.updated`` events."""

    call_id: str
    channel: str
    initiator: str
    state: str = Field(
        description="ringing or active while live; ended, missed (or rejected, from "
        "older installs) once over."
    )
    started_ts: float
    answered_ts: float | None
    ended_ts: float | None
    participants: list[Participant]


class OneCall(ResponseBody):
    call: Call


class CurrentCall(ResponseBody):
    call: Call | None = Field(description="The channel's live call, or null.")


class MyCalls(ResponseBody):
    calls: list[Call] = Field(description="Live calls you are in or being rung for.")


class Screenshare(ResponseBody):
    """A standalone screen share, also the data of ``screenshare.updated`` events."""

    share_id: str
    channel: str
    sharer: str
    state: Literal["active", "ended"]
    started_ts: float
    ended_ts: float | None


class OneScreenshare(ResponseBody):
    share: Screenshare


class Screenshares(ResponseBody):
    shares: list[Screenshare] = Field(description="The channel's active shares.")
