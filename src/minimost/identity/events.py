"""The events account changes record in ``auth.db``'s outbox, for features to relay."""

from __future__ import annotations

# A notice from MiniMost in the audience's channel: ``{"text", "ts"}``.
NOTICE = "message.notice"
# A new account's read positions: ``{"username", "channels", "ts"}``.
ACCOUNT_CREATED = "account.created"
# A removed account's messages, reactions and read state: ``{"username", "mode", "ts"}``.
ACCOUNT_REMOVED = "account.removed"
