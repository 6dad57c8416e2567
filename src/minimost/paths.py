"""Where MiniMost keeps things: the shipped resources and the admin's data root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_ROOT = PACKAGE_DIR.parents[1]


def running_from_checkout() -> bool:
    """True when imported from a source tree (editable install or PYTHONPATH=src)."""
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (
        CHECKOUT_ROOT / "src" / "minimost"
    ).resolve() == PACKAGE_DIR


def resource_dir() -> Path:
    """Directory holding templates/, static/, settings.json and hypercorn.toml.

    A wheel carries them inside the package; a checkout keeps them at its top level.
    """
    if (PACKAGE_DIR / "templates").is_dir():
        return PACKAGE_DIR
    return CHECKOUT_ROOT


def default_data_dir() -> Path:
    """The data root when ``MINIMOST_DATA_DIR`` is not set.

    From a checkout this is the checkout root, as in earlier MiniMost releases, so an
    existing install keeps its data. An installed package has no checkout, so it uses the
    user's data directory instead of writing into site-packages.
    """
    if running_from_checkout():
        return CHECKOUT_ROOT
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "minimost"


@dataclass(frozen=True)
class DataRoot:
    """The admin's data directory and the fixed file names inside it."""

    path: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> DataRoot:
        """Pick the data root (argument, then ``MINIMOST_DATA_DIR``, then the default)."""
        if explicit is not None:
            chosen = Path(explicit)
        elif os.environ.get("MINIMOST_DATA_DIR"):
            chosen = Path(os.environ["MINIMOST_DATA_DIR"])
        else:
            chosen = default_data_dir()
        return cls(chosen.expanduser().resolve())

    def prepare(self) -> None:
        """Create the data root and its sub-directories if missing."""
        for directory in (self.path, self.users_dir, self.uploads_dir, self.avatars_dir):
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def secret_key_file(self) -> Path:
        return self.path / "secret.key"

    @property
    def settings_file(self) -> Path:
        return self.path / "settings.json"

    @property
    def auth_db(self) -> Path:
        return self.path / "auth.db"

    @property
    def presence_db(self) -> Path:
        return self.path / "presence.db"

    @property
    def users_dir(self) -> Path:
        return self.path / "users"

    @property
    def messages_db(self) -> Path:
        return self.users_dir / "messages.db"

    @property
    def uploads_dir(self) -> Path:
        return self.path / "uploads"

    @property
    def avatars_dir(self) -> Path:
        return self.path / "avatars"

    @property
    def audit_log(self) -> Path:
        return self.path / "audit.log"

    @property
    def ca_cert(self) -> Path:
        return self.path / "ca.pem"
