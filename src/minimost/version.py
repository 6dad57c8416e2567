"""The version shown in every page footer and in the STUN SOFTWARE attribute."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from .paths import CHECKOUT_ROOT


def read_version(
    *, distribution: str = "minimost", pyproject: Path = CHECKOUT_ROOT / "pyproject.toml"
) -> str:
    """Installed metadata, else the checkout's ``pyproject.toml``, else ``"unknown"``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        pass
    try:
        with pyproject.open("rb") as handle:
            version = tomllib.load(handle)["project"]["version"]
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return "unknown"
    return version if isinstance(version, str) and version else "unknown"
