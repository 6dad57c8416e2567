"""Sending over the websocket: a ``message.send`` frame, answered after the commit.

The same action as ``POST /api/channels/<channel>/messages`` with text only (files go
over HTTP), so the same rules, rate limit and client-id idempotency apply. The answer
is a ``message.sent`` frame, or an ``error`` frame about ``message.send``; both carry
the frame's ``client_id`` so the client can match them to its pending send. A tab's
sends commit in the order they arrive: the socket handles one frame at a time.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from pydantic import ValidationError
from quart import Quart

from ..api import ApiError
from ..db.unavailable import storage_refusal
from ..jsoncodec import compact
from ..realtime import Connection, realtime_of
from ..runtime import Runtime
from ..web.ratelimits import charge, rate_limit_message
from ..web.validation import describe
from .messages import actions
from .schemas import NewMessage

FRAME = "message.send"

log = logging.getLogger(__name__)


def accept_sends_over_socket(app: Quart, runtime: Runtime) -> None:
    async def send_from_frame(connection: Connection, frame: dict[str, Any]) -> None:
        client_id = frame.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            connection.refuse(
                "A message.send frame needs a client_id.",
                about=FRAME,
                status=400,
                code="bad_request",
            )
            return
        channel = frame.get("channel")
        try:
            if not isinstance(channel, str) or not channel:
                raise ApiError(400, "bad_request", '"channel" must be a string.')
            data = NewMessage.model_validate(frame)
            wait = await charge("send", connection.username)
            if wait:
                raise ApiError(429, "rate_limited", rate_limit_message(wait))
            messages, created = await actions.send_message(
                runtime,
                connection.username,
                channel,
                data.content,
                client_id=client_id,
                reply_to=data.reply_to,
            )
        except ValidationError as error:
            connection.refuse(
                describe(error), about=FRAME, client_id=client_id, status=400, code="bad_request"
            )
        except sqlite3.OperationalError as error:
            # Refused before reaching the group commit (which reports its own).
            refusal = storage_refusal(error)
            if refusal is None:
                raise
            log.warning("send over the socket not saved (answered 503): %s", error)
            connection.refuse(
                refusal.message,
                about=FRAME,
                client_id=client_id,
                status=refusal.status,
                code=refusal.code,
            )
        except ApiError as error:
            connection.refuse(
                error.message,
                about=FRAME,
                client_id=client_id,
                status=error.status,
                code=error.code,
            )
        else:
            connection.offer(
                compact(
                    {
                        "type": "message.sent",
                        "client_id": client_id,
                        "created": created,
                        "message": messages[0],
                        "messages": messages,
                    }
                )
            )

    realtime_of(runtime).on_frame(FRAME, send_from_frame, metered=False)
