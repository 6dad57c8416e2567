"""The ``minimost`` command: serve the app, and the admin's tools."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Coroutine
from typing import Any

import click
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from quart import Quart

from .app import create_app
from .paths import resource_dir
from .runtime import get_runtime
from .settings import SettingsError


class MinimostGroup(click.Group):
    """Built-in commands plus those features register on ``app.cli``."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return _load_app(ctx).cli.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        with contextlib.suppress(click.ClickException):
            names.update(_load_app(ctx).cli.list_commands(ctx))
        return sorted(names)


def _load_app(ctx: click.Context) -> Quart:
    root = ctx.find_root()
    if "app" not in root.meta:
        try:
            root.meta["app"] = create_app(tls=False)
        except SettingsError as error:
            raise click.ClickException(str(error)) from error
    return root.meta["app"]


@click.group(
    cls=MinimostGroup,
    invoke_without_command=True,
    epilog=(
        "Admin: minimost reset-password USER [--expires MINUTES] [--base-url URL]; "
        "minimost admin grant|revoke USER; minimost admin list"
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="TCP port.")
@click.pass_context
def cli(ctx: click.Context, host: str, port: int) -> None:
    """Run the MiniMost server (HTTPS unless MINIMOST_SKIP_TLS is set)."""
    if ctx.invoked_subcommand is None:
        serve(host, port)


@cli.command("routes")
@click.pass_context
def routes(ctx: click.Context) -> None:
    """Print the URL map: methods, path and endpoint of every route."""
    app = _load_app(ctx)
    rows = sorted(
        (rule.rule, ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})), rule.endpoint)
        for rule in app.url_map.iter_rules()
    )
    width = max(len(methods) for _, methods, _ in rows)
    path_width = max(len(path) for path, _, _ in rows)
    click.echo(f"{'Methods':<{width}}  {'Path':<{path_width}}  Endpoint")
    for path, methods, endpoint in rows:
        click.echo(f"{methods:<{width}}  {path:<{path_width}}  {endpoint}")


def serve(host: str, port: int) -> None:
    """Serve under Hypercorn on one event loop until Ctrl-C or SIGTERM."""
    try:
        # The STUN server listens on the same host unless the stun_host setting says otherwise.
        app = create_app(config={"SERVING_HOST": host})
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    runtime = get_runtime(app)
    config = HypercornConfig.from_toml(resource_dir() / "hypercorn.toml")
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.certfile = config.keyfile = None
    if runtime.tls is not None:
        config.certfile, config.keyfile = str(runtime.tls.cert), str(runtime.tls.key)
    scheme = "https" if runtime.tls else "http"
    click.echo(
        f"MiniMost {runtime.version} on {scheme}://{host}:{port} "
        f"(data in {runtime.data_root.path})",
        err=True,
    )
    _run(hypercorn_serve(app, config, mode="asgi"))


def _run(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def main() -> None:
    try:
        cli.main(prog_name="minimost")
    except KeyboardInterrupt:
        sys.exit(130)
