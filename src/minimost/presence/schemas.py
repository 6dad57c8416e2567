"""Declared shapes of the presence API (see ``..schemas``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..web.schemas import RequestBody, ResponseBody

Override = Literal["active", "idle", "offline"]
ShownState = Literal["active", "idle", "hidden", "offline"]


class Presence(ResponseBody):
    """Everyone seen within the last hour who is not offline, by username."""

    users: dict[str, ShownState]


class OverrideSet(ResponseBody):
    override: Override | None = Field(description="Your manual state; null follows your tabs.")


class OverrideChange(RequestBody):
    override: Override | None = Field(None, description="null goes back to following your tabs.")


class OverrideShown(OverrideSet):
    state: ShownState = Field(description="What everyone else now sees.")
