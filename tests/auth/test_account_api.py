"""The account's own JSON API: profile, avatar, password change, deletion, reserved names."""

from __future__ import annotations

import html
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from quart import Quart, Response
from werkzeug.datastructures import FileStorage

from tests.conftest import (
    GOOD_PASSWORD,
    AppFactory,
    UserClient,
    browser_for,
    execute,
    rows,
    sign_up,
)

RATE_LIMITED = "You're doing that too quickly. Please wait"
SECOND_PASSWORD = "Second-Horse-Battery-8"
THIRD_PASSWORD = "Third-Horse-Battery-7"


# -- helpers -----------------------------------------------------------------------------


def audit_lines(data_dir: Path) -> list[str]:
    path = data_dir / "audit.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


async def error_message(response: Response) -> str:
    body = await response.get_json()
    assert isinstance(body, dict), body
    return body["error"]["message"]


async def sign_in(app: Quart, username: str, password: str) -> tuple[UserClient, Response]:
    """Sign in through the login form in a fresh browser."""
    browser = await browser_for(app)
    response = await browser.form("/login", {"username": username, "password": password})
    return browser, response


async def signs_in(app: Quart, username: str, password: str) -> bool:
    _, response = await sign_in(app, username, password)
    if response.status_code == 302:
        assert response.headers["Location"] == "/"
        return True
    assert response.status_code == 200
    assert "Invalid credentials" in await response.get_data(as_text=True)
    return False


async def is_signed_in(user: UserClient) -> bool:
    status = (await user.api("GET", "/api/account")).status_code
    assert status in (200, 401), status
    return status == 200


def image_bytes(image: Image.Image, image_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def wide_png() -> bytes:
    """300x200: red 50-pixel bands left and right, green in the middle square."""
    image = Image.new("RGB", (300, 200), (0, 200, 0))
    image.paste((220, 0, 0), (0, 0, 50, 200))
    image.paste((220, 0, 0), (250, 0, 300, 200))
    return image_bytes(image, "PNG")


def animated_gif() -> bytes:
    first = Image.new("RGB", (64, 64), (0, 0, 230))
    second = Image.new("RGB", (64, 64), (230, 0, 0))
    return image_bytes(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def rotated_jpeg() -> bytes:
    """Stored 200x100 (left half red, right half blue) with EXIF "rotate 90° clockwise"."""
    image = Image.new("RGB", (200, 100), (230, 0, 0))
    image.paste((0, 0, 230), (100, 0, 200, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    return image_bytes(image, "JPEG", quality=95, exif=exif.tobytes())


def noisy_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 * side * side bytes."""
    return image_bytes(Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)), "PNG")


def upload(data: bytes, filename: str = "me.png") -> dict[str, FileStorage]:
    return {"avatar": FileStorage(io.BytesIO(data), filename=filename)}


async def put_avatar(user: UserClient, data: bytes, filename: str = "me.png") -> Response:
    return await user.api("PUT", "/api/account/avatar", files=upload(data, filename))


def stored_avatars(data_dir: Path) -> list[Path]:
    return sorted(path for path in (data_dir / "avatars").iterdir() if path.is_file())


def only_avatar(data_dir: Path) -> Image.Image:
    files = stored_avatars(data_dir)
    assert len(files) == 1, files
    image = Image.open(files[0])
    image.load()
    return image


def colour_at(image: Image.Image, x: int, y: int) -> str:
    red, green, blue = image.convert("RGB").getpixel((x, y))  # type: ignore[misc]
    strongest = max(red, green, blue)
    assert strongest > 120, (red, green, blue)
    return {red: "red", green: "green", blue: "blue"}[strongest]


# -- GET /api/account ----------------------------------------------------------------------


async def test_account_summary_of_a_new_user(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api("GET", "/api/account")
    assert response.status_code == 200
    assert await response.get_json() == {
        "username": "alice",
        "name_color": None,
        "bio": None,
        "avatar_url": None,
        "role": "admin",
    }


async def test_account_needs_sign_in(app: Quart) -> None:
    response = await app.test_client().get("/api/account")
    assert response.status_code == 401
    body = await response.get_json()
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["message"]


# -- PATCH /api/account --------------------------------------------------------------------


async def test_profile_colour_and_bio_are_saved(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api(
        "PATCH", "/api/account", json={"name_color": "#3a7bf0", "bio": "Firmware, mostly."}
    )
    assert response.status_code == 200
    expected = {
        "username": "alice",
        "name_color": "#3a7bf0",
        "bio": "Firmware, mostly.",
        "avatar_url": None,
        "role": "admin",
    }
    assert await response.get_json() == expected
    assert await (await alice.api("GET", "/api/account")).get_json() == expected


async def test_bio_of_exactly_160_characters_is_accepted(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api("PATCH", "/api/account", json={"bio": "b" * 160})
    assert response.status_code == 200
    assert (await response.get_json())["bio"] == "b" * 160


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name_color": "blue"}, "Name colour must be a colour like #3a7bf0."),
        ({"name_color": "#3a7bf"}, "Name colour must be a colour like #3a7bf0."),
        ({"name_color": "#3a7bf0; x"}, "Name colour must be a colour like #3a7bf0."),
        ({"bio": "x" * 161}, "Your bio can be at most 160 characters."),
    ],
)
async def test_invalid_profile_is_refused_and_nothing_changes(
    app: Quart, body: dict[str, str], message: str
) -> None:
    alice = await sign_up(app, "alice")
    await alice.api("PATCH", "/api/account", json={"name_color": "#112233", "bio": "Before"})
    response = await alice.api("PATCH", "/api/account", json=body)
    assert response.status_code == 400
    assert await error_message(response) == message
    summary = await (await alice.api("GET", "/api/account")).get_json()
    assert (summary["name_color"], summary["bio"]) == ("#112233", "Before")


async def test_nulls_clear_colour_and_bio(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await alice.api("PATCH", "/api/account", json={"name_color": "#112233", "bio": "Before"})
    response = await alice.api("PATCH", "/api/account", json={"name_color": None, "bio": None})
    assert response.status_code == 200
    summary = await (await alice.api("GET", "/api/account")).get_json()
    assert (summary["name_color"], summary["bio"]) == (None, None)


@pytest.mark.parametrize("body", [["#3a7bf0"], "a string", 42, None])
async def test_profile_body_must_be_a_json_object(app: Quart, body: Any) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api("PATCH", "/api/account", json=body)
    assert response.status_code == 400
    assert await error_message(response) == "Send a JSON object."


async def test_profile_change_without_csrf_header_is_forbidden(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.client.open("/api/account", method="PATCH", json={"bio": "forged"})
    assert response.status_code == 403
    assert (await (await alice.api("GET", "/api/account")).get_json())["bio"] is None


# -- avatars -------------------------------------------------------------------------------


async def test_avatar_upload_stores_a_square_jpeg_cropped_from_the_centre(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    response = await put_avatar(alice, wide_png())
    assert response.status_code == 200
    url = (await response.get_json())["avatar_url"]
    assert url.startswith("/api/users/alice/avatar")
    assert (await (await alice.api("GET", "/api/account")).get_json())["avatar_url"] == url
    stored = only_avatar(data_dir)
    assert stored.format == "JPEG"
    assert stored.size == (256, 256)
    # The red side bands are cropped away: only the centre square is kept.
    for x, y in ((3, 128), (252, 128), (128, 3), (128, 252)):
        assert colour_at(stored, x, y) == "green"


async def test_animated_gif_avatar_becomes_a_still_jpeg_of_the_first_frame(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    response = await put_avatar(alice, animated_gif(), "me.gif")
    assert response.status_code == 200
    stored = only_avatar(data_dir)
    assert (stored.format, stored.size) == ("JPEG", (256, 256))
    assert getattr(stored, "n_frames", 1) == 1
    assert colour_at(stored, 128, 128) == "blue"


async def test_jpeg_avatar_is_turned_upright_by_its_exif_orientation(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    response = await put_avatar(alice, rotated_jpeg(), "me.jpg")
    assert response.status_code == 200
    stored = only_avatar(data_dir)
    assert (stored.format, stored.size) == ("JPEG", (256, 256))
    # Rotated upright, the red half is on top and the blue half at the bottom.
    assert colour_at(stored, 128, 30) == "red"
    assert colour_at(stored, 128, 225) == "blue"
    assert 0x0112 not in stored.getexif()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"just some text, certainly not a picture\n" * 20, id="text"),
        pytest.param(noisy_png(64)[:2000], id="truncated-png"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_non_image_avatar_is_refused_and_nothing_stored(
    app: Quart, data_dir: Path, data: bytes
) -> None:
    alice = await sign_up(app, "alice")
    response = await put_avatar(alice, data)
    assert response.status_code == 400
    assert await error_message(response)
    assert stored_avatars(data_dir) == []
    assert (await (await alice.api("GET", "/api/account")).get_json())["avatar_url"] is None


async def test_avatar_over_the_size_limit_is_refused(make_app: AppFactory, data_dir: Path) -> None:
    app = make_app(max_avatar_size_mb=1)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        big = noisy_png(700)
        assert len(big) > 1024 * 1024
        response = await put_avatar(alice, big)
        assert response.status_code == 413
        assert await error_message(response) == "Avatars can be at most 1 MB."
        assert stored_avatars(data_dir) == []
        small = await put_avatar(alice, noisy_png(300))
        assert small.status_code == 200


async def test_new_avatar_replaces_and_removes_the_previous_file(
    app: Quart, data_dir: Path
) -> None:
    alice = await sign_up(app, "alice")
    first_url = (await (await put_avatar(alice, wide_png())).get_json())["avatar_url"]
    [first_file] = stored_avatars(data_dir)
    response = await put_avatar(alice, animated_gif(), "me.gif")
    assert response.status_code == 200
    second_url = (await response.get_json())["avatar_url"]
    assert second_url != first_url
    assert not first_file.exists()
    assert len(stored_avatars(data_dir)) == 1
    assert colour_at(only_avatar(data_dir), 128, 128) == "blue"


async def test_deleting_the_avatar_removes_the_file(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    await put_avatar(alice, wide_png())
    [stored] = stored_avatars(data_dir)
    response = await alice.api("DELETE", "/api/account/avatar")
    assert response.status_code == 204
    assert not stored.exists()
    assert stored_avatars(data_dir) == []
    assert (await (await alice.api("GET", "/api/account")).get_json())["avatar_url"] is None
    assert (await bob.get("/api/users/alice/avatar")).status_code == 404


async def test_other_users_see_the_avatar_as_jpeg(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    url = (await (await put_avatar(alice, wide_png())).get_json())["avatar_url"]
    response = await bob.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    [stored] = stored_avatars(data_dir)
    assert await response.get_data() == stored.read_bytes()


async def test_avatar_of_a_user_without_one_is_a_json_404(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await sign_up(app, "bob")
    for name in ("bob", "nobody"):
        response = await alice.get(f"/api/users/{name}/avatar")
        assert response.status_code == 404
        assert (await response.get_json())["error"]["code"] == "not_found"


async def test_avatars_need_sign_in(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    await put_avatar(alice, wide_png())
    response = await app.test_client().get(
        "/api/users/alice/avatar", headers={"Accept": "application/json"}
    )
    assert response.status_code == 401


async def test_avatar_uploads_are_rate_limited_per_user(
    make_app: AppFactory, data_dir: Path
) -> None:
    app = make_app(rate_limits={"avatar": [2, 3600]})
    async with app.test_app():
        alice = await sign_up(app, "alice")
        bob = await sign_up(app, "bob")
        for _ in range(2):
            assert (await put_avatar(alice, wide_png())).status_code == 200
        [kept] = stored_avatars(data_dir)
        refused = await put_avatar(alice, animated_gif(), "me.gif")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert (await error_message(refused)).startswith(RATE_LIMITED)
        assert stored_avatars(data_dir) == [kept]
        # Bob shares alice's address but not her limit.
        assert (await put_avatar(bob, wide_png())).status_code == 200


# -- POST /api/account/password ------------------------------------------------------------


def change_body(current: str, new: str, confirm: str | None = None) -> dict[str, str]:
    return {
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }


async def change_password(
    user: UserClient, current: str, new: str, confirm: str | None = None
) -> Response:
    return await user.api("POST", "/api/account/password", json=change_body(current, new, confirm))


async def test_wrong_current_password_is_refused_and_audited(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    response = await change_password(alice, "Not-The-Password-1", SECOND_PASSWORD)
    assert response.status_code == 400
    assert await error_message(response) == "Current password is incorrect"
    assert any(
        "event=password_change outcome=failure user=alice" in line for line in audit_lines(data_dir)
    )
    assert await signs_in(app, "alice", GOOD_PASSWORD)
    assert not await signs_in(app, "alice", SECOND_PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("aB1!", "aB1!", "Password must be at least 15 characters"),
        ("a", "b", "Password must be at least 15 characters"),
        ("abcdefghijklmnop", "abcdefghijklmnop", "Password must contain at least one number"),
        (
            "abcdefghijklmnop1",
            "abcdefghijklmnop1",
            "Password must contain at least one uppercase letter",
        ),
        (
            "ABCDEFGHIJKLMNOP1",
            "ABCDEFGHIJKLMNOP1",
            "Password must contain at least one lowercase letter",
        ),
        (
            "ABCDEFGHIJKLMNOp1",
            "ABCDEFGHIJKLMNOp1",
            "Password must contain at least one special character",
        ),
        (SECOND_PASSWORD, THIRD_PASSWORD, "Passwords do not match"),
    ],
)
async def test_new_password_rules_in_order(
    app: Quart, new: str, confirm: str, message: str
) -> None:
    alice = await sign_up(app, "alice")
    response = await change_password(alice, GOOD_PASSWORD, new, confirm)
    assert response.status_code == 400
    assert await error_message(response) == message
    assert await signs_in(app, "alice", GOOD_PASSWORD)


async def test_password_changed_too_recently(make_app: AppFactory) -> None:
    app = make_app(password_min_age_hours=24)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await change_password(alice, GOOD_PASSWORD, SECOND_PASSWORD)
        assert response.status_code == 400
        assert await error_message(response) == (
            "Your password was changed too recently. Try again in about 24 hours."
        )
        assert not await signs_in(app, "alice", SECOND_PASSWORD)


async def test_recent_passwords_cannot_be_reused(make_app: AppFactory) -> None:
    app = make_app(password_history_count=2)
    reuse = "New password must not match any of your last 2 passwords."
    async with app.test_app():
        alice = await sign_up(app, "alice")
        assert (await change_password(alice, GOOD_PASSWORD, SECOND_PASSWORD)).status_code == 200
        for old in (SECOND_PASSWORD, GOOD_PASSWORD):  # the current one, then the previous
            response = await change_password(alice, SECOND_PASSWORD, old)
            assert response.status_code == 400
            assert await error_message(response) == reuse
        assert (await change_password(alice, SECOND_PASSWORD, THIRD_PASSWORD)).status_code == 200
        # GOOD_PASSWORD is now the third-oldest: allowed again.
        response = await change_password(alice, THIRD_PASSWORD, GOOD_PASSWORD)
        assert response.status_code == 200
        assert await signs_in(app, "alice", GOOD_PASSWORD)


async def test_reuse_message_for_a_history_of_one(make_app: AppFactory) -> None:
    app = make_app(password_history_count=1)
    async with app.test_app():
        alice = await sign_up(app, "alice")
        response = await change_password(alice, GOOD_PASSWORD, GOOD_PASSWORD)
        assert response.status_code == 400
        assert await error_message(response) == ("New password must not match your last password.")


async def test_password_change_success(app: Quart, data_dir: Path) -> None:
    auth_db = data_dir / "auth.db"
    alice = await sign_up(app, "alice")
    other, signed_in = await sign_in(app, "alice", GOOD_PASSWORD)
    assert signed_in.status_code == 302
    assert await is_signed_in(other)
    before = {sid for (sid,) in rows(auth_db, "SELECT sid FROM sessions WHERE username = 'alice'")}
    assert len(before) == 2

    response = await change_password(alice, GOOD_PASSWORD, SECOND_PASSWORD)
    assert response.status_code == 200
    assert await response.get_json() == {"ok": True}

    # This tab stays signed in under a new session id; the other tab is signed out.
    assert await is_signed_in(alice)
    after = {sid for (sid,) in rows(auth_db, "SELECT sid FROM sessions WHERE username = 'alice'")}
    assert len(after) == 1
    assert not after & before
    assert not await is_signed_in(other)
    # The CSRF token of this tab still works.
    patched = await alice.api("PATCH", "/api/account", json={"bio": "still here"})
    assert patched.status_code == 200

    assert await signs_in(app, "alice", SECOND_PASSWORD)
    assert not await signs_in(app, "alice", GOOD_PASSWORD)
    assert any(
        "event=password_change outcome=success user=alice" in line for line in audit_lines(data_dir)
    )


async def test_password_change_needs_all_fields(app: Quart) -> None:
    alice = await sign_up(app, "alice")
    response = await alice.api(
        "POST", "/api/account/password", json={"current_password": GOOD_PASSWORD}
    )
    assert response.status_code == 400
    assert await signs_in(app, "alice", GOOD_PASSWORD)


# -- POST /api/account/delete --------------------------------------------------------------


async def delete_account(user: UserClient, mode: str, password: str = GOOD_PASSWORD) -> Response:
    return await user.api("POST", "/api/account/delete", json={"mode": mode, "password": password})


def insert_message(data_dir: Path, sender: str, content: str, channel: str = "general") -> int:
    return execute(
        data_dir / "users" / "messages.db",
        "INSERT INTO messages (channel, sender, content, content_type, ts) "
        "VALUES (?, ?, ?, 'text', ?)",
        (channel, sender, content, time.time()),
    )


@pytest.mark.parametrize("mode", ["", "purge", "SOFT"])
async def test_delete_needs_a_known_mode(app: Quart, mode: str) -> None:
    alice = await sign_up(app, "alice")
    response = await delete_account(alice, mode)
    assert response.status_code == 400
    assert await error_message(response) == "Invalid delete type."
    assert await is_signed_in(alice)


async def test_delete_needs_the_right_password(app: Quart, data_dir: Path) -> None:
    alice = await sign_up(app, "alice")
    response = await delete_account(alice, "hard", "Not-The-Password-1")
    assert response.status_code == 403
    assert await error_message(response) == "Incorrect password."
    assert await is_signed_in(alice)
    assert rows(data_dir / "auth.db", "SELECT 1 FROM users WHERE username = 'alice'") == [(1,)]


async def test_soft_delete(app: Quart, data_dir: Path) -> None:
    auth_db = data_dir / "auth.db"
    messages_db = data_dir / "users" / "messages.db"
    presence_db = data_dir / "presence.db"
    await sign_up(app, "owner")  # the server's admin, so alice may leave
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    other, _ = await sign_in(app, "alice", GOOD_PASSWORD)
    await alice.api("PATCH", "/api/account", json={"name_color": "#112233", "bio": "Hi"})
    assert (await put_avatar(alice, wide_png())).status_code == 200
    [avatar] = stored_avatars(data_dir)
    message_id = insert_message(data_dir, "alice", "remember me")
    execute(
        messages_db,
        "INSERT INTO dm_hidden (user, channel, hidden_ts) VALUES ('alice', 'dm:alice:bob', ?)",
        (time.time(),),
    )
    assert rows(messages_db, "SELECT 1 FROM read_state WHERE user = 'alice'")
    away = await alice.api("PUT", "/api/presence/override", json={"override": "idle"})
    assert away.status_code == 200
    assert rows(presence_db, "SELECT 1 FROM presence WHERE user = 'alice'")

    response = await delete_account(alice, "soft")
    assert response.status_code == 200

    assert rows(
        messages_db, "SELECT sender, content FROM messages WHERE id = ?", (message_id,)
    ) == [("Deleted User", "remember me")]
    assert rows(messages_db, "SELECT 1 FROM messages WHERE sender = 'alice'") == []
    assert rows(messages_db, "SELECT 1 FROM read_state WHERE user = 'alice'") == []
    assert rows(messages_db, "SELECT 1 FROM dm_hidden WHERE user = 'alice'") == []
    assert rows(messages_db, "SELECT 1 FROM read_state WHERE user = 'bob'")
    assert rows(presence_db, "SELECT 1 FROM presence WHERE user = 'alice'") == []
    assert not avatar.exists()
    assert rows(auth_db, "SELECT 1 FROM users WHERE username = 'alice'") == []
    assert rows(auth_db, "SELECT 1 FROM user_settings WHERE username = 'alice'") == []
    assert rows(auth_db, "SELECT 1 FROM sessions WHERE username = 'alice'") == []
    assert rows(auth_db, "SELECT username FROM deleted_usernames") == [("alice",)]
    assert not await is_signed_in(alice)
    assert not await is_signed_in(other)
    assert await is_signed_in(bob)
    assert not await signs_in(app, "alice", GOOD_PASSWORD)
    assert any(
        "event=account_remove outcome=success user=alice" in line and 'detail="type=soft"' in line
        for line in audit_lines(data_dir)
    )


async def test_hard_delete_removes_messages_and_reactions(app: Quart, data_dir: Path) -> None:
    messages_db = data_dir / "users" / "messages.db"
    await sign_up(app, "owner")  # the server's admin, so alice may leave
    alice = await sign_up(app, "alice")
    bob = await sign_up(app, "bob")
    hers = insert_message(data_dir, "alice", "gone soon")
    his = insert_message(data_dir, "bob", "staying")
    execute(
        messages_db,
        "INSERT INTO reactions (message_id, emoji, reactor) VALUES (?, '👍', 'alice')",
        (his,),
    )
    execute(
        messages_db,
        "INSERT INTO reactions (message_id, emoji, reactor) VALUES (?, '🎉', 'bob')",
        (his,),
    )

    response = await delete_account(alice, "hard")
    assert response.status_code == 200

    assert rows(messages_db, "SELECT 1 FROM messages WHERE id = ?", (hers,)) == []
    assert (
        rows(messages_db, "SELECT 1 FROM messages WHERE sender IN ('alice', 'Deleted User')") == []
    )
    assert rows(messages_db, "SELECT content FROM messages WHERE id = ?", (his,)) == [("staying",)]
    assert rows(
        messages_db, "SELECT emoji, reactor FROM reactions WHERE message_id = ?", (his,)
    ) == [("🎉", "bob")]
    assert not await is_signed_in(alice)
    assert await is_signed_in(bob)
    assert any(
        "event=account_remove outcome=success user=alice" in line and 'detail="type=hard"' in line
        for line in audit_lines(data_dir)
    )


@pytest.mark.parametrize("mode", ["soft", "hard"])
@pytest.mark.parametrize("again", ["alice", "ALICE"])
async def test_deleted_username_cannot_be_registered_again(
    app: Quart, data_dir: Path, mode: str, again: str
) -> None:
    await sign_up(app, "owner")  # the server's admin, so alice may leave
    alice = await sign_up(app, "alice")
    assert (await delete_account(alice, mode)).status_code == 200
    browser = await browser_for(app)
    response = await browser.form(
        "/signup",
        {"username": again, "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
    )
    assert response.status_code == 200
    assert "User already exists" in await response.get_data(as_text=True)
    assert rows(data_dir / "auth.db", "SELECT username FROM users") == [("owner",)]


# -- reserved names ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["minimost", "Everyone", "deleteduser", "SYSTEM"])
async def test_reserved_usernames_are_refused_at_sign_up(
    app: Quart, data_dir: Path, name: str
) -> None:
    browser = await browser_for(app)
    response = await browser.form(
        "/signup",
        {"username": name, "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
    )
    assert response.status_code == 200
    page = html.unescape(await response.get_data(as_text=True))
    assert f'"{name}" is a protected username' in page
    assert (
        rows(data_dir / "auth.db", "SELECT 1 FROM users WHERE username = ? COLLATE NOCASE", (name,))
        == []
    )
