"""Password and username rules, with the exact wording users already know.

Hashing stays with ``werkzeug.security`` so every format an older MiniMost stored
(``scrypt:…``, ``pbkdf2:sha256:…``) still verifies. Hashing costs tens of
milliseconds of CPU, so the async helpers run it in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from ..settings import Settings

MAX_PASSWORD_LENGTH = 1024
MIN_PASSWORD_FLOOR = 15
SPECIAL_CHARACTERS = "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~"
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
RESERVED_USERNAMES = frozenset({"minimost", "everyone", "deleteduser", "system"})


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    history_count: int
    min_age_hours: float
    max_age_days: float

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        return cls(
            min_length=max(MIN_PASSWORD_FLOOR, settings.password_min_length),
            history_count=settings.password_history_count,
            min_age_hours=settings.password_min_age_hours,
            max_age_days=settings.password_max_age_days,
        )

    def rule_failure(self, password: str) -> str | None:
        """The first rule the password breaks, in the order users have always seen."""
        if len(password) < self.min_length:
            return f"Password must be at least {self.min_length} characters"
        if len(password) > MAX_PASSWORD_LENGTH:
            return f"Password must be at most {MAX_PASSWORD_LENGTH} characters"
        if not re.search(r"\d", password):
            return "Password must contain at least one number"
        if not re.search(r"[A-Z]", password):
            return "Password must contain at least one uppercase letter"
        if not re.search(r"[a-z]", password):
            return "Password must contain at least one lowercase letter"
        if not any(character in SPECIAL_CHARACTERS for character in password):
            return "Password must contain at least one special character"
        return None

    def new_password_failure(self, password: str, confirm: str) -> str | None:
        return self.rule_failure(password) or (
            "Passwords do not match" if password != confirm else None
        )

    def reuse_message(self) -> str:
        if self.history_count == 1:
            return "New password must not match your last password."
        return f"New password must not match any of your last {self.history_count} passwords."

    def too_recent_message(self, password_set_ts: float | None, now: float) -> str | None:
        """Refuse a user's own change while the current password is younger than the minimum."""
        if self.min_age_hours <= 0 or password_set_ts is None:
            return None
        remaining = self.min_age_hours * 3600 - (now - password_set_ts)
        if remaining <= 0:
            return None
        hours = max(1, math.ceil(remaining / 3600))
        unit = "hour" if hours == 1 else "hours"
        return f"Your password was changed too recently. Try again in about {hours} {unit}."

    def is_expired(self, password_set_ts: float | None, now: float) -> bool:
        if self.max_age_days <= 0 or password_set_ts is None:
            return False
        return now - password_set_ts > self.max_age_days * 86400


def username_failure(username: str) -> str | None:
    """Why a name cannot be registered (before the duplicate check), or None."""
    if username.casefold() in RESERVED_USERNAMES:
        return f'"{username}" is a protected username'
    if not USERNAME_PATTERN.fullmatch(username):
        return (
            "Username may only contain letters, numbers, hyphens, and underscores (1–32 characters)"
        )
    return None


def lockout_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Account locked due to too many failed login attempts. Try again in {minutes} {unit}."


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return check_password_hash(stored_hash, password)
    except (ValueError, TypeError):
        return False


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(stored_hash: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password, stored_hash, password)


async def matches_any_async(hashes: list[str], password: str) -> bool:
    """Whether the password verifies against any of the given hashes (reuse check)."""
    return await asyncio.to_thread(
        lambda: any(verify_password(stored, password) for stored in hashes)
    )
