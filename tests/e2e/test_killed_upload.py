"""A server killed (SIGKILL) in the middle of an upload leaves no partial file for long."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import socket
import time
from pathlib import Path

from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer, SignedInBrowser

FILE_BYTES = 8 * 1024 * 1024
SENT_BYTES = 32 * 1024  # of the file, before the client stalls
BOUNDARY = "minimost-killed-upload"
IN_MODIFY = 0x002
IN_CREATE = 0x100


def partial_uploads(uploads: Path) -> list[Path]:
    return sorted(uploads.glob(".upload-*.part"))


def wait_for_partial_upload(uploads: Path, timeout: float = 30.0) -> Path:
    """Wait until the server has written part of the upload to disk (inotify events)."""
    libc = ctypes.CDLL(None, use_errno=True)
    watch = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    assert watch >= 0, os.strerror(ctypes.get_errno())
    try:
        added = libc.inotify_add_watch(watch, os.fsencode(uploads), IN_CREATE | IN_MODIFY)
        assert added >= 0, os.strerror(ctypes.get_errno())
        deadline = time.monotonic() + timeout
        while True:
            for path in partial_uploads(uploads):
                if path.stat().st_size > 0:
                    return path
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([watch], [], [], max(remaining, 0))
            if not readable:
                raise AssertionError(f"no partial upload in {uploads} after {timeout} s")
            os.read(watch, 65536)
    finally:
        os.close(watch)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Hypercorn's worker, multiprocessing helpers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def kill_server_tree(server: LiveServer) -> None:
    """SIGKILL the server as a crash or the OOM killer would: no handler runs anywhere."""
    assert server.process is not None
    workers = descendants(server.process.pid)
    assert workers, "Hypercorn serves from a worker process"
    for pid in [server.process.pid, *workers]:
        os.kill(pid, signal.SIGKILL)
    server.stop()


def start_upload(server: LiveServer, user: SignedInBrowser) -> socket.socket:
    """Send the headers and the start of a large multipart upload, then stall."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="content"\r\n\r\nhalf a file\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="files"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + FILE_BYTES + len(tail)
    request = (
        "POST /api/channels/general/messages HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        f"Cookie: {user.cookie}\r\n"
        f"X-CSRF-Token: {user.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection.sendall(request + head + b"x" * SENT_BYTES)
    return connection


def test_restart_after_sigkill_mid_upload_leaves_no_partial_file(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", tls=False)
    server.start()
    uploads = server.data_dir / "uploads"
    try:
        alice = SignedInBrowser(server.url, "alice", GOOD_PASSWORD)
        with start_upload(server, alice):
            wait_for_partial_upload(uploads)
            kill_server_tree(server)
        assert partial_uploads(uploads), "the killed server left its partial upload behind"

        server.start()

        assert partial_uploads(uploads) == []
    finally:
        server.close()
