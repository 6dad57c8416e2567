"""Roles: the first account of a fresh install is the admin; the last admin stays."""

from __future__ import annotations

import asyncio
from pathlib import Path

from quart import Quart

from tests.conftest import GOOD_PASSWORD, AppFactory, browser_for, rows, sign_up
from tests.helpers.original_install import write_original_data_root

LAST_ADMIN = "alice is the last admin; make someone else an admin first."


async def role_of(app: Quart, username: str) -> str:
    user = await browser_for(app)
    signed_in = await user.form("/login", {"username": username, "password": GOOD_PASSWORD})
    assert signed_in.status_code == 302
    return (await (await user.api("GET", "/api/account")).get_json())["role"]


async def test_the_first_account_is_an_admin_and_the_next_a_member(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    assert (await (await alice.api("GET", "/api/account")).get_json())["role"] == "admin"
    assert (await (await bob.api("GET", "/api/account")).get_json())["role"] == "member"
    directory = (await (await bob.api("GET", "/api/users")).get_json())["users"]
    assert [(entry["username"], entry["role"]) for entry in directory] == [
        ("alice", "admin"),
        ("bob", "member"),
    ]


async def test_a_profile_change_answers_with_the_role(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    changed = await alice.api("PATCH", "/api/account", json={"bio": "Runs the server."})
    assert changed.status_code == 200
    assert (await changed.get_json())["role"] == "admin"


async def test_first_sign_ups_racing_make_exactly_one_admin(app: Quart, data_dir: Path) -> None:
    names = [f"racer{number}" for number in range(6)]
    browsers = [await browser_for(app) for _ in names]
    answers = await asyncio.gather(
        *(
            browser.form(
                "/signup",
                {"username": name, "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
            )
            for browser, name in zip(browsers, names, strict=True)
        )
    )
    assert [answer.status_code for answer in answers] == [302] * len(names)
    roles = [await role_of(app, name) for name in names]
    assert sorted(roles) == ["admin"] + ["member"] * (len(names) - 1)
    assert len(rows(data_dir / "auth.db", "SELECT username FROM roles")) == 1


async def test_an_upgraded_install_with_accounts_gets_no_admin(
    make_app: AppFactory, data_dir: Path
) -> None:
    write_original_data_root(data_dir)
    app = make_app()
    async with app.test_app():
        carol = await sign_up(app, "carol")
        assert (await (await carol.api("GET", "/api/account")).get_json())["role"] == "member"
    assert rows(data_dir / "auth.db", "SELECT username FROM roles") == []


async def test_the_last_admin_cannot_delete_their_account(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    deletion = {"mode": "soft", "password": GOOD_PASSWORD}
    refused = await alice.api("POST", "/api/account/delete", json=deletion)
    assert refused.status_code == 409
    assert await refused.get_json() == {"error": {"code": "conflict", "message": LAST_ADMIN}}
    assert (await alice.api("GET", "/api/account")).status_code == 200
    assert rows(data_dir / "auth.db", "SELECT username FROM users WHERE username = 'alice'")


async def test_a_member_and_a_second_admin_can_delete_their_accounts(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    deletion = {"mode": "soft", "password": GOOD_PASSWORD}
    assert (await bob.api("POST", "/api/account/delete", json=deletion)).status_code == 200
    carol = await sign_up(app, "carol")
    assert (await alice.api("PUT", "/api/admin/people/carol/admin")).status_code == 200
    assert (await alice.api("POST", "/api/account/delete", json=deletion)).status_code == 200
    assert (await (await carol.api("GET", "/api/account")).get_json())["role"] == "admin"
    assert rows(data_dir / "auth.db", "SELECT username FROM roles") == [("carol",)]
