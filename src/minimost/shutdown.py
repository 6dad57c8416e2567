"""A quiet shutdown: connections still open when the server stops end without tracebacks.

On SIGTERM Hypercorn waits ``graceful_timeout`` for open connections (live websockets,
idle keep-alive), then cancels their tasks. Python 3.11's ``asyncio.start_server`` has a
done-callback that asks each cancelled connection task for its exception, which raises
``CancelledError`` inside the callback, and the loop logs that as "Exception in callback"
with a traceback: one per connection, on every ordinary stop. Such a cancellation is the
intended end of the connection, so the loop's exception handler drops exactly that case
and hands everything else to the handler that was there before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Quart

Context = dict[str, Any]


def _is_cancelled_connection(context: Context) -> bool:
    """True for the CancelledError of a stopped connection task's done-callback."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        return False
    handle = context.get("handle")
    return handle is not None and "connection_made" in repr(handle)


def install(loop: asyncio.AbstractEventLoop) -> None:
    """Let ``loop`` drop the cancellation of connections it stops; report all else as before."""
    previous = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: Context) -> None:
        if _is_cancelled_connection(context):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


def register_quiet_shutdown(app: Quart) -> None:
    """Install the handler on the loop that serves ``app``, when serving starts."""

    @app.before_serving
    async def quiet_connection_shutdown() -> None:
        install(asyncio.get_running_loop())
