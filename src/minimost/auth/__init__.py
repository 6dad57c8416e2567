"""Who a user is: the sign-in page (and, as it grows, accounts and sessions)."""

from __future__ import annotations

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .routes import blueprint


def register(app: Quart, runtime: Runtime) -> None:
    app.register_blueprint(blueprint)


FEATURE = Feature("auth", register)
