"""Persistence behind one interface (:class:`Store`). SQLite now; PostgreSQL slots in behind the same API."""

from __future__ import annotations

from pathlib import Path

from vcnode.store.base import Store
from vcnode.store.records import IdentityRecord, KeyRecord

__all__ = ["IdentityRecord", "KeyRecord", "Store", "open_store"]


async def open_store(database_path: Path) -> Store:
    """Open (creating and migrating as needed) the node's store."""
    from vcnode.store.sqlite import SqliteStore

    store = SqliteStore(database_path)
    await store.open()
    return store
