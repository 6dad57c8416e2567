"""The suite's layout: tests live in feature folders, and shared code lives outside tests.

A test module that imports another runs the other's module-level code and fixtures in
its place, and breaks when the other moves; what several modules share lives in
``tests/helpers/`` (or a ``conftest.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> Iterator[str]:
    """Every module an ``import`` anywhere in the file names, relative ones resolved."""
    package = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def is_test_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "tests" and parts[-1].startswith("test_")


def test_no_module_under_tests_imports_a_test_module() -> None:
    offenders = sorted(
        f"{path.relative_to(TESTS.parent)} imports {module}"
        for path in TESTS.rglob("*.py")
        for module in imported_modules(path)
        if is_test_module(module)
    )
    assert offenders == [], "move what is shared into tests/helpers/:\n" + "\n".join(offenders)


def test_every_test_module_sits_in_a_feature_folder() -> None:
    loose = sorted(path.name for path in TESTS.glob("test_*.py"))
    assert loose == [], f"put these in the folder of the feature they test: {loose}"
