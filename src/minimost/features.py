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
    name: str
    register: Callable[[Quart, Runtime], None]
    enabled: Callable[[Settings], bool] = always
