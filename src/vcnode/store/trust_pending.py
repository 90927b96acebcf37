"""The notes of trust statements not yet known to be anchored, in the node's SQLite database (migration
0018; see :mod:`vcnode.trust.pending`). ``SqlAnchorStore.append`` deletes a note in the transaction that
anchors its statement."""

from __future__ import annotations

from vcnode.store.sql import SqlStore
from vcnode.trust.pending import PendingStatement


class SqlPendingStatements:
    """A :class:`vcnode.trust.pending.PendingStatements` sharing the node's SQLite connection."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def note(self, statement_id: str, issuer: str, noted: float) -> None:
        async with self._store.transaction() as db:
            await db.execute("INSERT INTO trust_pending (statement_id, issuer, noted) VALUES (?, ?, ?) "
                             "ON CONFLICT (statement_id) DO UPDATE SET issuer = excluded.issuer, "
                             "noted = excluded.noted", (statement_id, issuer, noted))

    async def pending(self) -> list[PendingStatement]:
        async with self._store.db.execute("SELECT statement_id, issuer, noted FROM trust_pending "
                                          "ORDER BY noted, statement_id") as cursor:
            return [PendingStatement(row[0], row[1], float(row[2])) async for row in cursor]

    async def settle(self, statement_id: str) -> None:
        async with self._store.transaction() as db:
            await db.execute("DELETE FROM trust_pending WHERE statement_id = ?", (statement_id,))

    async def forget(self, note: PendingStatement) -> bool:
        async with self._store.transaction() as db:  # compare-and-set: not if another process renewed it
            cursor = await db.execute("DELETE FROM trust_pending WHERE statement_id = ? AND noted = ?",
                                      (note.statement_id, note.noted))
            return cursor.rowcount == 1
