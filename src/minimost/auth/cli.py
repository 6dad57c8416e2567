"""An admin's commands: ``minimost reset-password USER`` and ``minimost admin …``."""

from __future__ import annotations

import asyncio

import click
from quart import Quart

from ..boot import tls_wanted
from ..runtime import Runtime, get_runtime
from . import actions, roles

SERVED_URL_FILE = "served-url"


def default_base_url(runtime: Runtime) -> str:
    """Where users reach this server: as last seen by the server, else the CLI default."""
    try:
        recorded = (runtime.data_root.path / SERVED_URL_FILE).read_text().strip()
    except OSError:
        recorded = ""
    if recorded:
        return recorded
    tls = tls_wanted() and (runtime.data_root.path / "cert.pem").exists()
    return f"{'https' if tls else 'http'}://127.0.0.1:5000"


def register_commands(app: Quart) -> None:
    register_admin_commands(app)

    @app.cli.command("reset-password")
    @click.argument("username")
    @click.option(
        "--expires",
        default=60,
        show_default=True,
        type=click.IntRange(min=1),
        help="Minutes until the link expires.",
    )
    @click.option(
        "--base-url",
        default=None,
        help="Address users open MiniMost at (default: where it was last served).",
    )
    def reset_password(username: str, expires: int, base_url: str | None) -> None:
        """Print a one-time link that lets USER choose a new password."""
        runtime = get_runtime(app)

        async def create() -> actions.ResetLink:
            async with runtime.stores.serving():
                return await actions.create_reset_link(runtime, username, expires)

        try:
            link = asyncio.run(create())
        except actions.AccountError as error:
            click.echo(f"Error: {error}", err=True)
            raise SystemExit(1) from error
        base = (base_url or default_base_url(runtime)).rstrip("/")
        unit = "minute" if expires == 1 else "minutes"
        click.echo(f"Password reset URL for '{link.username}' (expires in {expires} {unit}):")
        click.echo(f"{base}/reset-password/{link.token}")


def register_admin_commands(app: Quart) -> None:
    @app.cli.group("admin")
    def admin() -> None:
        """Who administers this server: grant, revoke, list."""

    def run_action(change: str, username: str) -> tuple[str, bool]:
        runtime = get_runtime(app)
        action = roles.grant_admin if change == "grant" else roles.revoke_admin

        async def run() -> tuple[str, bool]:
            async with app.app_context(), runtime.stores.serving():
                return await action(runtime, username)

        try:
            return asyncio.run(run())
        except actions.AccountError as error:
            click.echo(f"Error: {error}", err=True)
            raise SystemExit(1) from error
        finally:
            if runtime.audit is not None:
                runtime.audit.close()

    @admin.command("grant")
    @click.argument("username")
    def grant(username: str) -> None:
        """Make USER an admin."""
        name, changed = run_action("grant", username)
        click.echo(f"'{name}' is now an admin." if changed else f"'{name}' is already an admin.")

    @admin.command("revoke")
    @click.argument("username")
    def revoke(username: str) -> None:
        """Make USER a member again (refused for the last admin)."""
        name, changed = run_action("revoke", username)
        click.echo(f"'{name}' is now a member." if changed else f"'{name}' was not an admin.")

    @admin.command("list")
    def list_admins() -> None:
        """Print the admins, one per line."""
        runtime = get_runtime(app)

        async def names() -> list[str]:
            async with runtime.stores.serving():
                return await roles.admin_names(runtime)

        found = asyncio.run(names())
        if not found:
            click.echo("No admins yet; make one with: minimost admin grant USER", err=True)
        for name in found:
            click.echo(name)
