"""Boot options: the knobs fixed when an app is built, read from config and environment once.

Features read :class:`BootOptions` on the runtime, never ``app.config`` or ``os.environ``,
so every default lives here and tests override a knob by passing its config key to
``create_app(config=...)`` (``WS_HEARTBEAT_SECONDS``, ``HOUSEKEEPING``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

SKIP_TLS = "MINIMOST_SKIP_TLS"
SKIP_CLEANUP = "MINIMOST_SKIP_CLEANUP"
CHECK_ANSWERS = "MINIMOST_CHECK_ANSWERS"


@dataclass(frozen=True)
class BootOptions:
    """Each field's config key is its name in capitals (``ws_queue_size``: ``WS_QUEUE_SIZE``)."""

    tls: bool = True
    housekeeping: bool = True
    check_answers: bool = False
    # The host the ``minimost`` command binds HTTP on (None: not known, as under ``hypercorn``).
    serving_host: str | None = None
    ws_queue_size: int = 512
    ws_heartbeat_seconds: float = 25.0
    presence_grace_seconds: float = 5.0
    call_ring_seconds: float = 30.0
    call_stale_seconds: float = 30.0
    housekeeping_first_run_seconds: float = 5.0
    housekeeping_interval_hours: float = 24.0
    housekeeping_retry_seconds: float = 300.0


def tls_wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """HTTPS unless the admin serves plain HTTP behind a TLS proxy."""
    return not environ.get(SKIP_TLS)


def read_boot_options(
    config: Mapping[str, Any] | None = None,
    *,
    tls: bool | None = None,
    environ: Mapping[str, str] = os.environ,
) -> BootOptions:
    """The environment's choices (and ``tls``), each overridden by its key in ``config``."""
    chosen: dict[str, Any] = {
        "tls": tls if tls is not None else tls_wanted(environ),
        "housekeeping": not environ.get(SKIP_CLEANUP),
        "check_answers": bool(environ.get(CHECK_ANSWERS)),
    }
    config = config or {}
    for option in fields(BootOptions):
        key = option.name.upper()
        if key in config:
            chosen[option.name] = _CONVERT[option.type](config[key])
    return BootOptions(**chosen)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


_CONVERT: dict[Any, Callable[[Any], Any]] = {
    "bool": bool,
    "int": int,
    "float": float,
    "str | None": _optional_str,
}
