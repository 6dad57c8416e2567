"""What changes kept in other databases need in messages.db, done as their events relay.

A change in auth.db or presence.db records these instructions in its outbox; the relay
runs them in the transaction that logs its events, so a channel notice, a newcomer's
read positions or a removed account's messages commit once, with the log.
"""

from __future__ import annotations

from typing import Any

from ..db import Changes
from ..identity.events import ACCOUNT_CREATED, ACCOUNT_REMOVED, NOTICE
from ..identity.users import DELETED_USER
from ..realtime import Audience
from ..realtime.outbox import Relay
from .messages import message_json, store

__all__ = ["ACCOUNT_CREATED", "ACCOUNT_REMOVED", "NOTICE", "relay_into_chat"]


def post_notice(changes: Changes, audience: Audience, data: dict[str, Any], _ts: float) -> None:
    assert audience.channel is not None
    message = message_json.insert_system_notice(
        changes.connection, audience.channel, data["text"], data["ts"]
    )
    changes.record("message.created", audience, message)


def seed_newcomer(changes: Changes, _audience: Audience, data: dict[str, Any], _ts: float) -> None:
    store.seed_read_watermarks(
        changes.connection, data["username"], tuple(data["channels"]), data["ts"]
    )


def remove_account_messages(
    changes: Changes, _audience: Audience, data: dict[str, Any], _ts: float
) -> None:
    """Soft: messages stay as "Deleted User". Hard: messages and reactions go too."""
    username = data["username"]
    if data["mode"] == "soft":
        store.anonymise_messages(changes.connection, username, DELETED_USER)
    else:
        store.delete_messages_and_reactions(changes.connection, username, data["ts"])
    store.delete_read_state(changes.connection, username)


def relay_into_chat(relay: Relay) -> None:
    relay.on(NOTICE, post_notice)
    relay.on(ACCOUNT_CREATED, seed_newcomer)
    relay.on(ACCOUNT_REMOVED, remove_account_messages)
