"""Files: sent with a message, streamed to disk, served only to the channel's readers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image
from quart import Quart
from quart.datastructures import FileStorage

from tests.conftest import AppFactory, UserClient, sign_up


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


async def send_files(
    user: UserClient, channel: str, files: list[tuple[str, bytes]], **fields: str
) -> Any:
    storages = [
        FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
        for name, data in files
    ]
    return await user.api(
        "POST",
        f"/api/channels/{channel}/messages",
        form=fields,
        files={f"files{n}": storage for n, storage in enumerate(storages)},
    )


def uploads(data_dir: Path) -> list[str]:
    return sorted(path.name for path in (data_dir / "uploads").iterdir())


async def test_text_and_files_in_one_send(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    response = await send_files(
        alice, "general", [("Photo.PNG", png()), ("notes v2.txt", b"hello")], content="look"
    )
    assert response.status_code == 201, await response.get_data(as_text=True)
    messages = (await response.get_json())["messages"]
    assert [m["content"] for m in messages] == ["look", "", ""]
    assert len({m["ts"] for m in messages}) == 1, "one send, one moment"
    image, text = messages[1]["file"], messages[2]["file"]
    assert image["image"] is True
    assert image["name"].endswith(".png")
    assert len(image["name"]) == 36, "32 hex characters and the extension"
    assert text == {**text, "name": "notes_v2.txt", "image": False}
    assert len(uploads(data_dir)) == 2, "nothing else (no temporary parts) is left"

    shown = await bob.get(image["url"])
    assert shown.status_code == 200
    assert shown.mimetype == "image/png"
    assert "attachment" not in shown.headers.get("Content-Disposition", "")
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    download = await bob.get(text["url"])
    assert await download.get_data() == b"hello"
    assert "attachment; filename=notes_v2.txt" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        await bob.client.head(text["url"], scope_base={"client": ("127.0.0.1", 1)})
    ).status_code == 200


async def test_files_are_only_for_readers_of_a_channel_that_shares_them(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    carol = await sign_up(app, "carol")
    response = await send_files(alice, "dm:alice:bob", [("plan.txt", b"secret")])
    (message,) = (await response.get_json())["messages"]
    assert (await carol.get(message["file"]["url"])).status_code == 404
    assert (await carol.get("/api/files/..%2Fsecret.key")).status_code == 404
    await alice.api("DELETE", f"/api/messages/{message['id']}")
    assert (await alice.get(message["file"]["url"])).status_code == 404


async def test_an_oversized_file_is_refused_and_leaves_nothing(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(max_upload_size_mb=1)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await send_files(
            alice, "general", [("small.txt", b"ok"), ("big.bin", b"x" * (1024 * 1024 + 1))]
        )
        assert response.status_code == 413
        assert (await response.get_json())["error"]["code"] in ("too_large",)
        history = await alice.api("GET", "/api/channels/general/messages")
        assert all(m["sender"] != "alice" for m in (await history.get_json())["messages"])
    assert uploads(data_dir) == []


async def test_uploads_need_the_csrf_header(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.client.post(
        "/api/channels/general/messages",
        form={"content": "hi", "csrf_token": alice.token},
        files={"files0": FileStorage(io.BytesIO(b"x"), filename="a.txt")},
    )
    assert response.status_code == 403
    assert uploads(data_dir) == []
