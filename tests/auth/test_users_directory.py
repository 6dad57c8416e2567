"""The user directory the chat client's pickers and member lists read."""

from __future__ import annotations

from quart import Quart

from tests.conftest import GOOD_PASSWORD, browser_for, sign_up


async def test_directory_lists_everyone_with_their_public_profile(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    await alice.api("PATCH", "/api/account", json={"name_color": "#3a7bf0", "bio": "Firmware."})

    response = await alice.api("GET", "/api/users")

    assert response.status_code == 200
    users = (await response.get_json())["users"]
    assert users == [
        {
            "username": "alice",
            "name_color": "#3a7bf0",
            "bio": "Firmware.",
            "avatar_url": None,
            "role": "admin",
        },
        {"username": "bob", "name_color": None, "bio": None, "avatar_url": None, "role": "member"},
    ]


async def test_deleted_accounts_leave_the_directory(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    deleted = await bob.api(
        "POST", "/api/account/delete", json={"mode": "soft", "password": GOOD_PASSWORD}
    )
    assert deleted.status_code == 200

    users = (await (await alice.api("GET", "/api/users")).get_json())["users"]

    assert [user["username"] for user in users] == ["alice"]


async def test_directory_needs_a_signed_in_user(app: Quart) -> None:
    anonymous = await browser_for(app)

    response = await anonymous.api("GET", "/api/users")

    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"
