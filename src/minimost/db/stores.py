"""The three databases MiniMost keeps, opened together and closed together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ..paths import DataRoot
from .database import Database
from .migrate import discover


@dataclass
class Stores:
    auth: Database
    presence: Database
    messages: Database

    @classmethod
    def for_data_root(cls, data_root: DataRoot) -> Stores:
        return cls(
            auth=Database(
                data_root.auth_db,
                discover("minimost.migrations.auth"),
                incremental_vacuum=False,
            ),
            presence=Database(data_root.presence_db, discover("minimost.migrations.presence")),
            messages=Database(data_root.messages_db, discover("minimost.migrations.messages")),
        )

    @property
    def all(self) -> tuple[Database, ...]:
        return (self.auth, self.presence, self.messages)

    async def open(self) -> None:
        """Open (and migrate) every database; on failure close what was opened."""
        try:
            for database in self.all:
                await database.open()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for database in reversed(self.all):
            await database.close()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[Stores]:
        """Keep the stores open for as long as the app serves."""
        await self.open()
        try:
            yield self
        finally:
            await self.close()
