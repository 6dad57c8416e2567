"""SQLite storage on aiosqlite: one writer and a reader pool per database file."""

from .database import Database
from .migrate import Migration, discover
from .stores import Stores
from .writes import Changes

__all__ = ["Changes", "Database", "Migration", "Stores", "discover"]
