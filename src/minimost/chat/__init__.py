"""Channels and messages (the chat itself)."""

from __future__ import annotations

from quart import Quart

from ..features import Feature
from ..realtime import realtime_of
from ..runtime import Runtime
from .messages.message_cache import keep_encoded_messages
from .messages.older_html import store_older_html
from .relayed import relay_into_chat
from .routes import blueprint
from .socket_sends import accept_sends_over_socket


def register(app: Quart, runtime: Runtime) -> None:
    relay_into_chat(realtime_of(runtime).relay)
    keep_encoded_messages(runtime)
    store_older_html(runtime)
    app.register_blueprint(blueprint)
    accept_sends_over_socket(app, runtime)


FEATURE = Feature("chat", register)
