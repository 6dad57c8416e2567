"""Chat over the JSON API: send and page messages, private channels, reactions, search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quart import Quart

from tests.conftest import UserClient


async def send(user: UserClient, channel: str, content: str, **extra: Any) -> Any:
    return await user.api(
        "POST", f"/api/channels/{channel}/messages", json={"content": content, **extra}
    )


async def sent(user: UserClient, channel: str, content: str, **extra: Any) -> dict[str, Any]:
    response = await send(user, channel, content, **extra)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["message"]


async def page(user: UserClient, channel: str, query: str = "") -> list[dict[str, Any]]:
    response = await user.api("GET", f"/api/channels/{channel}/messages{query}")
    assert response.status_code == 200
    return (await response.get_json())["messages"]


async def create(user: UserClient, name: str, members: list[str]) -> Any:
    return await user.api("POST", "/api/private-channels", json={"name": name, "members": members})


async def created(user: UserClient, name: str, members: list[str]) -> dict[str, Any]:
    response = await create(user, name, members)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["channel"]


async def search(user: UserClient, query: str) -> list[dict[str, Any]]:
    response = await user.api("GET", f"/api/search?{query}")
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["results"]


async def texts(user: UserClient, query: str) -> list[str]:
    return [result["content"] for result in await search(user, query)]


def messages_db(app: Quart) -> Path:
    return app.extensions["minimost"].data_root.path / "users" / "messages.db"


async def react(user: UserClient, message_id: int, name: str, *, on: bool = True) -> Any:
    method = "PUT" if on else "DELETE"
    return await user.api(method, f"/api/messages/{message_id}/reactions/{name}")
