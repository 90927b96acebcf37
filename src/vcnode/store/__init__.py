"""Persistence behind one interface (:class:`Store`): embedded SQLite (the default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from vcnode.clock import SYSTEM_CLOCK, Clock
from vcnode.identity.records import IdentityRecord, KeyRecord
from vcnode.store.base import Store
from vcnode.store.sql import SqlStore

if TYPE_CHECKING:  # only annotations: the store's adapters implement these domain ports
    from vcnode.anchor.store import AnchorStore
    from vcnode.feed.log import ChangeLog
    from vcnode.trust.pending import PendingStatements

__all__ = [
    "IdentityRecord",
    "KeyRecord",
    "Store",
    "anchor_store_for",
    "change_log_for",
    "is_postgres_url",
    "open_store",
    "pending_store_for",
    "shown_url",
]


async def open_store(location: Path | str, *, min_free: int = 0, pool_size: int = 10,
                     clock: Clock = SYSTEM_CLOCK) -> Store:
    """Open (creating and migrating as needed) the node's store: a ``postgresql://`` URL, or the path of an
    SQLite file, whose writes are refused (``storageFull``) when ``min_free`` bytes or fewer are left on its
    disk. ``pool_size``: the most connections a PostgreSQL store opens; ``clock`` dates the rows the store dates
    itself."""
    store: SqlStore
    if is_postgres_url(location):
        from vcnode.store.postgres import PostgresStore

        store = PostgresStore(str(location), max_size=pool_size)
    else:
        from vcnode.store.sqlite import SqliteStore

        store = SqliteStore(Path(location), min_free=min_free)
    store.clock = clock
    await store.open()
    return store


def is_postgres_url(location: Path | str) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than an SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def shown_url(url: str) -> str:
    """A store URL fit to print: its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def anchor_store_for(store: Store) -> AnchorStore:
    """The anchor log store that lives beside ``store`` (the same database)."""
    from vcnode.store.anchors import SqlAnchorStore

    if not isinstance(store, SqlStore):
        raise TypeError(f"no anchor store for {type(store).__name__}")
    return SqlAnchorStore(store)


def pending_store_for(store: Store) -> PendingStatements:
    """The notes of trust statements not yet known to be anchored, beside ``store`` (the same database)."""
    from vcnode.store.trust_pending import SqlPendingStatements

    if not isinstance(store, SqlStore):
        raise TypeError(f"no pending statement store for {type(store).__name__}")
    return SqlPendingStatements(store)


def change_log_for(store: Store) -> ChangeLog:
    """The log of change events the change feed follows, beside ``store`` (the same database)."""
    from vcnode.store.changes import SqlChangeLog

    if not isinstance(store, SqlStore):
        raise TypeError(f"no change log for {type(store).__name__}")
    return SqlChangeLog(store)
