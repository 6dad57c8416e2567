"""Hypercorn settings for production, wherever the data root is and whatever the directory.

``hypercorn "minimost:create_app()" --config python:minimost.hypercorn_config`` takes the
shipped ``hypercorn.toml`` and points ``certfile``/``keyfile`` at the data root's
certificate (``MINIMOST_DATA_DIR`` or the default), creating it on first use, so no path
depends on the working directory. With ``MINIMOST_SKIP_TLS`` set it serves plain HTTP.

Hypercorn copies every public name of this module into its config, so the helpers below
are private and the module ends by publishing the settings themselves.
"""

from __future__ import annotations

import tomllib as _tomllib
from typing import Any as _Any


def _settings() -> dict[str, _Any]:
    """The shipped settings with this data root's certificate paths (created if missing)."""
    from .boot import tls_wanted
    from .paths import DataRoot, resource_dir
    from .tls import TLSError, ensure_certificates

    with (resource_dir() / "hypercorn.toml").open("rb") as file:
        values = _tomllib.load(file)
    values.pop("certfile", None)
    values.pop("keyfile", None)
    if not tls_wanted():
        return values
    root = DataRoot.resolve()
    try:
        files = ensure_certificates(root.path)
    except TLSError as error:
        raise SystemExit(
            f"error: cannot serve HTTPS: {error}. Make {root.path} writable (or put your own "
            "cert.pem and key.pem there), or set MINIMOST_SKIP_TLS=1 to serve plain HTTP "
            "behind a TLS proxy."
        ) from error
    values["certfile"], values["keyfile"] = str(files.cert), str(files.key)
    return values


globals().update(_settings())
