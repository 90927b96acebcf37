"""Persistence behind one interface (:class:`Store`). SQLite now; PostgreSQL slots in behind the same API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vcnode.identity.records import IdentityRecord, KeyRecord
from vcnode.store.base import Store

if TYPE_CHECKING:  # only annotations: the store's adapters implement these domain ports
    from vcnode.anchor.store import AnchorStore
    from vcnode.feed.log import ChangeLog
    from vcnode.trust.pending import PendingStatements

__all__ = ["IdentityRecord", "KeyRecord", "Store", "anchor_store_for", "change_log_for", "open_store",
           "pending_store_for"]


async def open_store(database_path: Path, *, min_free: int = 0) -> Store:
    """Open (creating and migrating as needed) the node's store; writes are refused (``storageFull``) when
    ``min_free`` bytes or fewer are left on its disk."""
    from vcnode.store.sqlite import SqliteStore

    store = SqliteStore(database_path, min_free=min_free)
    await store.open()
    return store


def anchor_store_for(store: Store) -> AnchorStore:
    """The anchor log store that lives beside ``store`` (the same database)."""
    from vcnode.store.anchors import SqliteAnchorStore
    from vcnode.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        raise TypeError(f"no anchor store for {type(store).__name__}")
    return SqliteAnchorStore(store)


def pending_store_for(store: Store) -> PendingStatements:
    """The notes of trust statements not yet known to be anchored, beside ``store`` (the same database)."""
    from vcnode.store.sqlite import SqliteStore
    from vcnode.store.trust_pending import SqlitePendingStatements

    if not isinstance(store, SqliteStore):
        raise TypeError(f"no pending statement store for {type(store).__name__}")
    return SqlitePendingStatements(store)


def change_log_for(store: Store) -> ChangeLog:
    """The log of change events the change feed follows, beside ``store`` (the same database)."""
    from vcnode.store.changes import SqliteChangeLog
    from vcnode.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        raise TypeError(f"no change log for {type(store).__name__}")
    return SqliteChangeLog(store)
