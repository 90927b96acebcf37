"""The embedded SQLite store (aiosqlite, WAL)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from vcnode.errors import VcnodeError
from vcnode.private_files import create_private_file, private_dir, tighten
from vcnode.store.health import StorageMonitor, StorageUnavailable
from vcnode.store.sql import Connection, SqlStore, index_credentials, migrations, split_statements

# SQLITE_BUSY and SQLITE_BUSY_SNAPSHOT: see SqliteStore._begin.
_SQLITE_BUSY = (5, 517)
_BEGIN_PATIENCE = 5.0  # seconds, as the busy_timeout SQLite itself waits for another process's write lock

class SqliteStore(SqlStore):
    """One connection; writes are serialised by a lock and each runs in one ``BEGIN IMMEDIATE`` transaction."""

    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, *, min_free: int = 0) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        #: Whether writes can be stored (disk full, read-only); ``min_free`` bytes or fewer left is full.
        self.storage = StorageMonitor(self.path.parent, min_free)

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise VcnodeError("the store is not open", code="storeClosed", status=503)
        return self._db

    async def open(self) -> None:
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        if not self.path.exists():
            # 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
            create_private_file(self.path)
        for path in (self.path, self.path.with_name(self.path.name + "-wal"),
                     self.path.with_name(self.path.name + "-shm")):
            tighten(path)  # written by a vcnode that left modes to the umask
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        # WAL + synchronous=NORMAL: a committed transaction survives a process crash (SIGKILL).
        try:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
                await self._db.execute(f"PRAGMA {pragma}")
            await self._migrate()
        except BaseException as exc:
            await self.close()  # aiosqlite's worker thread would otherwise keep the process alive
            # On a read-only file system SQLite cannot create the -wal/-shm files ("unable to open database
            # file"): name the cause.
            code = self.storage.file_system() if isinstance(exc, sqlite3.Error) else None
            if code is not None:
                raise StorageUnavailable(code) from exc
            raise

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _migrate(self) -> None:
        await self.db.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                              "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")
        known = migrations()
        latest = known[-1][0] if known else 0
        current = await self.schema_version()
        if current > latest:
            raise VcnodeError(f"the store's schema version {current} is newer than this vcnode knows ({latest}): "
                              "upgrade vcnode", code="schemaTooNew", status=503)
        async with self.db.execute("SELECT version FROM schema_migrations") as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
        for number, name, sql in known:
            if number in applied:  # no write transaction for what is done: a read-only store still opens
                continue
            # Each migration re-reads the version inside its own transaction, so two processes starting at
            # once cannot both apply it.
            async with self.transaction() as db:
                async with db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (number,)) as cursor:
                    if await cursor.fetchone():
                        continue
                for statement in split_statements(sql):
                    await db.execute(statement)
                if number in _AFTER_MIGRATION:  # in the migration's transaction: both are done, or neither
                    await _AFTER_MIGRATION[number](db)
                await db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                 (number, name, self.clock.now().isoformat()))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), serialised with every other write of this store;
        for the other stores of the package that share this connection (anchors).

        A full or read-only disk raises :class:`StorageUnavailable` (503 ``storageFull`` /
        ``storageReadOnly``): before the write when the file system says so, or from SQLite's error."""
        async with self._write_lock:
            self.storage.guard()
            try:
                await self._begin()
                try:
                    yield self.db
                except BaseException:
                    await self._rollback()
                    raise
                try:
                    await self.db.execute("COMMIT")
                except BaseException:
                    await self._rollback()  # a failed COMMIT (disk full) may leave the transaction open
                    raise
            except (sqlite3.Error, OSError) as exc:
                problem = self.storage.failed(exc)
                if problem is None:
                    raise
                raise problem from exc
            self.storage.succeeded()

    async def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, retried for a few seconds while SQLite answers busy. While a read of another
        task on this shared connection is still open, SQLite's busy handler does not wait: the write cannot
        start while another process (the CLI) holds the write lock (``SQLITE_BUSY``), nor from a snapshot
        older than that process's commit (``SQLITE_BUSY_SNAPSHOT``). The read ends as soon as the event loop
        runs it, and a new one starts from a fresh snapshot."""
        deadline = time.monotonic() + _BEGIN_PATIENCE
        delay = 0.001
        while True:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) not in _SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _rollback(self) -> None:
        """End the open transaction, if SQLite has not already rolled it back itself (it does on
        ``SQLITE_FULL``, and a second ROLLBACK would fail and hide the first error)."""
        if self.db.in_transaction:
            try:
                await self.db.execute("ROLLBACK")
            except sqlite3.Error:
                if self.db.in_transaction:
                    raise

    async def probe_write(self) -> None:
        """Commit one small write, to learn whether the storage takes writes again."""
        await self.set_meta("storage_probe", self.clock.now().isoformat())

    async def ping(self) -> bool:
        async with self.db.execute("SELECT 1") as cursor:
            return (await cursor.fetchone()) == (1,)

    async def schema_version(self) -> int:
        async with self.db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


async def _index_stored_credentials(db: Connection) -> None:
    """Index the credentials stored before migration 0016, 500 at a time."""
    last = 0
    while True:
        async with db.execute("SELECT rowid, id, issuer, document, created FROM credentials WHERE rowid > ? "
                              "ORDER BY rowid LIMIT 500", (last,)) as cursor:
            rows = await cursor.fetchall()
        if not rows:
            return
        await index_credentials(db, [(row[1], row[2], row[3], row[4]) for row in rows])
        last = rows[-1][0]


#: Work a migration needs beyond its SQL, by migration number (run in the migration's transaction).
_AFTER_MIGRATION: dict[int, Callable[[Connection], Awaitable[None]]] = {16: _index_stored_credentials}
