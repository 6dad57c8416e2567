"""Declared shapes of the account API's requests and answers (see ``..schemas``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..web.schemas import RequestBody, ResponseBody


class ProfileChange(RequestBody):
    """Both fields are replaced: a missing or null field clears it."""

    name_color: str | None = Field(None, description="A colour like #3a7bf0.")
    bio: str | None = Field(None, description="A short text about you.")


class AvatarForm(RequestBody):
    avatar: bytes = Field(description="A JPEG, PNG, GIF, WebP or BMP image, stored as a JPEG.")


class PasswordChange(RequestBody):
    current_password: str
    new_password: str
    confirm_password: str


class AccountDeletion(RequestBody):
    mode: str = Field(
        description='"soft" keeps your messages as "Deleted User"; "hard" deletes them too.',
        json_schema_extra={"enum": ["soft", "hard"]},
    )
    password: str


Role = Literal["admin", "member"]
ROLE_DESCRIPTION = "Admins administer the server; everyone else is a member."


class Account(ResponseBody):
    username: str
    name_color: str | None
    bio: str | None
    avatar_url: str | None
    role: Role = Field(description=ROLE_DESCRIPTION)


class AvatarUploaded(ResponseBody):
    avatar_url: str


class DirectoryEntry(ResponseBody):
    """Someone's public profile."""

    username: str
    name_color: str | None
    bio: str | None
    avatar_url: str | None
    role: Role = Field(description=ROLE_DESCRIPTION)


class UserDirectory(ResponseBody):
    users: list[DirectoryEntry] = Field(description="Every account, for pickers and lists.")


class Person(ResponseBody):
    """An account as the people list shows it to admins."""

    username: str
    role: Role = Field(description=ROLE_DESCRIPTION)
    last_seen: float | None = Field(
        description="When one of their open sessions was last active (Unix seconds)."
    )
    open_sessions: int = Field(description="Sessions signed in and not yet idle too long.")


class People(ResponseBody):
    people: list[Person] = Field(description="Every account, in the order they signed up.")


class RoleShown(ResponseBody):
    username: str
    role: Role = Field(description=ROLE_DESCRIPTION)
