"""The message store speaks SQL only: turning rows into what clients see lives elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import minimost.chat.messages.store as store

PRESENTATION = {"markdown", "message_cache", "uploads", "older_html", "jsoncodec"}


def test_the_store_imports_no_rendering_caching_or_upload_module() -> None:
    tree = ast.parse(Path(store.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.update((node.module or "").split("."))
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported.update(alias.name.split("."))
    assert not imported & PRESENTATION, sorted(imported & PRESENTATION)
