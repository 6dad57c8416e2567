"""A full disk under a real server: clear 503s, no lost or damaged messages, recovery.

The data directory lives on its own small tmpfs (we run as root), so filling it is
real: SQLite gets ENOSPC from the kernel like on a full production disk.
"""

from __future__ import annotations

import asyncio
import errno
import io
import json
import random
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect

from minimost.paths import DataRoot
from tests.conftest import GOOD_PASSWORD
from tests.e2e.server import LiveServer, SignedInBrowser

DISK = "8m"
BULKY = " ".join(f"word{n}" for n in range(1000))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A fresh 8 MiB tmpfs; a machine that cannot mount one fails the test."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount_point)],
        check=True,
        capture_output=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True, capture_output=True)


@pytest.fixture
def server(small_disk: Path, tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(small_disk / "data", tls=False, log_path=tmp_path / "server.log")
    live.start()
    yield live
    live.close()


def fill(disk: Path) -> Path:
    """Write a filler file until the kernel says the disk is full."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return filler


class Sender:
    """One user's websocket and API sends, keeping every message the server acknowledged."""

    def __init__(self, server: LiveServer, user: SignedInBrowser, socket: ClientConnection):
        self.server = server
        self.user = user
        self.socket = socket
        self.acknowledged: set[int] = set()
        self.count = 0

    async def over_socket(self) -> dict[str, Any]:
        self.count += 1
        client_id = f"ws-{self.count}"
        frame = {"type": "message.send", "channel": "general", "content": BULKY}
        await self.socket.send(json.dumps({**frame, "client_id": client_id}))
        while True:
            answer = json.loads(await asyncio.wait_for(self.socket.recv(), 30))
            if answer.get("client_id") == client_id:
                if answer["type"] == "message.sent":
                    self.acknowledged.update(message["id"] for message in answer["messages"])
                return answer

    def over_api(self) -> tuple[int, dict[str, Any]]:
        self.count += 1
        body = {"content": BULKY, "client_id": f"api-{self.count}"}
        try:
            status = 201
            answer = self.user.request("POST", "/api/channels/general/messages", body)
        except urllib.error.HTTPError as error:
            status, answer = error.code, json.loads(error.read())
        if status == 201:
            self.acknowledged.update(message["id"] for message in answer["messages"])
        return status, answer


def upload(
    user: SignedInBrowser,
    name: str,
    data: bytes,
    *,
    path: str = "/api/channels/general/messages",
    field: str = "files0",
    method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    """Send one file as the page does (multipart); return the status and the answer."""
    boundary = "fulldiskboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{user.base}{path}",
        data=body,
        method=method,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRF-Token": user.token,
        },
    )
    try:
        with user.opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def picture() -> bytes:
    """A photo-sized PNG of noise: its JPEG does not fit in the little room left."""
    out = io.BytesIO()
    Image.frombytes("RGB", (1024, 1024), random.Random(7).randbytes(3 * 1024 * 1024)).save(
        out, format="PNG"
    )
    return out.getvalue()


def messages_db(server: LiveServer) -> Path:
    return DataRoot(server.data_dir).messages_db


def integrity(database: Path) -> str:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def stored_ids(database: Path) -> set[int]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM messages")}


async def test_a_full_disk_refuses_sends_clearly_and_recovers_on_the_same_sockets(
    server: LiveServer, small_disk: Path
) -> None:
    user = SignedInBrowser(server.url, "alice", GOOD_PASSWORD)
    async with connect(
        f"ws://127.0.0.1:{server.port}/ws",
        origin=server.url,
        additional_headers={"Cookie": user.cookie},
    ) as socket:
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "hello"
        sender = Sender(server, user, socket)
        assert (await sender.over_socket())["type"] == "message.sent"
        assert sender.over_api()[0] == 201
        filler = fill(small_disk)
        refused_socket: dict[str, Any] | None = None
        refused_api: tuple[int, dict[str, Any]] | None = None
        for _ in range(40):
            if refused_socket is None:
                answer = await sender.over_socket()
                if answer["type"] == "error":
                    refused_socket = answer
            if refused_api is None:
                status, body = sender.over_api()
                if status != 201:
                    refused_api = (status, body)
            if refused_socket is not None and refused_api is not None:
                break
        assert refused_socket is not None, "the socket sends never ran out of space"
        assert refused_api is not None, "the API sends never ran out of space"
        assert (refused_socket["status"], refused_socket["code"]) == (503, "storage_full")
        assert refused_socket["client_id"].startswith("ws-")
        assert "disk is full" in refused_socket["message"]
        assert refused_api[0] == 503
        assert refused_api[1]["error"]["code"] == "storage_full"
        uploads_dir = DataRoot(server.data_dir).uploads_dir
        files_before = sorted(uploads_dir.iterdir())
        status, refused_file = upload(user, "report.bin", b"r" * 2 * 1024 * 1024)
        assert (status, refused_file["error"]["code"]) == (503, "storage_full")
        assert sorted(uploads_dir.iterdir()) == files_before, "no part of the file is kept"
        avatars_dir = DataRoot(server.data_dir).avatars_dir
        status, refused_avatar = upload(
            user, "me.png", picture(), path="/api/account/avatar", field="avatar", method="PUT"
        )
        assert (status, refused_avatar["error"]["code"]) == (503, "storage_full"), refused_avatar
        assert list(avatars_dir.iterdir()) == [], "no part of the picture is kept"
        assert integrity(messages_db(server)) == "ok"
        filler.unlink()
        assert upload(user, "report.bin", b"r" * 2 * 1024 * 1024)[0] == 201
        assert (await sender.over_socket())["type"] == "message.sent", "the same socket again"
        assert sender.over_api()[0] == 201
    server.stop()
    database = messages_db(server)
    assert integrity(database) == "ok"
    assert sender.acknowledged <= stored_ids(database), "an acknowledged message was lost"
    assert "Traceback" not in server.log()
