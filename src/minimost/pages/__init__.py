"""Pages every visitor may see: about, the CA certificate, and the error pages."""

from __future__ import annotations

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .errors import register_error_handlers
from .routes import blueprint


def register(app: Quart, runtime: Runtime) -> None:
    app.register_blueprint(blueprint)
    register_error_handlers(app)


FEATURE = Feature("pages", register)
