"""The README's serving commands, run as written: the quick start and production."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from tests.e2e.server import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
READY = re.compile(r"Running on https://")
START_TIMEOUT = 180.0  # a first .ci/serve may still install into .venv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


def quick_start_commands() -> list[str]:
    """Every ``./.ci/serve ...`` the quick start shows, comments dropped."""
    found = re.findall(r"\./\.ci/serve[^`\n#]*", section("Quick start"))
    return sorted({command.strip() for command in found})


def with_port(command: str, port: int) -> list[str]:
    """The command with its ``--port`` value (or an added one) set to ``port``."""
    words = shlex.split(command)
    if "--port" in words:
        words[words.index("--port") + 1] = str(port)
        return words
    return [*words, "--port", str(port)]


def environment(data_dir: Path) -> dict[str, str]:
    settings = data_dir.parent / "settings.json"
    settings.write_text(json.dumps({"stun_port": 0}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINIMOST_")}
    env.update(MINIMOST_DATA_DIR=str(data_dir), MINIMOST_SETTINGS=str(settings))
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Served:
    """A command that serves until SIGTERM; its output collected by a thread."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.output: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                self.output.append(line)
                if READY.search(line):
                    self.ready.set()
        finally:
            self.ready.set()

    def log(self) -> str:
        return "".join(self.output)

    def wait_ready(self) -> None:
        assert self.ready.wait(START_TIMEOUT), f"not ready:\n{self.log()}"
        assert READY.search(self.log()), f"exited before serving:\n{self.log()}"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code


def login_page(port: int, ca: Path) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(ca))
    url = f"https://127.0.0.1:{port}/login"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return response.status, response.read().decode()


def test_readme_shows_the_serve_examples() -> None:
    assert quick_start_commands() == ["./.ci/serve", "./.ci/serve --host 0.0.0.0 --port 8443"]


def test_quick_start_serve_examples_serve_https(tmp_path: Path) -> None:
    for number, command in enumerate(quick_start_commands()):
        port = free_port()
        data_dir = tmp_path / f"run{number}" / "data"
        data_dir.parent.mkdir()
        served = Served(with_port(command, port), cwd=REPO_ROOT, env=environment(data_dir))
        try:
            served.wait_ready()
            status, body = login_page(port, data_dir / "ca.pem")
            assert status == 200, command
            assert "Sign in" in body
        finally:
            code = served.stop()
        assert code == 0, f"{command}:\n{served.log()}"


def test_ci_test_passes_its_arguments_to_pytest() -> None:
    result = subprocess.run(
        [str(REPO_ROOT / ".ci" / "test"), "--version"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"pytest \d+\.\d+", result.stdout + result.stderr)


def production_command() -> str:
    block = re.search(r"```bash\n(.*?)```", section("Serving in production"), re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.startswith("hypercorn ")]
    assert len(lines) == 1, block.group(1)
    return lines[0]


def test_production_command_serves_https_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data_dir = tmp_path / "srv" / "data"
    data_dir.parent.mkdir()
    env = environment(data_dir)
    # What ". .venv/bin/activate" does: the venv running these tests comes first on PATH.
    venv_bin = Path(sys.executable).parent
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv_bin.parent)
    port = free_port()
    command = f"{production_command()} --bind 127.0.0.1:{port}"
    served = Served(["bash", "-c", f"exec {command}"], cwd=elsewhere, env=env)
    try:
        served.wait_ready()
        status, body = login_page(port, data_dir / "ca.pem")
        assert status == 200
        assert "Sign in" in body
    finally:
        code = served.stop()
    assert code == 0, served.log()
    assert (data_dir / "cert.pem").is_file()
    assert not (elsewhere / "cert.pem").exists()
    assert "Traceback" not in served.log()
