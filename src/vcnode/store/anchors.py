"""Anchor logs and the peer table in the node's SQLite database (see vcnode.anchor.store.AnchorStore)."""

from __future__ import annotations

from typing import Any

import orjson

from vcnode.anchor.entries import position
from vcnode.anchor.statements import PUBLISHED, TRUST_STATEMENT_PUBLISHED
from vcnode.anchor.store import MAX_ANNOUNCERS, AnnouncedHead, ListAnchor, StoredEntry
from vcnode.feed.events import EquivocationFound, LogGrew, StatementPublished
from vcnode.store.sql import SqlStore


class SqlAnchorStore:
    """An :class:`vcnode.anchor.store.AnchorStore` sharing the node's SQLite connection and write lock."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def _one(self, sql: str, args: tuple) -> Any:
        async with self._store.db.execute(sql, args) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, args: tuple = ()) -> list[Any]:
        async with self._store.db.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    async def head(self, log: str) -> dict[str, Any] | None:
        row = await self._one("SELECT document FROM anchor_heads WHERE log = ?", (log,))
        return orjson.loads(row[0]) if row else None

    async def heads(self) -> list[dict[str, Any]]:
        return [orjson.loads(row[0]) for row in await self._all("SELECT document FROM anchor_heads ORDER BY log")]

    async def entry(self, log: str, seq: int) -> StoredEntry | None:
        row = await self._one("SELECT cid, document FROM anchor_entries WHERE log = ? AND seq = ?", (log, seq))
        return StoredEntry(log, seq, row[0], orjson.loads(row[1])) if row else None

    async def entries(self, log: str, from_seq: int, limit: int) -> list[StoredEntry]:
        rows = await self._all("SELECT seq, cid, document FROM anchor_entries WHERE log = ? AND seq >= ? "
                               "ORDER BY seq LIMIT ?", (log, from_seq, limit))
        return [StoredEntry(log, row[0], row[1], orjson.loads(row[2])) for row in rows]

    async def append(self, entries: list[StoredEntry], head: dict[str, Any], blobs: dict[str, bytes], *,
                     expect: int | None = None) -> bool:
        try:
            return await self._append(entries, head, blobs, expect)
        except self._store.integrity_errors:
            if expect is None:
                raise
            return False  # another process appended the same position first (a log's first entry)

    async def _append(self, entries: list[StoredEntry], head: dict[str, Any], blobs: dict[str, bytes],
                      expect: int | None) -> bool:
        log, seq, _ = position(head)
        async with self._store.transaction() as db:
            if expect is not None:
                # The compare-and-set on the head: SQLite's BEGIN IMMEDIATE holds the write lock, PostgreSQL
                # locks the head's row, so no other process can move the head between this read and the
                # writes below. A log without a head has no row to lock: two first appends meet at the
                # entries' primary key instead.
                async with db.execute(f"SELECT seq FROM anchor_heads WHERE log = ?{self._store.lock()}",
                                      (log,)) as cursor:
                    row = await cursor.fetchone()
                if (int(row[0]) if row else 0) != expect:
                    return False
            await db.executemany("INSERT INTO anchor_entries (log, seq, cid, document) VALUES (?, ?, ?, ?)",
                                 [(e.log, e.seq, e.cid, orjson.dumps(e.document).decode()) for e in entries])
            await db.executemany("INSERT INTO anchor_blobs (cid, log, data) VALUES (?, ?, ?) "
                                 "ON CONFLICT DO NOTHING",
                                 [(cid, log, data) for cid, data in blobs.items()])
            for e in entries:
                statement = e.document["statement"]
                if statement.get("type") in PUBLISHED:
                    async with db.execute("SELECT payload FROM anchor_published WHERE url = ? AND log = ?",
                                          (statement["url"], e.log)) as cursor:
                        old = await cursor.fetchone()
                    await db.execute("INSERT INTO anchor_published (url, log, kind, seq, version, payload, time) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url, log) DO UPDATE SET "
                                     "kind = excluded.kind, seq = excluded.seq, version = excluded.version, "
                                     "payload = excluded.payload, time = excluded.time "
                                     "WHERE excluded.seq > anchor_published.seq",
                                     (statement["url"], e.log, statement["type"], e.seq, statement["version"],
                                      statement["payload"], e.document["time"]))
                    if old is not None and old[0] != statement["payload"]:  # evict the superseded payload
                        await db.execute("DELETE FROM anchor_blobs WHERE cid = ? AND cid NOT IN "
                                         "(SELECT payload FROM anchor_published)", (old[0],))
                if statement.get("type") == TRUST_STATEMENT_PUBLISHED:  # anchored: no longer pending
                    await db.execute("DELETE FROM trust_pending WHERE statement_id = ? AND issuer = ?",
                                     (statement.get("url"), e.log))
                    await self._store.record(db, StatementPublished(e.log, str(statement.get("url"))))
            await db.execute("INSERT INTO anchor_heads (log, seq, document) VALUES (?, ?, ?) ON CONFLICT (log) "
                             "DO UPDATE SET seq = excluded.seq, document = excluded.document",
                             (log, seq, orjson.dumps(head).decode()))
            await db.execute("DELETE FROM anchor_announced WHERE log = ? AND seq <= ?", (log, seq))
            await self._store.record(db, LogGrew(log, seq))
        return True

    async def blob(self, cid: str) -> bytes | None:
        row = await self._one("SELECT data FROM anchor_blobs WHERE cid = ?", (cid,))
        return bytes(row[0]) if row else None

    async def list_anchor(self, url: str, log: str | None = None) -> ListAnchor | None:
        where, args = ("url = ? AND log = ?", (url, log)) if log is not None else ("url = ?", (url,))
        row = await self._one(f"SELECT log, seq, version, payload, time FROM anchor_published WHERE {where} "
                              "ORDER BY time DESC, seq DESC LIMIT 1", args)
        return ListAnchor(*row) if row else None

    async def anchored(self, kind: str, log: str | None = None) -> list[tuple[str, ListAnchor]]:
        where, args = ("kind = ? AND log = ?", (kind, log)) if log is not None else ("kind = ?", (kind,))
        rows = await self._all(f"SELECT url, log, seq, version, payload, time FROM anchor_published WHERE {where} "
                               "ORDER BY log, url", args)
        return [(row[0], ListAnchor(*row[1:])) for row in rows]

    async def add_witness(self, statement: dict[str, Any]) -> bool:
        async with self._store.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO anchor_witnesses (log, witness, seq, document) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (log, witness) DO UPDATE SET seq = excluded.seq, document = excluded.document "
                "WHERE excluded.seq > anchor_witnesses.seq",
                (statement["log"], statement["witness"], statement["seq"], orjson.dumps(statement).decode()))
            return cursor.rowcount == 1

    async def witnesses(self, log: str, seq: int) -> list[dict[str, Any]]:
        rows = await self._all("SELECT document FROM anchor_witnesses WHERE log = ? AND seq >= ?", (log, seq))
        return [orjson.loads(row[0]) for row in rows]

    async def add_equivocation(self, proof: dict[str, Any]) -> bool:
        async with self._store.transaction() as db:
            cursor = await db.execute("INSERT INTO anchor_equivocations (log, seq, document, found) "
                                      "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", (proof["log"], proof["seq"],
                                                              orjson.dumps(proof).decode(),
                                                              self._store.clock.now().isoformat()))
            if cursor.rowcount == 1:
                await self._store.record(db, EquivocationFound(proof["log"]))
            return cursor.rowcount == 1

    async def equivocations(self, log: str | None = None) -> list[dict[str, Any]]:
        where, args = ("WHERE log = ?", (log,)) if log else ("", ())
        return [orjson.loads(row[0]) for row in await self._all(
            f"SELECT document FROM anchor_equivocations {where} ORDER BY found", args)]

    async def equivocation_counts(self) -> dict[str, int]:
        return {row[0]: int(row[1]) for row in await self._all(
            "SELECT log, COUNT(*) FROM anchor_equivocations GROUP BY log")}

    async def bytes_held(self, log: str) -> int:
        row = await self._one("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM anchor_blobs WHERE log = ?", (log,))
        return int(row[0]) if row else 0

    async def note_announced(self, heads: list[tuple[str, int, str]], announcer: str) -> None:
        seen = self._store.clock.now().isoformat()
        async with self._store.transaction() as db:
            # Only for logs held, beyond their head, and at most MAX_ANNOUNCERS announcers per log: decided
            # in the statement itself, so concurrent writers cannot overrun it.
            await db.executemany(
                "INSERT INTO anchor_announced (log, announcer, seq, entry, seen) "
                "SELECT ?1, ?2, CAST(?3 AS BIGINT), ?4, ?5 "
                "WHERE EXISTS (SELECT 1 FROM anchor_heads WHERE log = ?1 AND seq < ?3) "
                "AND (SELECT COUNT(*) FROM anchor_announced WHERE log = ?1 AND announcer != ?2) < ?6 "
                "ON CONFLICT (log, announcer) DO UPDATE SET seq = excluded.seq, entry = excluded.entry, "
                "seen = excluded.seen WHERE excluded.seq >= anchor_announced.seq",
                [(log, announcer, seq, entry, seen, MAX_ANNOUNCERS) for log, seq, entry in heads])

    async def announced(self, log: str | None = None) -> list[AnnouncedHead]:
        where, args = ("AND a.log = ?", (log,)) if log is not None else ("", ())
        rows = await self._all("SELECT a.log, a.seq, a.entry, a.announcer, a.seen FROM anchor_announced a "
                               f"JOIN anchor_heads h ON h.log = a.log WHERE a.seq > h.seq {where} "
                               "ORDER BY a.log, a.seq DESC", args)
        return [AnnouncedHead(*row) for row in rows]

    async def forget_announced(self, announcer: str, log: str | None = None) -> None:
        where, args = ("AND log = ?", (announcer, log)) if log is not None else ("", (announcer,))
        async with self._store.transaction() as db:
            await db.execute(f"DELETE FROM anchor_announced WHERE announcer = ? {where}", args)


async def save_peers(store: SqlStore, peers: list[tuple[str, str | None, str, int, bool]]) -> None:
    """Replace the persisted peer table with (url, did, source, score, verified) rows."""
    async with store.transaction() as db:
        await db.execute("DELETE FROM peers")
        await db.executemany("INSERT INTO peers (url, did, source, score, verified, last_seen) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             [(url, did, source, score, int(verified), store.clock.now().isoformat())
                              for url, did, source, score, verified in peers])


async def load_peers(store: SqlStore) -> list[tuple[str, str | None, str, int, bool]]:
    """The persisted peer table as (url, did, source, score, verified) rows; rows saved before peers were
    verified (migration 0008) read as not verified."""
    async with store.db.execute("SELECT url, did, source, score, verified FROM peers ORDER BY url") as cursor:
        return [(row[0], row[1], row[2], int(row[3]), bool(row[4])) async for row in cursor]
