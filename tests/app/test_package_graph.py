"""How the packages under ``src/minimost/`` may import each other.

The kernel (identity, web, db, realtime) sits below every feature and imports none;
no two packages import each other, even by a detour; a feature's ``store`` module is its
own, so another feature asks it through its actions or hooks instead. Imports under
``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import minimost
from minimost.app import FEATURES

SOURCE = Path(minimost.__file__).resolve().parent
KERNEL = frozenset({"identity", "web", "db", "realtime"})
# Data migrations run once, at upgrade, with what the code of that day offers.
MIGRATIONS = "migrations"


def packages() -> list[str]:
    """The packages, and the modules that sit directly in ``minimost`` beside them."""
    names = {path.parent.name for path in SOURCE.glob("*/__init__.py")}
    names |= {path.stem for path in SOURCE.glob("*.py") if path.stem != "__init__"}
    return sorted(names)


def feature_names() -> frozenset[str]:
    return frozenset(feature.name for feature in FEATURES) - KERNEL


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that can run, skipping ``if TYPE_CHECKING:`` bodies."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                yield from _import_nodes_of(other)
            continue
        yield from _import_nodes_of(node)


def _import_nodes_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _import_nodes(node)


def imported_modules(path: Path) -> Iterator[str]:
    """Full names (``minimost.x.y``) of what the file imports, relative imports resolved."""
    parts = ("minimost", *path.relative_to(SOURCE).with_suffix("").parts)
    package = parts if parts[-1] == "__init__" else parts[:-1]
    package = tuple(part for part in package if part != "__init__")
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        yield from (f"{base}.{alias.name}" for alias in node.names)


def top_package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "minimost" or len(parts) < 2:
        return None
    name = parts[1]
    known = (SOURCE / name / "__init__.py").is_file() or (SOURCE / f"{name}.py").is_file()
    return name if known else None


def package_imports() -> dict[str, dict[str, set[str]]]:
    """For each package, the other packages it imports and the modules it imports of each."""
    graph: dict[str, dict[str, set[str]]] = {name: {} for name in packages()}
    for name in packages():
        folder = SOURCE / name
        for path in folder.rglob("*.py") if folder.is_dir() else [SOURCE / f"{name}.py"]:
            for module in imported_modules(path):
                target = top_package(module)
                if target is not None and target != name:
                    graph[name].setdefault(target, set()).add(module)
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """One path for each package that can reach itself again through others' imports."""
    found: list[list[str]] = []
    for start in sorted(graph):
        trail: dict[str, str] = {}
        frontier = [start]
        while frontier:
            here = frontier.pop()
            for there in sorted(graph[here]):
                if there == start:
                    path = [here]
                    while path[-1] != start:
                        path.append(trail[path[-1]])
                    found.append([start, *reversed(path[:-1]), start])
                    frontier = []
                    break
                if there not in trail and there != start:
                    trail[there] = here
                    frontier.append(there)
    return found


def test_no_package_reaches_itself_through_imports() -> None:
    graph = package_imports()
    for target in ("auth", "db"):
        graph[MIGRATIONS].pop(target, None)
    found = cycles(graph)
    assert found == [], "import cycles between packages:\n" + "\n".join(
        " -> ".join(cycle) for cycle in found
    )


def test_the_kernel_imports_no_feature() -> None:
    graph = package_imports()
    features = feature_names()
    assert set(graph) >= KERNEL, f"kernel packages missing: {sorted(KERNEL - set(graph))}"
    offenders = sorted(
        f"{kernel} imports {name}"
        for kernel in KERNEL
        for name in graph[kernel]
        if name in features
    )
    assert offenders == []


def test_no_feature_imports_another_features_store() -> None:
    graph = package_imports()
    features = feature_names()
    offenders = sorted(
        f"{name} imports {module}"
        for name in features
        for target, modules in graph[name].items()
        if target in features
        for module in modules
        if module.split(".")[2:3] == ["store"]
    )
    assert offenders == []


def test_features_reach_accounts_through_identity_not_auth() -> None:
    graph = package_imports()
    offenders = sorted(name for name in feature_names() - {"auth"} if "auth" in graph.get(name, {}))
    assert offenders == []


def test_the_graph_sees_a_cycle_and_a_store_reach() -> None:
    """The checks above would also pass on a graph they cannot read: show they read one."""
    graph = package_imports()
    assert "runtime" in graph["auth"]
    looped = {"a": {"b": {"minimost.b.store"}}, "b": {"c": set()}, "c": {"a": set()}}
    assert cycles(looped)[0] == ["a", "b", "c", "a"]
