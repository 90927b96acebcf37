"""The change feed's log in the node's database (migration 0019; see :mod:`vcnode.feed`). The store's writers
record events with :meth:`vcnode.store.sql.SqlStore.record` inside the transaction of the change they
describe; this module reads them and prunes them, the same SQL for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vcnode.feed.events import ChangeEvent, decode, encode
from vcnode.feed.log import Change

if TYPE_CHECKING:
    from vcnode.store.sql import Connection, SqlStore

#: The meta key holding the highest pruned seq (the feed's horizon).
PRUNED_KEY = "change_events_pruned"


async def append(db: Connection, origin: str, now: datetime, *events: ChangeEvent) -> None:
    """Record ``events`` written by ``origin`` at ``now`` in the caller's open transaction on ``db``."""
    at = now.astimezone(UTC).isoformat()
    await db.executemany("INSERT INTO change_events (kind, subject, origin, at) VALUES (?, ?, ?, ?)",
                         [(*encode(event), origin, at) for event in events])


async def prune(store: SqlStore, before: datetime, limit: int = 10_000) -> int:
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
                         "value = excluded.value WHERE CAST(excluded.value AS BIGINT) > CAST(meta.value AS BIGINT)",
                         (PRUNED_KEY, str(last)))
        return cursor.rowcount


class SqlChangeLog:
    """A :class:`vcnode.feed.log.ChangeLog` in the node's store. ``origin`` names the store's writer, so a
    process skips the events its own caches already followed."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self.origin = store.origin

    async def append(self, transaction: Any, events: Sequence[ChangeEvent]) -> None:
        await self._store.record(transaction, *events)

    async def after(self, seq: int, limit: int) -> list[Change]:
        rows = await self._store.db.execute_fetchall("SELECT seq, kind, subject, origin FROM change_events "
                                                     "WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return [Change(row[0], decode(row[1], row[2]), row[3]) for row in rows]

    async def newest(self) -> int:
        # With every event pruned, the horizon is the last number handed out.
        rows = await self._store.db.execute_fetchall("SELECT MAX(seq) FROM change_events")
        newest = next(iter(rows))[0]
        return int(newest) if newest is not None else await self.horizon()

    async def horizon(self) -> int:
        value = await self._store.get_meta(PRUNED_KEY)
        return int(value) if value else 0
