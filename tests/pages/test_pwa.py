"""The installable app: manifest, service worker and offline page, served from the root."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from quart import Quart

from minimost.pages.pwa import AppShell
from tests.conftest import browser_for, sign_up

STATIC = Path(__file__).resolve().parents[2] / "static"


def cache_name(script: str) -> str:
    found = re.search(r'const CACHE = CACHE_PREFIX \+ "([0-9a-f]{16})";', script)
    assert found, script[:500]
    return found.group(1)


async def test_manifest_describes_an_installable_app(app: Quart) -> None:
    visitor = await browser_for(app)

    response = await visitor.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = await response.get_json(force=True)
    assert manifest["name"] == "MiniMost"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert icon["purpose"] == "any maskable"
        assert icon["type"] == "image/png"
        served = await visitor.get(icon["src"])
        assert served.status_code == 200
        picture = Image.open(io.BytesIO(await served.get_data()))
        assert f"{picture.width}x{picture.height}" == icon["sizes"]


async def test_pages_link_the_manifest(app: Quart) -> None:
    visitor = await browser_for(app)

    page = await (await visitor.get("/login")).get_data(as_text=True)

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


async def test_service_worker_is_a_script_at_the_root_listing_the_app_shell(app: Quart) -> None:
    visitor = await browser_for(app)

    response = await visitor.get("/sw.js")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    script = await response.get_data(as_text=True)
    for asset in ("css/minimost.css", "js/api.js", "img/icon-192.png", "img/favicon.svg"):
        assert f'"/static/{asset}"' in script
    assert '"/offline"' in script


async def test_service_worker_cache_is_named_after_the_static_files(app: Quart) -> None:
    visitor = await browser_for(app)
    shell = AppShell(STATIC)

    script = await (await visitor.get("/sw.js")).get_data(as_text=True)

    assert cache_name(script) == shell.version(shell.files())


def test_cache_name_changes_exactly_when_an_asset_changes(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    style = tmp_path / "css" / "app.css"
    style.write_text("body { color: red; }")
    (tmp_path / "notes.txt").write_text("not part of the shell")
    shell = AppShell(tmp_path)
    first = shell.version(shell.files())
    assert [url for url, _ in shell.files()] == ["/static/css/app.css"]

    assert shell.version(shell.files()) == first
    style.write_text("body { color: blue; }")
    changed = shell.version(shell.files())
    assert changed != first
    (tmp_path / "app.js").write_text("export {};")
    assert shell.version(shell.files()) not in (first, changed)


async def test_offline_page_is_public_and_points_home(app: Quart) -> None:
    visitor = await browser_for(app)

    response = await visitor.get("/offline")

    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    assert "You're offline" in page
    assert 'href="/"' in page


async def test_signed_in_users_get_the_same_files(app: Quart) -> None:
    alice = await sign_up(app)

    assert (await alice.get("/sw.js")).status_code == 200
    assert (await alice.get("/manifest.webmanifest")).status_code == 200
