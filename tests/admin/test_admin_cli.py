"""``minimost admin grant|revoke|list`` on a real data directory."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result
from quart import Quart

from minimost.cli import cli
from tests.conftest import AppFactory, rows, sign_up
from tests.helpers.original_install import write_original_data_root


def admin_command(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["admin", *args],
        env={"MINIMOST_DATA_DIR": str(data_dir), "MINIMOST_SKIP_TLS": "1"},
    )


async def create_users(app: Quart, *usernames: str) -> None:
    """Sign the users up through the app, then shut it down so the CLI opens the databases."""
    async with app.test_app():
        for username in usernames:
            await sign_up(app, username)


def test_grant_list_and_revoke(make_app: AppFactory, data_dir: Path) -> None:
    asyncio.run(create_users(make_app(), "alice", "bob"))
    listed = admin_command(data_dir, "list")
    assert (listed.exit_code, listed.stdout) == (0, "alice\n")

    granted = admin_command(data_dir, "grant", "BOB")
    assert (granted.exit_code, granted.stdout) == (0, "'bob' is now an admin.\n")
    again = admin_command(data_dir, "grant", "bob")
    assert (again.exit_code, again.stdout) == (0, "'bob' is already an admin.\n")
    assert admin_command(data_dir, "list").stdout == "alice\nbob\n"

    revoked = admin_command(data_dir, "revoke", "alice")
    assert (revoked.exit_code, revoked.stdout) == (0, "'alice' is now a member.\n")
    assert admin_command(data_dir, "list").stdout == "bob\n"
    logged = rows(
        data_dir / "users" / "messages.db",
        "SELECT type, payload FROM events WHERE type = 'user.role_changed' ORDER BY id",
    )
    assert logged == [
        ("user.role_changed", '{"username":"bob","role":"admin"}'),
        ("user.role_changed", '{"username":"alice","role":"member"}'),
    ]
    audit = (data_dir / "audit.log").read_text(encoding="utf-8")
    assert "bob is now an admin" in audit
    assert "alice is now a member" in audit


def test_revoking_the_last_admin_is_refused(make_app: AppFactory, data_dir: Path) -> None:
    asyncio.run(create_users(make_app(), "alice", "bob"))
    refused = admin_command(data_dir, "revoke", "alice")
    assert refused.exit_code == 1
    assert refused.stderr == ("Error: alice is the last admin; make someone else an admin first.\n")
    assert rows(data_dir / "auth.db", "SELECT username FROM roles") == [("alice",)]


def test_unknown_users_are_an_error(make_app: AppFactory, data_dir: Path) -> None:
    asyncio.run(create_users(make_app(), "alice"))
    for change in ("grant", "revoke"):
        result = admin_command(data_dir, change, "nobody")
        assert result.exit_code == 1
        assert result.stderr == "Error: user 'nobody' does not exist\n"


def test_an_upgraded_install_names_its_first_admin(data_dir: Path) -> None:
    write_original_data_root(data_dir)
    empty = admin_command(data_dir, "list")
    assert empty.exit_code == 0
    assert empty.stdout == ""
    assert "minimost admin grant USER" in empty.stderr
    granted = admin_command(data_dir, "grant", "alice")
    assert (granted.exit_code, granted.stdout) == (0, "'alice' is now an admin.\n")
    assert admin_command(data_dir, "list").stdout == "alice\n"
