"""Channel ids and who may use them: public names, ``dm:<a>:<b>…``, ``private:<id>``."""

from __future__ import annotations

from ...api import ApiError
from ...channel_ids import dm_participants, parse
from ...identity import users
from ...realtime import realtime_of
from ...runtime import Runtime

NOT_FOUND = ApiError(404, "not_found", "No such channel.")


async def require_readable(runtime: Runtime, username: str, channel: str) -> None:
    """Answer 404 for a channel the user may not read, so probing reveals nothing."""
    if not realtime_of(runtime).access.can_read(username, channel):
        raise NOT_FOUND


async def require_postable(runtime: Runtime, username: str, channel: str) -> None:
    """Readable, and for a DM: canonically named with only existing accounts in it."""
    await require_readable(runtime, username, channel)
    parsed = parse(channel)
    if parsed is None or not parsed.is_dm:
        return
    if not parsed.canonical:
        raise NOT_FOUND
    participants = dm_participants(channel)
    found = await runtime.stores.auth.reading(
        lambda connection: [users.find_user(connection, name) for name in participants]
    )
    missing = [
        name
        for name, user in zip(participants, found, strict=True)
        if user is None or user["username"] != name
    ]
    if missing:
        raise ApiError(400, "invalid", f"No account named {', '.join(missing)}.")
