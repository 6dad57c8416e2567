"""Pages every visitor may see: about, the CA certificate, the app manifest."""

from __future__ import annotations

from quart import Quart

from ..features import Feature
from ..runtime import Runtime
from .pwa import register_pwa
from .routes import blueprint


def register(app: Quart, runtime: Runtime) -> None:
    app.register_blueprint(blueprint)
    register_pwa(app)


FEATURE = Feature("pages", register)
