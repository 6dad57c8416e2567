"""Upload sizes: every file up to the limit goes through however fast its bytes arrive,
one byte more is refused in words, and the form's text stays capped.

Quart's test client hands the app a whole body at once, as a client at full speed on a
fast link does: the app sees one big chunk, not a trickle.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from quart import Quart, Response
from werkzeug.datastructures import FileStorage

from tests.conftest import PEER, AppFactory, UserClient, sign_up

KIB = 1024
MIB = 1024 * 1024


def uploads(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "uploads").iterdir())


async def send_file(user: UserClient, data: bytes, name: str = "data.bin", **fields: str) -> Any:
    return await user.api(
        "POST",
        "/api/channels/general/messages",
        form={"content": "here it is", **fields},
        files={"files0": FileStorage(io.BytesIO(data), filename=name)},
    )


async def error_of(response: Response) -> dict[str, str]:
    body = await response.get_json()
    assert isinstance(body, dict), body
    return body["error"]


async def alice_messages(user: UserClient) -> list[dict[str, Any]]:
    history = await user.api("GET", "/api/channels/general/messages")
    return [m for m in (await history.get_json())["messages"] if m["sender"] == "alice"]


def multipart(boundary: str, *parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body from (field name, file name or None, data)."""
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


async def stream_send(user: UserClient, chunks: list[bytes], boundary: str) -> Response:
    """Send a message body in the given chunks, as a client writes it to the socket."""
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-CSRF-Token": user.token,
        "Accept": "application/json",
    }
    async with user.client.request(
        "/api/channels/general/messages", method="POST", headers=headers, scope_base=PEER
    ) as connection:
        for chunk in chunks:
            await connection.send(chunk)
        await connection.send_complete()
    return await connection.as_response()


@pytest.mark.parametrize("size", [100 * KIB, MIB, 3 * MIB - 1, 3 * MIB])
async def test_files_up_to_the_limit_arrive_whole(
    make_app: AppFactory, data_dir: Path, size: int
) -> None:
    app = make_app(max_upload_size_mb=3)
    data = os.urandom(size)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await send_file(alice, data)
        assert response.status_code == 201, await response.get_data(as_text=True)
        messages = (await response.get_json())["messages"]
        assert [m["content"] for m in messages] == ["here it is", ""]
        download = await alice.get(messages[1]["file"]["url"])
        assert download.status_code == 200
        assert await download.get_data() == data
    assert [path.stat().st_size for path in uploads(data_dir)] == [size]


async def test_one_byte_over_the_limit_is_refused_and_leaves_nothing(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(max_upload_size_mb=3)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await send_file(alice, os.urandom(3 * MIB + 1), "too-big.bin")
        assert response.status_code == 413
        assert await error_of(response) == {
            "code": "too_large",
            "message": "File too large (max 3 MB): too-big.bin",
        }
        assert await alice_messages(alice) == []
    assert uploads(data_dir) == []


async def test_a_file_at_the_limit_arrives_in_chunks_of_any_size(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(max_upload_size_mb=3)
    data = os.urandom(3 * MIB)
    boundary = uuid.uuid4().hex
    body = multipart(boundary, ("content", None, b"chunks"), ("files0", "big.bin", data))
    sizes = [1, 700, 64 * KIB + 3, MIB]
    chunks, offset, turn = [], 0, 0
    while offset < len(body):
        chunks.append(body[offset : offset + sizes[turn % len(sizes)]])
        offset, turn = offset + len(chunks[-1]), turn + 1
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await stream_send(alice, chunks, boundary)
        assert response.status_code == 201, await response.get_data(as_text=True)
        (text, file) = (await response.get_json())["messages"]
        assert text["content"] == "chunks"
        assert await (await alice.get(file["file"]["url"])).get_data() == data
    assert len(uploads(data_dir)) == 1


async def test_a_huge_text_field_is_refused_in_words(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(max_upload_size_mb=3)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await send_file(alice, b"attached", content="x" * MIB)
        assert response.status_code == 413
        assert await error_of(response) == {
            "code": "too_large",
            "message": "The text fields of a send can hold at most 64 KiB.",
        }
        assert await alice_messages(alice) == []
    assert uploads(data_dir) == []


async def test_text_fields_are_capped_however_the_body_is_cut(
    make_app: AppFactory, data_dir: Path
) -> None:
    """A long field sent in small pieces is refused as surely as one sent at once."""
    app = make_app(max_upload_size_mb=3)
    boundary = uuid.uuid4().hex
    body = multipart(boundary, ("files0", "a.txt", b"attached"), ("reply_to", None, b"1" * MIB))
    chunks = [body[offset : offset + 4 * KIB] for offset in range(0, len(body), 4 * KIB)]
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await stream_send(alice, chunks, boundary)
        assert response.status_code == 413
        assert (await error_of(response))["message"] == (
            "The text fields of a send can hold at most 64 KiB."
        )
        assert await alice_messages(alice) == []
    assert uploads(data_dir) == []


async def test_a_body_cut_short_posts_nothing(make_app: AppFactory, data_dir: Path) -> None:
    """A body that ends inside a file (a client gone mid-upload) keeps no half file."""
    app = make_app(max_upload_size_mb=3)
    boundary = uuid.uuid4().hex
    body = multipart(boundary, ("content", None, b"cut"), ("files0", "a.bin", os.urandom(MIB)))
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await stream_send(alice, [body[: len(body) // 2]], boundary)
        assert response.status_code == 400
        assert await error_of(response) == {
            "code": "bad_request",
            "message": "The multipart body is malformed.",
        }
        assert await alice_messages(alice) == []
    assert uploads(data_dir) == []


def noisy_png(size: int) -> bytes:
    """A PNG of about ``size`` bytes that does not compress."""
    side = int((size / 3) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


async def test_an_avatar_under_its_own_limit_is_taken_when_files_are_capped_lower(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(max_upload_size_mb=1, max_avatar_size_mb=3)
    picture = noisy_png(2 * MIB)
    assert 1.5 * MIB < len(picture) < 3 * MIB
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await alice.api(
            "PUT",
            "/api/account/avatar",
            files={"avatar": FileStorage(io.BytesIO(picture), filename="me.png")},
        )
        assert response.status_code == 200, await response.get_data(as_text=True)
        assert (await response.get_json())["avatar_url"].startswith("/api/users/alice/avatar")
    assert len(list((data_dir / "avatars").iterdir())) == 1


async def test_an_endless_part_header_is_refused_in_words(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(max_upload_size_mb=3)
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="files0"; filename="a.txt"\r\n'
    chunks = [head.encode(), b"X-Padding: " + b"a" * (100 * KIB)]
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await stream_send(alice, chunks, boundary)
        assert response.status_code == 413
        assert await error_of(response) == {
            "code": "too_large",
            "message": "A multipart part header is too long.",
        }
        assert await alice_messages(alice) == []
    assert uploads(data_dir) == []


async def test_a_file_with_a_very_long_name_is_kept_under_a_shortened_name(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    response = await send_file(alice, b"minutes", "meeting-notes-" + "n" * 300 + ".txt")
    assert response.status_code == 201, await response.get_data(as_text=True)
    file = (await response.get_json())["messages"][1]["file"]
    assert file["name"].startswith("meeting-notes-nnn")
    assert file["name"].endswith(".txt")
    download = await alice.get(file["url"])
    assert await download.get_data() == b"minutes"
    (stored,) = uploads(data_dir)
    assert len(stored.name) == 255
