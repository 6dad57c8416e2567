"""Secrets shared by every worker: the key that signs session cookies."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret_key(path: Path) -> str:
    """Read ``secret.key``, creating it once (64 hex chars, mode 0600) if missing.

    Created with ``O_EXCL`` so two workers starting together agree on one key; an
    existing key is reused as is, so sessions signed by an earlier MiniMost stay valid.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it to have a new key created")
    return key
