"""Template context shared by every page, and cache-busted static URLs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from quart import Quart, url_for

from .runtime import Runtime
from .web.guards import csrf_token

MAX_MESSAGE_CHARS = 10_000


class AssetHashes:
    """Content hashes of static files, recomputed only when a file changes.

    The ``?v=`` token is a content hash, never a timestamp, so every worker and every
    restart hands browsers the same URL for the same bytes.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, tuple[int, int, str]] = {}

    def token(self, filename: str) -> str:
        path = (self.root / filename).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"{filename!r} is outside the static folder")
        stat = path.stat()
        cached = self._cache.get(filename)
        if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._cache[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def register_assets(app: Quart, runtime: Runtime) -> None:
    """Make ``asset_url``, ``app_version`` and the limits available to every template."""
    assert app.static_folder is not None
    hashes = AssetHashes(Path(app.static_folder))

    def asset_url(filename: str) -> str:
        return url_for("static", filename=filename, v=hashes.token(filename))

    @app.context_processor
    async def page_context() -> dict[str, Any]:
        settings = runtime.settings
        return {
            "app_version": runtime.version,
            "asset_url": asset_url,
            "max_upload_mb": settings.max_upload_size_mb,
            "max_avatar_mb": settings.max_avatar_size_mb,
            "max_message_chars": MAX_MESSAGE_CHARS,
            "stun_port": stun.port if (stun := runtime.services.stun) else settings.stun_port,
            "csrf_token": csrf_token,
            "password_min_length": max(15, settings.password_min_length),
        }
