"""The installable app: web manifest, service worker and the page it shows offline.

The service worker is rendered per request from ``templates/sw.js`` with the list of
static files and their content hashes, so its bytes (and its cache name) change exactly
when an asset changes: the browser then installs the new worker, which fills a new cache
and drops the old one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from quart import Blueprint, Quart, Response, current_app, render_template

from ..assets import AssetHashes
from ..web.guards import public

MANIFEST_TYPE = "application/manifest+json"
SCRIPT_TYPE = "text/javascript; charset=utf-8"
SHELL_SUFFIXES = frozenset({".css", ".js", ".svg", ".png", ".webp", ".ico", ".woff2"})
OFFLINE_PATH = "/offline"
THEME_COLOR = "#0e1217"  # the dark theme's page background (static/css/minimost.css)


def manifest() -> dict[str, object]:
    icons = [
        {
            "src": f"/static/img/icon-{size}.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ]
    return {
        "name": "MiniMost",
        "short_name": "MiniMost",
        "description": "Team chat for your own network.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": THEME_COLOR,
        "icons": icons,
    }


class AppShell:
    """The static files the service worker keeps for a fast, offline-capable start."""

    def __init__(self, static_folder: Path) -> None:
        self.root = static_folder.resolve()
        self.hashes = AssetHashes(self.root)

    def files(self) -> list[tuple[str, str]]:
        """``(url, content hash)`` of every shell file, in a stable order."""
        found = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.suffix in SHELL_SUFFIXES:
                relative = path.relative_to(self.root).as_posix()
                found.append((f"/static/{relative}", self.hashes.token(relative)))
        return found

    def version(self, files: list[tuple[str, str]]) -> str:
        digest = hashlib.sha256(json.dumps(files).encode()).hexdigest()
        return digest[:16]


blueprint = Blueprint("pwa", __name__)
# Where each app keeps the shell of its own static folder.
SHELL_EXTENSION = "minimost_app_shell"


def _shell() -> AppShell:
    return current_app.extensions[SHELL_EXTENSION]


@blueprint.get("/manifest.webmanifest")
@public
async def web_manifest() -> Response:
    response = Response(json.dumps(manifest()), mimetype=MANIFEST_TYPE)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/sw.js")
@public
async def service_worker() -> Response:
    """Served from the root so its scope is the whole app."""
    shell = _shell()
    files = shell.files()
    body = await render_template(
        "sw.js",
        cache_version=shell.version(files),
        shell=[{"url": url, "hash": token} for url, token in files],
        offline_path=OFFLINE_PATH,
    )
    response = Response(body, content_type=SCRIPT_TYPE)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get(OFFLINE_PATH)
@public
async def offline_page() -> str:
    return await render_template("offline.html")


def register_pwa(app: Quart) -> None:
    assert app.static_folder is not None
    app.extensions[SHELL_EXTENSION] = AppShell(Path(app.static_folder))
    app.register_blueprint(blueprint)
