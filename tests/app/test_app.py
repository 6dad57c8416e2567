"""The app factory: data root, secret key, version, pages, errors and the CLI."""

from __future__ import annotations

import hashlib
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from quart import Quart, request

from minimost import create_app
from minimost.cli import cli
from minimost.paths import resource_dir
from minimost.runtime import get_runtime
from minimost.settings import FORM_ALLOWANCE_BYTES
from minimost.version import read_version
from minimost.web.guards import public
from tests.conftest import AppFactory, browser_for


def test_data_root_from_environment_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "deep" / "er"
    monkeypatch.setenv("MINIMOST_DATA_DIR", str(root))
    app = create_app(tls=False)
    assert get_runtime(app).data_root.path == root.resolve()
    for name in ("users", "uploads", "avatars"):
        assert (root / name).is_dir()


def test_secret_key_is_created_once_and_reused(make_app: AppFactory, data_dir: Path) -> None:
    first = make_app()
    key_file = data_dir / "secret.key"
    key = key_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key
    assert make_app().config["SECRET_KEY"] == key


def test_existing_secret_key_from_an_old_install_is_kept(
    make_app: AppFactory, data_dir: Path
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "secret.key").write_text("a" * 64 + "\n")
    assert make_app().config["SECRET_KEY"] == "a" * 64


def test_version_comes_from_installed_metadata() -> None:
    from importlib import metadata

    assert read_version() == metadata.version("minimost")


def test_version_falls_back_to_pyproject_then_unknown(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\nversion = "9.8.7"\n')
    assert read_version(distribution="no-such-dist-xyz", pyproject=pyproject) == "9.8.7"
    assert read_version(distribution="no-such-dist-xyz", pyproject=tmp_path / "none") == "unknown"
    pyproject.write_text("not toml [")
    assert read_version(distribution="no-such-dist-xyz", pyproject=pyproject) == "unknown"


async def test_login_page_renders_with_the_version(app: Quart) -> None:
    response = await app.test_client().get("/login")
    assert response.status_code == 200
    body = await response.get_data(as_text=True)
    assert "<h1" in body
    assert "Sign in" in body
    assert f"MiniMost {get_runtime(app).version}" in body


async def test_about_page_shows_version_and_ca_only_with_tls(make_app: AppFactory) -> None:
    plain = make_app()
    async with plain.test_app():
        body = await (await plain.test_client().get("/about")).get_data(as_text=True)
        assert get_runtime(plain).version in body
        assert 'href="/ca.pem"' not in body
        assert (await plain.test_client().get("/ca.pem")).status_code == 404

    secured = make_app(tls=True)
    async with secured.test_app():
        client = secured.test_client()
        body = await (await client.get("/about")).get_data(as_text=True)
        assert 'href="/ca.pem"' in body
        response = await client.get("/ca.pem")
        assert response.status_code == 200
        assert response.mimetype == "application/x-pem-file"
        assert "minimost-ca.pem" in response.headers["Content-Disposition"]
        assert (await response.get_data()).startswith(b"-----BEGIN CERTIFICATE-----")


async def test_static_urls_carry_a_content_hash(app: Quart) -> None:
    body = await (await app.test_client().get("/login")).get_data(as_text=True)
    css = resource_dir() / "static" / "css" / "minimost.css"
    expected = hashlib.sha256(css.read_bytes()).hexdigest()[:12]
    assert f"/static/css/minimost.css?v={expected}" in body
    response = await app.test_client().get(f"/static/css/minimost.css?v={expected}")
    assert response.status_code == 200
    assert "max-age=86400" in response.headers["Cache-Control"]


async def test_unknown_page_gets_the_generic_404_page(app: Quart) -> None:
    response = await app.test_client().get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = await response.get_data(as_text=True)
    assert "The requested resource was not found." in body
    assert "/no/such/page" not in body


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"X-Requested-With": "XMLHttpRequest"},
    ],
)
async def test_errors_are_json_when_the_client_asks(app: Quart, headers: dict) -> None:
    response = await app.test_client().get("/no/such/page", headers=headers)
    assert response.status_code == 404
    assert await response.get_json() == {
        "error": {"code": "not_found", "message": "The requested resource was not found."}
    }


async def test_api_paths_always_get_json_errors(app: Quart) -> None:
    response = await app.test_client().get("/api/nothing-here")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


async def test_wrong_method_gets_405_with_allow(app: Quart) -> None:
    response = await app.test_client().delete("/login", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert (await response.get_json())["error"]["message"] == "Method not allowed."


async def test_oversized_request_gets_413(make_app: AppFactory) -> None:
    app = make_app(max_upload_size_mb=1)

    @app.post("/echo-size")
    @public
    async def echo_size() -> str:
        return str(len(await request.get_data()))

    cap = 5 * 1024 * 1024 + FORM_ALLOWANCE_BYTES  # the avatar limit, 5 MB, is the larger
    async with app.test_app():
        user = await browser_for(app)
        fits = await user.api("POST", "/echo-size", data=b"x" * cap)
        response = await user.api("POST", "/echo-size", data=b"x" * (cap + 1))
    assert fits.status_code == 200
    assert await fits.get_data(as_text=True) == str(cap)
    assert response.status_code == 413
    assert (await response.get_json())["error"]["message"] == "The request is too large."


async def test_unexpected_error_gets_generic_500_without_details(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/boom")
    @public
    async def boom() -> str:
        raise RuntimeError("secret internal detail")

    async with app.test_app():
        html = await app.test_client().get("/boom")
        as_json = await app.test_client().get("/boom", headers={"Accept": "application/json"})
    assert html.status_code == 500
    body = await html.get_data(as_text=True)
    assert "An internal error occurred. Please try again later." in body
    assert "secret internal detail" not in body
    assert (await as_json.get_json())["error"]["code"] == "internal_error"
    assert "secret internal detail" in caplog.text, "the traceback is logged server-side"


async def test_head_is_answered_for_pages(app: Quart) -> None:
    response = await app.test_client().head("/login")
    assert response.status_code == 200


def test_routes_command_prints_the_url_map(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["routes"], env={"MINIMOST_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Methods", "Path", "Endpoint"]
    assert any(line.split() == ["GET", "/login", "auth.login_page"] for line in lines)
    assert any(line.split() == ["GET", "/ca.pem", "pages.ca_certificate"] for line in lines)


def test_cli_reports_an_invalid_setting_cleanly(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"stun_port": -1}')
    result = CliRunner().invoke(cli, ["routes"], env={"MINIMOST_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert 'setting "stun_port"' in result.output
    assert "Traceback" not in result.output


def test_building_an_app_without_tls_loads_no_client_or_certificate_library(
    tmp_path: Path,
) -> None:
    """cryptography, aioice and aiohttp are heavy imports that only some servers ever use."""
    script = (
        "import sys\n"
        "from minimost import create_app\n"
        f"create_app(data_dir={str(tmp_path)!r}, tls=False)\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted({'cryptography', 'aioice', 'aiohttp'} & loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
