"""The change feed's log in the node's SQLite database (migration 0019; see :mod:`vcnode.feed`). The store's
writers call :func:`append` inside the transaction of the change they describe."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiosqlite

from vcnode.feed.events import ChangeEvent, decode, encode
from vcnode.feed.log import Change

if TYPE_CHECKING:
    from vcnode.store.sqlite import SqliteStore

#: The meta key holding the highest pruned seq (the feed's horizon).
PRUNED_KEY = "change_events_pruned"
_PROCESS = secrets.token_hex(8)


def origin_of(db: aiosqlite.Connection) -> str:
    """Who writes through ``db``: this process and this connection (two stores opened by one process, as the
    tests do, are two origins)."""
    return f"{_PROCESS}-{id(db):x}"


async def append(db: aiosqlite.Connection, *events: ChangeEvent) -> None:
    """Record ``events`` in the caller's open transaction on ``db``."""
    at, origin = datetime.now(UTC).isoformat(), origin_of(db)
    await db.executemany("INSERT INTO change_events (kind, subject, origin, at) VALUES (?, ?, ?, ?)",
                         [(*encode(event), origin, at) for event in events])


async def prune(store: SqliteStore, before: datetime, limit: int = 10_000) -> int:
    """Delete up to ``limit`` events recorded before ``before``, oldest first, raising the horizon past them;
    how many."""
    async with store.transaction() as db:
        rows = await db.execute_fetchall("SELECT seq FROM change_events WHERE at < ? ORDER BY seq LIMIT ?",
                                         (before.astimezone(UTC).isoformat(), limit))
        if not rows:
            return 0
        last = max(row[0] for row in rows)
        # Everything up to the last one goes: the feed's horizon is a number, so no older event may stay.
        cursor = await db.execute("DELETE FROM change_events WHERE seq <= ?", (last,))
        await db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                         "value = excluded.value WHERE CAST(excluded.value AS INTEGER) > CAST(meta.value AS INTEGER)",
                         (PRUNED_KEY, str(last)))
        return cursor.rowcount


class SqliteChangeLog:
    """A :class:`vcnode.feed.log.ChangeLog` sharing the node's SQLite connection."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.origin = origin_of(store.db)

    async def append(self, transaction: aiosqlite.Connection, events: Sequence[ChangeEvent]) -> None:
        await append(transaction, *events)

    async def after(self, seq: int, limit: int) -> list[Change]:
        rows = await self._store.db.execute_fetchall("SELECT seq, kind, subject, origin FROM change_events "
                                                     "WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return [Change(row[0], decode(row[1], row[2]), row[3]) for row in rows]

    async def newest(self) -> int:
        # sqlite_sequence keeps the last number handed out even when every row was pruned.
        rows = await self._store.db.execute_fetchall("SELECT seq FROM sqlite_sequence WHERE name = 'change_events'")
        return int(next(iter(rows))[0]) if rows else 0

    async def horizon(self) -> int:
        value = await self._store.get_meta(PRUNED_KEY)
        return int(value) if value else 0
