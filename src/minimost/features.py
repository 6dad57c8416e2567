"""Each feature registers itself (blueprints, template globals, services, commands)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quart import Quart

from .runtime import Runtime
from .settings import Settings


def always(_settings: Settings) -> bool:
    return True


@dataclass(frozen=True)
class Feature:
    """``when_off`` runs instead of ``register`` for a switched-off feature, to refuse clearly."""

    name: str
    register: Callable[[Quart, Runtime], None]
    enabled: Callable[[Settings], bool] = always
    when_off: Callable[[Quart, Runtime], None] | None = None
