"""A real MiniMost under Hypercorn in its own process, for end-to-end tests.

The test process binds the listening socket and hands it to Hypercorn (``fd://``), so
the port is known before start, no other process can take it, and a restart serves the
same address. Readiness is Hypercorn's own "Running on" line, read from its output.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_MARKER = "Running on"
CSRF_TOKEN = re.compile(
    r'name="csrf_token" value="([0-9a-f]{64})"|name="csrf-token" content="([0-9a-f]{64})"'
)


class ServerError(RuntimeError):
    pass


class LiveServer:
    """One MiniMost server process on a fixed loopback port, restartable."""

    def __init__(
        self,
        data_dir: Path,
        *,
        settings: dict[str, Any] | None = None,
        tls: bool = True,
        log_path: Path | None = None,
        check_answers: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.check_answers = check_answers
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.settings = {"stun_port": 0, **(settings or {})}
        self.log_path = log_path or data_dir.parent / "server.log"
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.set_inheritable(True)
        self.port = self.socket.getsockname()[1]
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._drain: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "hypercorn", "minimost:create_app()"]
        command += ["--bind", f"fd://{self.socket.fileno()}", "--workers", "1"]
        if self.tls:
            # The production config, with the certificate paths of this data root.
            command += ["--config", str(REPO_ROOT / "hypercorn.toml")]
            command += ["--certfile", str(self.data_dir / "cert.pem")]
            return [*command, "--keyfile", str(self.data_dir / "key.pem")]
        # Plain HTTP (as behind a TLS-terminating proxy): the same settings minus TLS.
        return [*command, "--worker-class", "uvloop", "--graceful-timeout", "3"]

    def working_dir(self) -> Path:
        return self.data_dir.parent

    def environment(self) -> dict[str, str]:
        settings_file = self.data_dir.parent / "settings.json"
        settings_file.write_text(json.dumps(self.settings))
        env = {key: value for key, value in os.environ.items() if not key.startswith("MINIMOST_")}
        env.update(
            MINIMOST_DATA_DIR=str(self.data_dir),
            MINIMOST_SETTINGS=str(settings_file),
            PYTHONUNBUFFERED="1",
        )
        if not self.tls:
            env["MINIMOST_SKIP_TLS"] = "1"
        if self.check_answers:
            env["MINIMOST_CHECK_ANSWERS"] = "1"
        return env

    def start(self, timeout: float = 30.0) -> None:
        """Start Hypercorn; the factory creates the TLS files before Hypercorn loads them."""
        self.output = []
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.working_dir(),
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            pass_fds=() if self.socket.fileno() < 0 else (self.socket.fileno(),),
        )
        self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        """Wait for Hypercorn's ready line, read by a thread with blocking readline().

        (Selecting on the pipe and then reading a buffered line would miss lines that
        arrived in the same chunk: they sit in Python's buffer where select cannot see.)
        """
        assert self.process is not None
        assert self.process.stdout is not None
        settled = threading.Event()  # the ready line arrived, or the output ended
        self._drain = threading.Thread(
            target=self._drain_output, args=(self.process.stdout, settled), daemon=True
        )
        self._drain.start()
        if settled.wait(timeout) and READY_MARKER in self.log():
            return
        if self.process.poll() is not None or not self._drain.is_alive():
            self._drain.join(5)
            raise ServerError(f"server exited during startup:\n{self.log()}")
        self.stop()
        raise ServerError(f"server not ready after {timeout} s:\n{self.log()}")

    def _drain_output(self, stream: Any, settled: threading.Event) -> None:
        try:
            for line in stream:
                self.output.append(line)
                if READY_MARKER in line:
                    settled.set()
        finally:
            settled.set()

    def log(self) -> str:
        return "".join(self.output)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> float:
        """Signal the server and wait for it to exit; return how long that took."""
        if self.process is None:
            return 0.0
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise ServerError(f"server ignored signal {sig} for {timeout} s") from None
        elapsed = time.monotonic() - started
        if self._drain is not None:
            self._drain.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log_path.write_text(self.log())
        self.process = None
        return elapsed

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.socket.close()


class SignedInBrowser:
    """An account made through the real sign-up form, with its cookies and CSRF token."""

    def __init__(
        self, base: str, username: str, password: str, context: ssl.SSLContext | None = None
    ) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=context),
        )
        form = {
            "username": username,
            "password": password,
            "confirm_password": password,
            "csrf_token": self.csrf_token("/signup"),
        }
        self.opener.open(f"{base}/signup", urllib.parse.urlencode(form).encode(), timeout=30)
        self.token = self.csrf_token("/")

    def csrf_token(self, path: str) -> str:
        page = self.opener.open(f"{self.base}{path}", timeout=30).read().decode()
        found = CSRF_TOKEN.search(page)
        assert found, f"no CSRF token on {path}"
        return found.group(1) or found.group(2)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    def request(self, method: str, path: str, body: dict[str, Any]) -> Any:
        """Send a JSON API request; return the decoded answer (HTTPError when refused)."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.token},
        )
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    def api(self, method: str, path: str, body: dict[str, Any]) -> int:
        """Send a JSON API request; return the HTTP status."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.token},
        )
        with self.opener.open(request, timeout=30) as response:
            return response.status
