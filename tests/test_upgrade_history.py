"""Upgrading a 0.0.4 data root: its deleted names stay taken."""

from __future__ import annotations

from pathlib import Path

from quart import Quart

from tests.conftest import GOOD_PASSWORD, AppFactory, browser_for, rows, sign_up
from tests.original_install import write_history_of_deleted_accounts, write_original_data_root


async def sign_up_refusal(app: Quart, username: str) -> str:
    browser = await browser_for(app)
    response = await browser.form(
        "/signup",
        {"username": username, "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
    )
    assert response.status_code == 200, f"{username} was signed up"
    return await response.get_data(as_text=True)


async def test_names_from_older_history_cannot_be_registered_again(
    make_app: AppFactory, data_dir: Path
) -> None:
    write_original_data_root(data_dir)
    write_history_of_deleted_accounts(data_dir)
    auth_db = data_dir / "auth.db"
    accounts_before = rows(auth_db, "SELECT * FROM users ORDER BY username")
    app = make_app()
    async with app.test_app():
        # carol sent messages, Dave is only in a DM's name, erin reacted and joined a
        # private channel, frank has a read position.
        for name in ("carol", "Carol", "dave", "erin", "frank"):
            assert "User already exists" in await sign_up_refusal(app, name)
        assert rows(auth_db, "SELECT COUNT(*) FROM users") == [(2,)]
        await sign_up(app, "grace")

    tombstones = {name for (name,) in rows(auth_db, "SELECT username FROM deleted_usernames")}
    assert tombstones == {"carol", "Dave", "erin", "frank"}, "only names without an account"
    accounts_after = rows(auth_db, "SELECT * FROM users WHERE username != 'grace' ORDER BY 1")
    assert [row[: len(old)] for row, old in zip(accounts_after, accounts_before, strict=True)] == [
        tuple(row) for row in accounts_before
    ]
