"""Fixtures: every test gets its own data root and builds its app through create_app()."""

from __future__ import annotations

import inspect
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart, Response
from quart.testing import QuartClient

from minimost import create_app

AppFactory = Callable[..., Quart]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the live-server tests and run them last, after the fast in-process ones."""
    for item in items:
        if "e2e" in item.path.parts:
            if inspect.iscoroutinefunction(getattr(item, "function", None)):
                raise pytest.UsageError(
                    f"{item.nodeid}: tests/e2e runs sync Playwright on the main thread's loop; "
                    "async tests go in another folder (tests/reliability/, for one)"
                )
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: "e2e" in item.path.parts)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A developer's own MINIMOST_* variables must never leak into a test; every app a
    test builds holds its JSON answers to their documented models."""
    for name in (
        "MINIMOST_DATA_DIR",
        "MINIMOST_SETTINGS",
        "MINIMOST_SKIP_TLS",
        "MINIMOST_SKIP_CLEANUP",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINIMOST_CHECK_ANSWERS", "1")
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


GOOD_PASSWORD = "Correct-Horse-Battery-9"
CSRF_FIELD = re.compile(
    r'name="csrf_token" value="([0-9a-f]{64})"|name="csrf-token" content="([0-9a-f]{64})"'
)


async def csrf_token_of(client: QuartClient) -> str:
    """The CSRF token as a browser gets it: from the page it is on (sign-in or home)."""
    response = await client.get("/login")
    if response.status_code == 302:
        response = await client.get(response.headers["Location"])
    found = CSRF_FIELD.search(await response.get_data(as_text=True))
    assert found, "the page carries a CSRF token"
    return found.group(1) or found.group(2)


PEER = {"client": ("127.0.0.1", 50123)}


class UserClient:
    """A test client that behaves like a browser tab: cookie jar plus CSRF token.

    Requests come from 127.0.0.1 like a real peer (Quart's test client says "<local>").
    """

    def __init__(self, client: QuartClient, token: str, username: str | None = None) -> None:
        self.client = client
        self.token = token
        self.username = username

    async def form(self, path: str, data: dict[str, str], **kwargs: Any) -> Response:
        return await self.client.post(
            path, form={**data, "csrf_token": self.token}, scope_base=PEER, **kwargs
        )

    async def api(self, method: str, path: str, **kwargs: Any) -> Response:
        headers = {"X-CSRF-Token": self.token, "Accept": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        return await self.client.open(
            path, method=method, headers=headers, scope_base=PEER, **kwargs
        )

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.client.get(path, scope_base=PEER, **kwargs)


async def browser_for(app: Quart) -> UserClient:
    client = app.test_client()
    return UserClient(client, await csrf_token_of(client))


async def sign_up(app: Quart, username: str = "alice", password: str = GOOD_PASSWORD) -> UserClient:
    """A new account made through the real sign-up form, signed in."""
    user = await browser_for(app)
    response = await user.form(
        "/signup", {"username": username, "password": password, "confirm_password": password}
    )
    assert response.status_code == 302, await response.get_data(as_text=True)
    assert response.headers["Location"] == "/"
    user.username = username
    user.token = await csrf_token_of(user.client)
    return user


def rows(database: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read a database file directly, as an admin with the sqlite3 shell would."""
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def execute(database: Path, sql: str, params: tuple = ()) -> int:
    """Change a database file directly (to set up a state); return the last row id."""
    connection = sqlite3.connect(database)
    try:
        with connection:
            cursor = connection.execute(sql, params)
        return cursor.lastrowid or 0
    finally:
        connection.close()
