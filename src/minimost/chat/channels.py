"""Channel ids and who may use them: public names, ``dm:<a>:<b>…``, ``private:<id>``."""

from __future__ import annotations

from ..api import ApiError
from ..identity import users as auth_store
from ..realtime import realtime_of
from ..runtime import Runtime

NOT_FOUND = ApiError(404, "not_found", "No such channel.")


def dm_participants(channel: str) -> list[str]:
    return channel.split(":")[1:] if channel.startswith("dm:") else []


def canonical_dm(usernames: list[str]) -> str:
    """The one name of a DM: participants in code-point order, each once."""
    return "dm:" + ":".join(sorted(set(usernames)))


async def require_readable(runtime: Runtime, username: str, channel: str) -> None:
    """Answer 404 for a channel the user may not read, so probing reveals nothing."""
    if not realtime_of(runtime).access.can_read(username, channel):
        raise NOT_FOUND


async def require_postable(runtime: Runtime, username: str, channel: str) -> None:
    """Readable, and for a DM: canonically named with only existing accounts in it."""
    await require_readable(runtime, username, channel)
    participants = dm_participants(channel)
    if not participants:
        return
    if channel != canonical_dm(participants):
        raise NOT_FOUND
    found = await runtime.stores.auth.reading(
        lambda connection: [auth_store.find_user(connection, name) for name in participants]
    )
    missing = [
        name
        for name, user in zip(participants, found, strict=True)
        if user is None or user["username"] != name
    ]
    if missing:
        raise ApiError(400, "invalid", f"No account named {', '.join(missing)}.")
