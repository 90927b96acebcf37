"""The PostgreSQL store (asyncpg): the same SQL as SQLite (:mod:`vcnode.store.sql`) over a connection pool,
for a node served by several processes or hosts.

Transactions run at READ COMMITTED, many at once; the SQL locks the rows a write depends on. Status positions
are reserved outside the issuing transaction (:class:`PostgresIssuance`), so a transaction that signs
credentials holds no lock another issuer waits for."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg

from vcnode.errors import VcnodeError
from vcnode.feed.events import ChangeEvent, StatusListChanged
from vcnode.status.permutation import KEY_BYTES, IndexPermutation
from vcnode.status.records import StatusListSpec
from vcnode.store.pg_connection import PgConnection
from vcnode.store.sql import SqlIssuance, SqlStore, migrations, split_statements, used_positions

#: Held while migrating, so processes starting at once apply each migration once.
_MIGRATION_LOCK = 0x7663_6E6F_6465  # "vcnode"
#: Held by a transaction from its first change event to its end (see PostgresStore.record).
_CHANGES_LOCK = 0x7663_6E6F_6466
#: The NOTIFY channel of change events.
CHANGES_CHANNEL = "vcnode_changes"


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A pooled connection goes back as it is: the store's statements leave no session state (locks are
    transaction-level, nothing LISTENs or sets a variable on a pooled connection), so asyncpg's default
    reset — a round trip per release, unlocking, unlistening and resetting — only costs time."""


class PostgresStore(SqlStore):
    """A node's store in a PostgreSQL database named by a ``postgresql://`` URL."""

    integrity_errors = (asyncpg.exceptions.IntegrityConstraintViolationError,)
    # NO KEY UPDATE, not UPDATE: a row lock that does not wait for transactions that only refer to the row
    # (a foreign key's KEY SHARE lock, e.g. an open issuance's status entries on their list's row).
    _for_update = " FOR NO KEY UPDATE"
    _skip_locked = " FOR UPDATE SKIP LOCKED"
    _forced_join = "JOIN"
    _named_lock = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
    #: No local disk to watch: PostgreSQL reports a full disk itself.
    storage = None

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._min_size, self._max_size = min_size, max_size
        self._pool: asyncpg.Pool | None = None
        #: Connections for status position reservations only: an issuing transaction holds a connection of
        #: the main pool while it reserves, so reserving from that pool too could starve it (every connection
        #: held by an issuer waiting for a second one).
        self._reserving: asyncpg.Pool | None = None
        self._reader: PgConnection | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (open)."""
        if self._pool is None:
            raise VcnodeError("the store is not open", code="storeClosed", status=503)
        return self._pool

    @property
    def reserving(self) -> asyncpg.Pool:
        """The pool of status position reservations (see ``_reserving``)."""
        if self._reserving is None:
            raise VcnodeError("the store is not open", code="storeClosed", status=503)
        return self._reserving

    @property
    def db(self) -> PgConnection:
        if self._reader is None:
            raise VcnodeError("the store is not open", code="storeClosed", status=503)
        return self._reader

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(self.url, min_size=self._min_size, max_size=self._max_size,
                                                   command_timeout=60, reset=_keep_session)
            self._reserving = await asyncpg.create_pool(self.url, min_size=0, max_size=2, command_timeout=60,
                                                        reset=_keep_session)
        except (OSError, asyncpg.PostgresError) as exc:
            raise VcnodeError(f"cannot connect to the PostgreSQL store: {exc}", code="storeUnavailable",
                              status=503) from exc
        self._reader = PgConnection(self._pool)
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for pool in (self._pool, self._reserving):
            if pool is not None:
                await pool.close()
        self._pool = self._reserving = None
        self._reader = None

    async def _migrate(self) -> None:
        known = migrations("postgresql")
        latest = known[-1][0] if known else 0
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                                   "(version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")
                current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                if current > latest:
                    raise VcnodeError(f"the store's schema version {current} is newer than this vcnode knows "
                                      f"({latest}): upgrade vcnode", code="schemaTooNew", status=503)
                for number, name, sql in known:
                    if number <= current:
                        continue
                    async with conn.transaction():
                        for statement in split_statements(sql):
                            await conn.execute(statement)
                        await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                                           number, name, self.clock.now().isoformat())
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """One write transaction on a connection of the pool (READ COMMITTED)."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield PgConnection(conn)

    @asynccontextmanager
    async def issuance(self) -> AsyncIterator[PostgresIssuance]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresIssuance(PgConnection(conn), self)

    async def record(self, db: PgConnection, *events: ChangeEvent) -> None:
        """Record change events, in number order: the advisory lock, held until this transaction ends, keeps
        a later number from committing (and being read past) before an earlier one. NOTIFY, sent when the
        transaction commits, wakes the other processes' feeds at once."""
        await db.execute("SELECT pg_advisory_xact_lock(?)", (_CHANGES_LOCK,))
        await super().record(db, *events)
        await db.execute("SELECT pg_notify(?, '')", (CHANGES_CHANNEL,))

    async def listen(self, wake: Callable[[], None], lost: Callable[[], None]) -> None:
        """Call ``wake`` whenever another process commits change events (LISTEN/NOTIFY), until closed. When
        the listening connection drops, ``lost`` is called (a notice may have been missed: the caller drops
        its caches) and it reconnects; polling meanwhile goes on as the fallback."""
        while self._pool is not None:
            try:
                conn = await asyncpg.connect(self.url)
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(1.0)
                continue
            closed = asyncio.Event()
            conn.add_termination_listener(lambda _, ended=closed: ended.set())
            try:
                await conn.add_listener(CHANGES_CHANNEL, lambda *_: wake())
                await closed.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
            finally:
                if not conn.is_closed():
                    await conn.close()
            if self._pool is not None:
                lost()

    async def ping(self) -> bool:
        try:
            return await self.pool.fetchval("SELECT 1") == 1
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

    async def schema_version(self) -> int:
        return int(await self.pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def probe_write(self) -> None:
        """Commit one small write (as the SQLite store does for its storage check)."""
        await self.set_meta("storage_probe", self.clock.now().isoformat())


class PostgresIssuance(SqlIssuance):
    """Issuing inside one transaction, with status positions reserved in short transactions of their own."""

    def __init__(self, db: PgConnection, store: PostgresStore) -> None:
        super().__init__(db, store)
        self._pool = store.reserving

    async def _reserve(self, issuer: str, spec: StatusListSpec, count: int) -> tuple[str, list[int]]:
        """Positions taken by one statement of their own (``vcnode_reserve_positions``, migration 0020), like a
        PostgreSQL sequence: the issuing transaction (which signs) holds no lock on the list, so issuers in
        other processes do not wait for it. Positions of a transaction that rolls back stay unused (a zero
        bit, never handed out again). Inside the statement an advisory lock per (issuer, kind) makes "find
        the open list or open one" atomic: two processes never open two lists at once."""
        row = await self._pool.fetchrow(
            "SELECT * FROM vcnode_reserve_positions($1, $2, $3, $4, $5, $6, $7, $8, $9)", issuer, spec.purpose,
            spec.status_size, spec.messages, count, spec.entries, secrets.token_urlsafe(12),
            secrets.token_bytes(KEY_BYTES), self._store.clock.now().isoformat())
        list_id = row["list_id"]
        permute = IndexPermutation(bytes(row["list_key"]), int(row["list_entries"]))
        indexes = [permute(n) for n in range(int(row["first_seq"]), int(row["end_seq"]))]
        if row["list_converted"] and indexes:
            # A list converted from random allocation (SQLite's migration 0009, then migrate-store) skips the
            # positions it handed out before; they count as reserved, so such a list closes a little early.
            used = await used_positions(PgConnection(self._pool), list_id, indexes)
            indexes = [index for index in indexes if index not in used]
        if row["list_created"]:  # other processes learn of the list (no cache holds it yet: not atomic with it)
            async with self._store.transaction() as db:
                await self._store.record(db, StatusListChanged(list_id))
        return list_id, indexes
