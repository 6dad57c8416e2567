"""The password rules in their fixed order, username rules, and avatar re-encoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from minimost.auth.avatars import AVATAR_SIZE, AvatarError, normalize_avatar
from minimost.auth.passwords import PasswordPolicy, lockout_message, username_failure

POLICY = PasswordPolicy(min_length=15, history_count=5, min_age_hours=24, max_age_days=60)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Aa1!", "Password must be at least 15 characters"),
        ("Aa1!" * 257, "Password must be at most 1024 characters"),
        ("Abcdefghijklmno!", "Password must contain at least one number"),
        ("abcdefghijklmn1!", "Password must contain at least one uppercase letter"),
        ("ABCDEFGHIJKLMN1!", "Password must contain at least one lowercase letter"),
        ("Abcdefghijklmn12", "Password must contain at least one special character"),
        ("Abcdefghijklm1~x", None),
    ],
)
def test_rules_apply_in_order_with_the_known_wording(password: str, message: str | None) -> None:
    assert POLICY.rule_failure(password) == message


def test_mismatch_is_reported_only_after_the_rules() -> None:
    assert POLICY.new_password_failure("short", "other") == (
        "Password must be at least 15 characters"
    )
    assert POLICY.new_password_failure("Abcdefghijklm1~x", "Abcdefghijklm1~y") == (
        "Passwords do not match"
    )


def test_minimum_length_can_only_be_raised() -> None:
    raised = PasswordPolicy(min_length=20, history_count=0, min_age_hours=0, max_age_days=0)
    assert raised.rule_failure("Abcdefghijklm1~x") == "Password must be at least 20 characters"


def test_minimum_age_rounds_the_wait_up_to_whole_hours() -> None:
    now = 1_000_000.0
    assert POLICY.too_recent_message(now - 3600 * 23.5, now) == (
        "Your password was changed too recently. Try again in about 1 hour."
    )
    assert POLICY.too_recent_message(now - 60, now) == (
        "Your password was changed too recently. Try again in about 24 hours."
    )
    assert POLICY.too_recent_message(now - 3600 * 24, now) is None
    assert POLICY.too_recent_message(None, now) is None


def test_maximum_age() -> None:
    now = 10_000_000.0
    assert POLICY.is_expired(now - 61 * 86400, now)
    assert not POLICY.is_expired(now - 59 * 86400, now)
    assert not POLICY.is_expired(None, now)


@pytest.mark.parametrize(
    ("name", "failure"),
    [
        ("alice", None),
        ("a_b-C9", None),
        ("x" * 32, None),
        ("x" * 33, "Username may only contain letters"),
        ("al ice", "Username may only contain letters"),
        ("alicé", "Username may only contain letters"),
        ("MiniMost", '"MiniMost" is a protected username'),
        ("deleteduser", '"deleteduser" is a protected username'),
        ("System", '"System" is a protected username'),
    ],
)
def test_usernames(name: str, failure: str | None) -> None:
    result = username_failure(name)
    assert (result is None) if failure is None else result.startswith(failure)


def test_lockout_wording() -> None:
    assert lockout_message(1).endswith("Try again in 1 minute.")
    assert lockout_message(15).endswith("Try again in 15 minutes.")


def image_bytes(size: tuple[int, int], fmt: str, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_avatars_become_square_jpegs(fmt: str) -> None:
    result = Image.open(io.BytesIO(normalize_avatar(image_bytes((300, 120), fmt))))
    assert result.format == "JPEG"
    assert result.size == (AVATAR_SIZE, AVATAR_SIZE)


def test_avatar_crop_keeps_the_centre() -> None:
    wide = Image.new("RGB", (300, 100), "blue")
    wide.paste(Image.new("RGB", (100, 100), "white"), (100, 0))
    out = io.BytesIO()
    wide.save(out, format="PNG")
    result = Image.open(io.BytesIO(normalize_avatar(out.getvalue())))
    red, green, blue = result.getpixel((AVATAR_SIZE // 2, AVATAR_SIZE // 2))
    assert min(red, green, blue) > 200, "the centre of the picture stays in view"


def test_avatar_drops_trailing_payload_and_metadata() -> None:
    data = image_bytes((64, 64), "PNG") + b"<script>alert(1)</script>"
    assert b"<script>" not in normalize_avatar(data)


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", image_bytes((64, 64), "PNG")[:60], b"GIF89a" + b"\x00" * 20],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(AvatarError):
        normalize_avatar(data)
