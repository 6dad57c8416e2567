"""Start MiniMost (Hypercorn) or the 0.0.4 server (Gunicorn) on loopback, time it, stop it.

Each server runs in its own process group with a fresh data root; ``stop`` ends the whole
group, workers included. Readiness is the first 200 on ``/login``, which is also the
start-up figure.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
ORIGINAL_VERSION = "0.0.4"
ORIGINAL_REQUIREMENTS = REPO_ROOT / "bench" / "original-requirements.txt"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """One server process group; ``start`` returns seconds until ``/login`` answered 200."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.cwd = cwd
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = cwd / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, port: int, timeout: float = 60.0) -> float:
        self.port = port
        command = [part.replace("{port}", str(port)) for part in self.command]
        with self.log_path.open("ab") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up, see {self.log_path}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{self.url}/login", timeout=2) as response,
            ):
                if response.status == 200:
                    return time.perf_counter() - started
            time.sleep(0.01)  # polling until the server answers: this is the measurement
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /login within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind, if any
        self.process = None


def _hypercorn_config(data_root: Path, source: Path) -> Path:
    """The checkout's hypercorn.toml minus its certificate lines: TLS ends in front of both."""
    lines = (source / "hypercorn.toml").read_text().splitlines()
    kept = [line for line in lines if not line.startswith(("certfile", "keyfile"))]
    path = data_root.parent / "hypercorn-plain.toml"
    path.write_text("\n".join(kept) + "\n")
    return path


def ours(
    work: Path, settings: dict[str, Any] | None = None, source: Path | None = None
) -> ServerProcess:
    """MiniMost under Hypercorn with the shipped config (workers, uvloop, limits).

    ``source`` is another checkout to run instead of this one (its ``src/``, settings and
    Hypercorn config), read only: Python writes no bytecode there.
    """
    checkout = source or REPO_ROOT
    data_root = work / "ours-data"
    data_root.mkdir(parents=True, exist_ok=True)
    settings_file = work / "ours-settings.json"
    base = json.loads((checkout / "settings.json").read_text())
    settings_file.write_text(json.dumps({**base, **(settings or {})}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINIMOST_")}
    env.update(
        MINIMOST_DATA_DIR=str(data_root),
        MINIMOST_SETTINGS=str(settings_file),
        MINIMOST_SKIP_TLS="1",
        PYTHONUNBUFFERED="1",
    )
    if source is not None:
        env.update(PYTHONPATH=str(source / "src"), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "hypercorn", "minimost:create_app()"]
    command += ["--config", str(_hypercorn_config(data_root, checkout))]
    command += ["--bind", "127.0.0.1:{port}"]
    return ServerProcess("ours", command, env, work)


def original_venv(path: Path, timeout: float = 300.0) -> Path:
    """A venv of its own holding minimost 0.0.4 and Gunicorn (never ours)."""
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=timeout)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(ORIGINAL_REQUIREMENTS)],
            check=True,
            timeout=timeout,
        )
    return path


def original_package(venv: Path) -> Path:
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import minimost, os; print(minimost.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"MINIMOST_SKIP_TLS": "1", "MINIMOST_DATA_DIR": "/nonexistent-import-check"},
    )
    return Path(found.stdout.strip()).parent


def configure_original(venv: Path, settings: dict[str, Any]) -> None:
    """0.0.4 reads settings.json from its package directory: edit the copy in its venv."""
    path = original_package(venv) / "settings.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **settings}, indent=2))


def original(work: Path, venv: Path) -> ServerProcess:
    """0.0.4 under Gunicorn with its shipped config; bind moved to loopback."""
    data_root = work / "original-data"
    data_root.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINIMOST_")}
    env.update(MINIMOST_DATA_DIR=str(data_root), MINIMOST_SKIP_TLS="1", PYTHONUNBUFFERED="1")
    command = [str(venv / "bin" / "gunicorn"), "minimost:create_app()"]
    command += ["-c", "python:minimost.gunicorn_conf", "--bind", "127.0.0.1:{port}"]
    return ServerProcess("original", command, env, work)
