"""The embedded SQLite store (aiosqlite, WAL)."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import aiosqlite

from vcnode.errors import Conflict, NotFound, VcnodeError
from vcnode.store.records import CredentialRecord, IdentityRecord, KeyRecord, TokenRecord

_IDENTITY_COLUMNS = "did, method, name, web_path, is_default, created"
_KEY_COLUMNS = "id, identity_did, key_type, public_multikey, sealed_secret, valid_from, valid_until, active"


def migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as (number, name, sql), in order. File names start with their number."""
    found = []
    for entry in resources.files("vcnode.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text("utf-8")))
    return sorted(found)


class SqliteStore:
    """One connection; writes are serialised by a lock and each runs in one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise VcnodeError("the store is not open", code="storeClosed", status=503)
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        # WAL + synchronous=NORMAL: a committed transaction survives a process crash (SIGKILL).
        try:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
                await self._db.execute(f"PRAGMA {pragma}")
            await self._migrate()
        except BaseException:
            await self.close()  # aiosqlite's worker thread would otherwise keep the process alive
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
        for number, name, sql in known:
            # Each migration re-reads the version inside its own transaction, so two processes starting at
            # once cannot both apply it.
            async with self._transaction() as db:
                async with db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (number,)) as cursor:
                    if await cursor.fetchone():
                        continue
                for statement in _statements(sql):
                    await db.execute(statement)
                await db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                 (number, name, datetime.now(UTC).isoformat()))

    async def data_version(self) -> int:
        """A number that changes whenever another connection (another process) commits to the database."""
        async with self.db.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def ping(self) -> bool:
        async with self.db.execute("SELECT 1") as cursor:
            return (await cursor.fetchone()) == (1,)

    async def schema_version(self) -> int:
        async with self.db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def get_meta(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._transaction() as db:
            await db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    async def add_identity(self, identity: IdentityRecord, key: KeyRecord) -> None:
        try:
            async with self._transaction() as db:
                await db.execute(f"INSERT INTO identities ({_IDENTITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                                 (identity.did, identity.method, identity.name, identity.web_path,
                                  int(identity.is_default), identity.created))
                await db.execute(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 _key_row(key))
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"identity {identity.did} (name {identity.name!r}) clashes with an existing one: {exc}") \
                from None

    async def list_identities(self) -> list[IdentityRecord]:
        async with self.db.execute(f"SELECT {_IDENTITY_COLUMNS} FROM identities "
                                   "ORDER BY is_default DESC, created, did") as cursor:
            return [_identity(row) async for row in cursor]

    async def get_identity(self, did: str) -> IdentityRecord | None:
        async with self.db.execute(f"SELECT {_IDENTITY_COLUMNS} FROM identities WHERE did = ?", (did,)) as cursor:
            row = await cursor.fetchone()
        return _identity(row) if row else None

    async def list_keys(self, identity_did: str | None = None) -> list[KeyRecord]:
        where, args = ("WHERE identity_did = ?", (identity_did,)) if identity_did else ("", ())
        async with self.db.execute(f"SELECT {_KEY_COLUMNS} FROM keys {where} "
                                   "ORDER BY identity_did, valid_from DESC, rowid DESC", args) as cursor:
            return [_key(row) async for row in cursor]

    async def rotate_key(self, identity_did: str, new_key: KeyRecord, at: str) -> KeyRecord:
        try:
            return await self._rotate_key(identity_did, new_key, at)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"cannot rotate to {new_key.id}: {exc}") from None

    async def _rotate_key(self, identity_did: str, new_key: KeyRecord, at: str) -> KeyRecord:
        async with self._transaction() as db:
            async with db.execute(f"SELECT {_KEY_COLUMNS} FROM keys WHERE identity_did = ? AND active = 1",
                                  (identity_did,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound(f"identity {identity_did} has no active key")
            await db.execute("UPDATE keys SET active = 0, valid_until = ? WHERE id = ?", (at, row[0]))
            await db.execute(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             _key_row(new_key))
        return dataclasses.replace(_key(row), active=False, valid_until=at)


    async def add_token(self, token: TokenRecord) -> None:
        async with self._transaction() as db:
            await db.execute("INSERT INTO api_tokens (id, token_hash, scopes, identity, created, revoked) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (token.id, token.token_hash, ",".join(token.scopes),
                                                          token.identity, token.created, token.revoked))

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        async with self.db.execute(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?",
                                   (token_hash,)) as cursor:
            row = await cursor.fetchone()
        return _token(row) if row else None

    async def list_tokens(self) -> list[TokenRecord]:
        async with self.db.execute(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY created DESC, id") as cursor:
            return [_token(row) async for row in cursor]

    async def revoke_token(self, token_id: str, at: str) -> bool:
        async with self._transaction() as db:
            cursor = await db.execute("UPDATE api_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                      (at, token_id))
            return cursor.rowcount == 1

    async def save_credential(self, record: CredentialRecord) -> None:
        async with self._transaction() as db:
            await db.execute("INSERT OR REPLACE INTO credentials (id, issuer, document, created) VALUES (?, ?, ?, ?)",
                             (record.id, record.issuer, record.document, record.created))

    async def save_credentials(self, records: list[CredentialRecord]) -> None:
        async with self._transaction() as db:
            await db.executemany("INSERT OR REPLACE INTO credentials (id, issuer, document, created) "
                                 "VALUES (?, ?, ?, ?)", [(r.id, r.issuer, r.document, r.created) for r in records])

    async def existing_credentials(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.db.execute(f"SELECT id FROM credentials WHERE id IN ({marks})", chunk) as cursor:
                found.update([row[0] async for row in cursor])
        return found

    async def get_credential(self, credential_id: str) -> CredentialRecord | None:
        async with self.db.execute("SELECT id, issuer, document, created FROM credentials WHERE id = ?",
                                   (credential_id,)) as cursor:
            row = await cursor.fetchone()
        return CredentialRecord(*row) if row else None


_TOKEN_COLUMNS = "id, token_hash, scopes, identity, created, revoked"


def _token(row: sqlite3.Row | tuple) -> TokenRecord:
    return TokenRecord(id=row[0], token_hash=row[1], scopes=tuple(s for s in row[2].split(",") if s),
                       identity=row[3], created=row[4], revoked=row[5])


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements. Our migrations keep '--' and ';' out of string literals,
    so comments can be cut at '--' and statements split at ';'."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _identity(row: sqlite3.Row | tuple) -> IdentityRecord:
    return IdentityRecord(did=row[0], method=row[1], name=row[2], web_path=row[3], is_default=bool(row[4]),
                          created=row[5])


def _key(row: sqlite3.Row | tuple) -> KeyRecord:
    return KeyRecord(id=row[0], identity_did=row[1], key_type=row[2], public_multikey=row[3],
                     sealed_secret=bytes(row[4]), valid_from=row[5], valid_until=row[6], active=bool(row[7]))


def _key_row(key: KeyRecord) -> tuple:
    return (key.id, key.identity_did, key.key_type, key.public_multikey, key.sealed_secret, key.valid_from,
            key.valid_until, int(key.active))
