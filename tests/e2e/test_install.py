"""A wheel built from the repo installs into a fresh venv and serves pages from anywhere."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.e2e.server import REPO_ROOT, LiveServer


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("minimost-*.whl")
    return built


def test_wheel_carries_templates_static_and_settings(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "minimost/settings.json",
        "minimost/hypercorn.toml",
        "minimost/templates/login.html",
        "minimost/templates/error.html",
        "minimost/static/css/minimost.css",
        "minimost/static/img/favicon.svg",
        "minimost/migrations/messages/0001_original_schema.py",
    ):
        assert required in names, f"{required} missing from the wheel"


class InstalledServer(LiveServer):
    """``minimost`` from an installed venv, started in a directory unrelated to the repo."""

    def __init__(self, venv_dir: Path, home: Path) -> None:
        super().__init__(home / ".local" / "share" / "minimost", tls=False)
        self.venv_dir = venv_dir
        self.home = home
        self.socket.close()  # the CLI binds the port itself

    def command(self) -> list[str]:
        return [
            str(self.venv_dir / "bin" / "minimost"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]

    def environment(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "PATH": "/usr/bin:/bin",
            "MINIMOST_SKIP_TLS": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def working_dir(self) -> Path:
        return self.home


def test_non_editable_install_serves_the_login_page(wheel: Path, tmp_path: Path) -> None:
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(venv_dir)
    subprocess.run(
        [str(venv_dir / "bin" / "pip"), "install", "--quiet", str(REPO_ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    site = subprocess.run(
        [str(venv_dir / "bin" / "python"), "-c", "import minimost, sys; print(minimost.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert str(venv_dir) in site, "imported from the venv, not the checkout"

    home = tmp_path / "home"
    home.mkdir()
    server = InstalledServer(venv_dir, home)
    server.start(timeout=60)
    try:
        with urllib.request.urlopen(f"{server.url}/login", timeout=10) as response:
            assert response.status == 200
            page = response.read().decode()
        assert "Sign in" in page
        stylesheet = re.search(r'href="(/static/css/minimost\.css\?v=[0-9a-f]{12})"', page)
        assert stylesheet, "the page links its stylesheet with a content hash"
        with urllib.request.urlopen(f"{server.url}{stylesheet.group(1)}", timeout=10) as css:
            assert css.status == 200
            assert b"--mm-" in css.read()
        process = server.process
        assert process is not None
        elapsed = server.stop(signal.SIGINT)  # Ctrl-C in the admin's terminal
        assert elapsed < 5, f"Ctrl-C took {elapsed:.1f} s"
        assert process.returncode == 0, server.log()
        assert "Traceback" not in server.log()
    finally:
        server.close()
    data_root = home / ".local" / "share" / "minimost"
    assert (data_root / "secret.key").is_file(), "an installed package keeps data in ~/.local"
    assert (data_root / "users" / "messages.db").is_file()
