"""Versioned migrations: numbered modules applied in order, tracked by ``PRAGMA user_version``.

Each migration runs inside one transaction with the version bump, so a failure leaves
the database exactly as it was. Before the first migration touches a database that
already holds data (an install of the original MiniMost), a copy of the file is kept.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_\w+$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[aiosqlite.Connection], Awaitable[None]]


def discover(package: str) -> list[Migration]:
    """Load ``NNNN_description`` modules of a package, each defining ``async migrate(conn)``."""
    module = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(module.__path__):
        match = _MIGRATION_NAME.match(info.name)
        if not match:
            continue
        step = importlib.import_module(f"{package}.{info.name}")
        found.append(Migration(int(match.group(1)), info.name, step.migrate))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations of {package} must be numbered 1..n, found {versions}")
    return found


def backup_path(database: Path, from_version: int) -> Path:
    return database.with_name(f"{database.name}.v{from_version}.bak")


async def apply_migrations(
    connection: aiosqlite.Connection, path: Path, migrations: list[Migration]
) -> int:
    """Bring the database to the newest version; return the version it ends at."""
    current = await _user_version(connection)
    pending = [migration for migration in migrations if migration.version > current]
    if not pending:
        return current
    if await _has_tables(connection):
        target = backup_path(path, current)
        if not target.exists():
            await connection.execute("VACUUM INTO ?", (str(target),))
            log.info("kept a copy of %s before upgrading it: %s", path.name, target)
    for migration in pending:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            await migration.apply(connection)
            await connection.execute(f"PRAGMA user_version = {migration.version}")
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()
        log.info("migrated %s to version %d (%s)", path.name, migration.version, migration.name)
    return pending[-1].version


async def _user_version(connection: aiosqlite.Connection) -> int:
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _has_tables(connection: aiosqlite.Connection) -> bool:
    async with connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1"
    ) as cursor:
        return await cursor.fetchone() is not None


async def column_names(connection: aiosqlite.Connection, table: str) -> list[str]:
    """Column names of a table, for additive ``ALTER TABLE`` steps."""
    async with connection.execute(f"PRAGMA table_info({table})") as cursor:
        return [row[1] for row in await cursor.fetchall()]


async def add_missing_columns(
    connection: aiosqlite.Connection, table: str, columns: list[tuple[str, str]]
) -> list[str]:
    """Add each ``(name, declaration)`` column the table lacks; return the names added."""
    existing = set(await column_names(connection, table))
    added = []
    for name, declaration in columns:
        if name not in existing:
            await connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
            added.append(name)
    return added


async def table_exists(connection: aiosqlite.Connection, name: str) -> bool:
    async with connection.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", (name,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def execute_script(connection: aiosqlite.Connection, script: str) -> None:
    """Run several statements inside the current transaction.

    ``executescript`` would commit the open transaction first, which breaks the promise
    that a failed migration leaves nothing behind.
    """
    for statement in split_statements(script):
        await connection.execute(statement)


def split_statements(script: str) -> list[str]:
    """Split SQL into complete statements (trigger bodies keep their inner semicolons)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer.strip()[:80]}")
    return statements
