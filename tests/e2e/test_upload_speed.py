"""Uploads at full speed against a real Hypercorn, with and without TLS: HTTP/1.1 from
Python's http.client, HTTP/2 from curl and from Chromium, and the chat's own composer.

Every file up to ``max_upload_size_mb`` arrives whole; one byte more is a 413 in words
with nothing left in ``uploads/``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import GOOD_PASSWORD
from tests.e2e.chat_helpers import composer, new_user
from tests.e2e.server import LiveServer, SignedInBrowser

LIMIT_MB = 10
KIB = 1024
MIB = 1024 * 1024
SIZES = [100 * KIB, MIB, LIMIT_MB * MIB]
SEND_PATH = "/api/channels/general/messages"


class UploadTarget:
    """A live server with the upload limit set and one signed-in account."""

    def __init__(self, root: Path, tls: bool) -> None:
        self.server = LiveServer(
            root / "data", tls=tls, settings={"max_upload_size_mb": LIMIT_MB}, check_answers=True
        )
        self.server.start()
        self.cafile = self.server.data_dir / "ca.pem"
        self.context = ssl.create_default_context(cafile=str(self.cafile)) if tls else None
        self.alice = SignedInBrowser(self.server.url, "alice", GOOD_PASSWORD, self.context)

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": self.alice.cookie,
            "X-CSRF-Token": self.alice.token,
            "Accept": "application/json",
        }

    def stored(self) -> list[int]:
        """Sizes of the files in uploads/, temporary parts included."""
        return sorted(path.stat().st_size for path in (self.server.data_dir / "uploads").iterdir())


@pytest.fixture(scope="module", params=[True, False], ids=["https", "http"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UploadTarget]:
    made = UploadTarget(tmp_path_factory.mktemp("uploads"), tls=request.param)
    try:
        yield made
    finally:
        made.server.close()


def form_body(data: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"\r\n\r\nfull speed\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files0"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def post_http11(target: UploadTarget, data: bytes, name: str) -> tuple[int, dict[str, Any]]:
    """One send over HTTP/1.1, the whole body written to the socket at once."""
    body, boundary = form_body(data, name)
    port = target.server.port
    connection = (
        http.client.HTTPSConnection("127.0.0.1", port, context=target.context, timeout=60)
        if target.context
        else http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    )
    try:
        headers = {
            **target.headers(),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        connection.request("POST", SEND_PATH, body=body, headers=headers)
        response = connection.getresponse()
        assert response.version == 11
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def post_with_curl(
    target: UploadTarget, upload: Path, *options: str, files: int = 1
) -> tuple[int, dict[str, Any], str]:
    """One send with curl: the status, the JSON answer and the HTTP version spoken."""
    curl = shutil.which("curl")
    assert curl, "curl is needed to send over HTTP/2"
    answer = upload.parent / "answer.json"
    command = [curl, "--silent", "--show-error", "--max-time", "60", "-o", str(answer)]
    command += ["-w", "%{http_code} %{http_version}", *options]
    if target.context:
        command += ["--cacert", str(target.cafile)]
    for header, value in target.headers().items():
        command += ["-H", f"{header}: {value}"]
    command += ["-F", "content=full speed"]
    for n in range(files):
        command += ["-F", f"files{n}=@{upload}"]
    finished = subprocess.run(
        [*command, f"{target.server.url}{SEND_PATH}"],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    status, version = finished.stdout.split()
    return int(status), json.loads(answer.read_bytes()), version


def post_http2(
    target: UploadTarget, data: bytes, name: str, tmp_path: Path
) -> tuple[int, dict[str, Any]]:
    """One send over HTTP/2 (ALPN over TLS, prior knowledge over plain TCP)."""
    upload = tmp_path / name
    upload.write_bytes(data)
    http2 = "--http2" if target.context else "--http2-prior-knowledge"
    status, answer, version = post_with_curl(target, upload, http2)
    assert version == "2"
    return status, answer


def arrived_whole(target: UploadTarget, answer: dict[str, Any], data: bytes) -> None:
    assert [m["content"] for m in answer["messages"]] == ["full speed", ""]
    stored = answer["messages"][1]["file"]["url"].rsplit("/", 1)[-1]
    assert (target.server.data_dir / "uploads" / stored).read_bytes() == data


TOO_LARGE = {"code": "too_large", "message": f"File too large (max {LIMIT_MB} MB): over.bin"}


@pytest.mark.parametrize("size", SIZES)
def test_http11_uploads_up_to_the_limit(target: UploadTarget, size: int) -> None:
    data = os.urandom(size)
    status, answer = post_http11(target, data, "data.bin")
    assert status == 201, answer
    arrived_whole(target, answer, data)


@pytest.mark.parametrize("size", SIZES)
def test_http2_uploads_up_to_the_limit(target: UploadTarget, size: int, tmp_path: Path) -> None:
    data = os.urandom(size)
    status, answer = post_http2(target, data, "data.bin", tmp_path)
    assert status == 201, answer
    arrived_whole(target, answer, data)


def test_one_byte_over_the_limit_is_refused_over_both_protocols(
    target: UploadTarget, tmp_path: Path
) -> None:
    before = target.stored()
    data = os.urandom(LIMIT_MB * MIB + 1)
    assert post_http11(target, data, "over.bin") == (413, {"error": TOO_LARGE})
    assert post_http2(target, data, "over.bin", tmp_path) == (413, {"error": TOO_LARGE})
    assert target.stored() == before


FETCH_UPLOAD = """async ([size, name]) => {
  performance.clearResourceTimings();
  const form = new FormData();
  form.append("content", "full speed");
  form.append("files0", new Blob([new Uint8Array(size).fill(7)]), name);
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const url = "/api/channels/general/messages?" + name;
  const response = await fetch(url, {
    method: "POST", body: form, headers: {"X-CSRF-Token": token, Accept: "application/json"},
  });
  const answer = await response.json();
  const timing = performance.getEntriesByName(new URL(url, location.href).href)[0];
  return [response.status, answer, timing.nextHopProtocol];
}"""


def fetch_upload(page: Page, size: int, name: str) -> tuple[int, dict[str, Any], str]:
    status, answer, protocol = page.evaluate(FETCH_UPLOAD, [size, name])
    return status, answer, protocol


def test_chromium_fetch_uploads_up_to_the_limit(target: UploadTarget, browser: Browser) -> None:
    person = new_user(browser, target.server, f"fetcher{uuid.uuid4().hex[:6]}")
    try:
        before = target.stored()
        for size in SIZES:
            status, answer, protocol = fetch_upload(person.page, size, f"blob{size}.bin")
            assert status == 201, answer
            assert protocol == ("h2" if target.context else "http/1.1")
            arrived_whole(target, answer, bytes([7]) * size)
        status, answer, _ = fetch_upload(person.page, LIMIT_MB * MIB + 1, "over.bin")
        assert (status, answer) == (413, {"error": TOO_LARGE})
        assert len(target.stored()) == len(before) + len(SIZES)
    finally:
        person.close()


def test_a_file_at_the_limit_goes_through_the_composer(
    target: UploadTarget, browser: Browser, tmp_path: Path
) -> None:
    person = new_user(browser, target.server, f"sharer{uuid.uuid4().hex[:6]}")
    try:
        video = tmp_path / "site-walkthrough.mp4"
        data = os.urandom(LIMIT_MB * MIB)
        video.write_bytes(data)
        person.page.locator("#file-input").set_input_files(str(video))
        expect(person.page.locator("#staged-files")).to_contain_text("site-walkthrough.mp4")
        composer(person).fill("The walkthrough, full length")
        composer(person).press("Enter")
        chip = person.page.locator("#message-log a.mm-file-chip").filter(
            has_text="site-walkthrough.mp4"
        )
        expect(chip).to_have_count(1, timeout=30_000)
        expect(chip).to_contain_text(f"{LIMIT_MB}.0 MB · Download")
        expect(person.page.locator("#staged-files")).to_be_hidden()
        assert person.errors == [], person.errors
        assert person.failed_requests == [], person.failed_requests
        stored = target.server.data_dir / "uploads"
        assert any(
            path.name.endswith("_site-walkthrough.mp4") and path.read_bytes() == data
            for path in stored.iterdir()
        )
    finally:
        person.close()


def test_a_body_without_a_length_is_held_to_the_whole_request_cap(
    target: UploadTarget, tmp_path: Path
) -> None:
    """Chunked transfer: each file is within its limit, all of them together are not."""
    upload = tmp_path / "part.bin"
    upload.write_bytes(os.urandom(4 * MIB))
    chunked = ("--http1.1", "-H", "Transfer-Encoding: chunked")
    before = target.stored()
    status, answer, version = post_with_curl(target, upload, *chunked, files=2)
    assert (status, version) == (201, "1.1"), answer
    assert len(target.stored()) == len(before) + 2
    status, answer, _ = post_with_curl(target, upload, *chunked, files=3)
    assert (status, answer) == (
        413,
        {"error": {"code": "too_large", "message": "The request is too large."}},
    )
    assert len(target.stored()) == len(before) + 2
