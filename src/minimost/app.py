"""The application factory: the whole boot sequence of MiniMost on one screen."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quart import Quart

from . import (
    apidocs,
    auth,
    calls,
    chat,
    housekeeping,
    identity,
    pages,
    presence,
    previews,
    realtime,
    stun,
    web,
)
from .assets import register_assets
from .audit import AuditLog
from .bodies import settle_request_bodies
from .boot import read_boot_options
from .db import Stores
from .features import Feature
from .ids import bound_int_routes
from .paths import DataRoot, resource_dir
from .runtime import Runtime
from .settings import SettingsSource
from .shutdown import register_quiet_shutdown
from .version import read_version
from .web.guards import load_or_create_secret_key, register_security_headers

if TYPE_CHECKING:
    from .tls import TLSFiles

# Registration order is boot order. The identity kernel resolves the session before any
# feature; auth comes first: it guards every later route (sign-in, CSRF, rate limits).
# The stores open before any feature's services, resets run before anything can serve,
# background services start last and stop first. The API docs (quart-schema: validation
# refusals in our error shape, /openapi.json, /api/docs) follow the error pages they
# build on.
FEATURES: tuple[Feature, ...] = (
    auth.FEATURE,
    pages.FEATURE,
    apidocs.FEATURE,
    realtime.FEATURE,
    presence.FEATURE,
    chat.FEATURE,
    previews.FEATURE,
    calls.FEATURE,
    stun.FEATURE,
    housekeeping.FEATURE,
)


def create_app(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    tls: bool | None = None,
) -> Quart:
    """Build a MiniMost app.

    ``data_dir``, ``settings`` (key-by-key overrides) and ``config`` (Quart config, and
    the boot options of :mod:`.boot` by their keys) let tests and tools build an app
    without touching the environment; ``tls`` defaults to provisioning certificates
    unless ``MINIMOST_SKIP_TLS`` is set.
    """
    configure_logging()
    data_root = DataRoot.resolve(data_dir)
    data_root.prepare()
    source = SettingsSource.for_data_root(data_root, settings)
    runtime = Runtime(
        data_root=data_root,
        settings_source=source,
        settings=source.load(),
        version=read_version(),
        stores=Stores.for_data_root(data_root),
        boot=read_boot_options(config, tls=tls),
    )

    resources = resource_dir()
    app = Quart(
        "minimost",
        template_folder=str(resources / "templates"),
        static_folder=str(resources / "static"),
    )
    bound_int_routes(app)
    app.extensions["minimost"] = runtime
    app.config.update(
        SECRET_KEY=load_or_create_secret_key(data_root.secret_key_file),
        MAX_CONTENT_LENGTH=runtime.settings.max_request_bytes,
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(days=1),
    )
    app.config.update(config or {})
    if runtime.boot.tls:
        runtime.tls = provision_tls(data_root.path)
    runtime.audit = AuditLog(
        data_root.audit_log,
        max_size_mb=runtime.settings.audit_log_max_size_mb,
        max_age_days=runtime.settings.audit_log_max_age_days,
        backups=runtime.settings.audit_log_backups,
    )
    register_assets(app, runtime)
    register_security_headers(app)
    settle_request_bodies(app)
    register_quiet_shutdown(app)

    runtime.while_serving("stores", runtime.stores.serving)
    identity.install(app, runtime)
    web.install(app)
    for feature in FEATURES:
        if feature.enabled(runtime.settings):
            feature.register(app, runtime)
        elif feature.when_off is not None:
            feature.when_off(app, runtime)
    app.while_serving(runtime.lifespan)
    app.after_serving(runtime.audit.close)
    return app


def configure_logging() -> None:
    """Show MiniMost's own log lines beside Hypercorn's unless the host app set up logging."""
    logger = logging.getLogger("minimost")
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "%Y-%m-%d %H:%M:%S %z",
        )
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def provision_tls(data_root: Path) -> TLSFiles | None:
    """Create or reuse the local CA and leaf; on failure warn and carry on over HTTP."""
    # Imported here: cryptography adds a tenth to start-up, and behind a TLS proxy it is unused.
    from .tls import TLSError, ensure_certificates

    try:
        return ensure_certificates(data_root)
    except TLSError as error:
        print(
            f"warning: could not provision TLS certificates ({error}). "
            "Calls will not work without HTTPS.",
            file=sys.stderr,
        )
        return None
