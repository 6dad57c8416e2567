"""Housekeeping on a real data root: files of a given size and age, the app's housekeeper."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from quart import Quart

from minimost.app import create_app
from minimost.housekeeping import Housekeeper
from minimost.runtime import get_runtime


def make_file(directory: Path, name: str, *, size: int = 100, age_seconds: float = 0.0) -> Path:
    path = directory / name
    path.write_bytes(b"x" * size)
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


def names(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


def app_with(tmp_path: Path, settings: dict[str, Any], config: dict[str, Any]) -> Quart:
    return create_app(
        data_dir=tmp_path, settings={"stun_enabled": False, **settings}, config=config, tls=False
    )


def housekeeper_of(app: Quart) -> Housekeeper:
    housekeeper = get_runtime(app).services.housekeeping
    assert isinstance(housekeeper, Housekeeper)
    return housekeeper
