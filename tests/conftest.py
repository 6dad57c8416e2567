"""Fixtures: every test gets its own data root and builds its app through create_app()."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from minimost import create_app

AppFactory = Callable[..., Quart]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the live-server tests and run them last, after the fast in-process ones."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: "e2e" in item.path.parts)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A developer's own MINIMOST_* variables must never leak into a test."""
    for name in (
        "MINIMOST_DATA_DIR",
        "MINIMOST_SETTINGS",
        "MINIMOST_SKIP_TLS",
        "MINIMOST_SKIP_CLEANUP",
    ):
        monkeypatch.delenv(name, raising=False)
    return


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_app(data_dir: Path) -> AppFactory:
    """Build an app on the test's data root; keyword arguments override settings."""

    def factory(
        *, config: dict[str, Any] | None = None, tls: bool = False, **settings: Any
    ) -> Quart:
        return create_app(
            data_dir=data_dir,
            settings={"stun_port": 0, **settings},
            config={"HOUSEKEEPING": False, **(config or {})},
            tls=tls,
        )

    return factory


@pytest.fixture
async def app(make_app: AppFactory) -> AsyncIterator[Quart]:
    """A started app (stores open, startup work done), shut down after the test."""
    application = make_app()
    async with application.test_app():
        yield application
