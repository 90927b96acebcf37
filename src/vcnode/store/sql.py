"""The store's SQL, shared by its two adapters: SQLite (embedded, :mod:`vcnode.store.sqlite`) and PostgreSQL
(:mod:`vcnode.store.postgres`).

The statements are written once, in the SQL both databases speak (``?`` placeholders, ``ON CONFLICT``,
``RETURNING``, ``IS NOT DISTINCT FROM``); the PostgreSQL adapter numbers the placeholders. Where the two differ
the difference is a named attribute of the store (row locks, a forced join order), never a copy of a method.

Isolation differs and the statements are written for both: SQLite runs one writer at a time (``BEGIN
IMMEDIATE``), so a read inside a write transaction cannot change before the write; PostgreSQL runs at READ
COMMITTED with many writers, so every read that a write depends on either locks its row (``_for_update``) or
the write is a compare-and-set that repeats the read's condition in its ``WHERE``."""

from __future__ import annotations

import dataclasses
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from typing import Any, Protocol

import orjson

from vcnode.clock import SYSTEM_CLOCK, Clock
from vcnode.credentials.records import CredentialRecord
from vcnode.errors import Conflict, NotFound
from vcnode.feed.events import ChangeEvent, IdentityChanged, StatusListChanged
from vcnode.identity.records import IdentityRecord, KeyRecord, WebvhEntryRecord
from vcnode.status.bitstring import BitstringError, get_entry, new_bitstring, set_entry
from vcnode.status.permutation import KEY_BYTES, IndexPermutation
from vcnode.status.records import StatusAllocation, StatusChange, StatusListRecord, StatusListSpec, StatusTokenRecord
from vcnode.store import changes, search
from vcnode.store.base import AuthCodeState, ChallengeState, CompletionState, CredentialIdTaken, LoginState, RedeemState
from vcnode.store.records import ExchangeRecord, JobRecord, TokenRecord

_IDENTITY_COLUMNS = "did, method, name, web_path, is_default, created"
_KEY_COLUMNS = "id, identity_did, key_type, public_multikey, sealed_secret, valid_from, valid_until, active"
_WEBVH_COLUMNS = "identity_did, version_number, version_id, version_time, entry"
_JOB_COLUMNS = ("id, kind, owner, identity, state, input, total, done, error, summary, COALESCE(length(result), 0), "
                "attempts, lease_owner, lease_until, created, updated")
_EXCHANGE_COLUMNS = ("id, workflow, state, sequence, created, expires, challenge, domain, owner, variables, "
                     "request_hash, attempts, last_error, holder, result, completed")


class Cursor(Protocol):
    """What the store reads from a statement's result (aiosqlite's cursor, or the PostgreSQL adapter's)."""

    rowcount: int

    async def fetchone(self) -> Sequence[Any] | None: ...

    async def fetchall(self) -> Iterable[Sequence[Any]]: ...

    def __aiter__(self) -> AsyncIterator[Sequence[Any]]: ...


class Connection(Protocol):
    """The part of a database connection the store's SQL uses: aiosqlite's API, which the PostgreSQL adapter
    (:class:`vcnode.store.pg_connection.PgConnection`) speaks too. ``execute`` is awaited for a cursor or
    entered as an async context manager."""

    def execute(self, sql: str, parameters: Iterable[Any] = ...) -> Any: ...

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Any: ...

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = ...) -> Iterable[Sequence[Any]]: ...


def migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """The packaged migrations of a dialect (``sqlite`` or ``postgresql``) as (number, name, sql), in order.
    File names start with their number."""
    folder = resources.files("vcnode.store").joinpath("migrations")
    if dialect == "postgresql":
        folder = folder.joinpath("postgresql")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text("utf-8")))
    return sorted(found)


def split_statements(sql: str) -> list[str]:
    """Split a migration file into statements. Our migrations keep '--' and ';' out of string literals,
    so comments can be cut at '--' and statements split at ';' — except inside a ``$$``-quoted function
    body, which is kept whole."""
    text = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    statements, current = [], ""
    for number, part in enumerate(text.split("$$")):
        if number % 2:  # inside $$ … $$
            current += "$$" + part + "$$"
            continue
        pieces = part.split(";")
        current += pieces[0]
        for piece in pieces[1:]:
            statements.append(current)
            current = piece
    statements.append(current)
    return [statement.strip() for statement in statements if statement.strip()]


class SqlStore(ABC):
    """The repository methods of :class:`vcnode.store.base.Store`, over a :class:`Connection`. Subclasses
    give the connection (``db``, for reads), write transactions (``transaction``) and the dialect's
    differences below."""

    #: The driver's errors for a violated constraint (a primary key or unique index taken).
    integrity_errors: tuple[type[BaseException], ...] = ()
    #: Appended to a SELECT whose rows a write depends on: "" where writers are serialised (SQLite).
    _for_update = ""
    #: Like ``_for_update``, but rows another writer holds are passed over (a queue's next free job).
    _skip_locked = ""
    #: Where the store reads the time for the rows it dates itself (a list's creation, a change event).
    clock: Clock = SYSTEM_CLOCK
    #: A join the planner must not reorder (SQLite's CROSS JOIN); a plain JOIN where the planner knows better.
    _forced_join = "CROSS JOIN"
    #: A statement taking a lock named by its one parameter until the transaction ends: "" where writers are
    #: serialised anyway (SQLite).
    _named_lock = ""

    async def _one_at_a_time(self, db: Connection, name: str) -> None:
        """Make the transactions that count rows and then insert under ``name`` (a limit on what is held) run
        one at a time: at READ COMMITTED two of them would both see room and both insert, since a count locks
        no row (PostgreSQL: an advisory lock; SQLite's single writer already does)."""
        if self._named_lock:
            await db.execute(self._named_lock, (name,))

    @property
    @abstractmethod
    def db(self) -> Connection:
        """A connection for reads outside a transaction."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises."""

    @property
    def origin(self) -> str:
        """Who writes through this store, in the change events it records: a process skips its own events
        (its caches saw the change already). One per store object, so two stores in one process are two."""
        if not hasattr(self, "_origin"):
            self._origin = secrets.token_hex(8)
        return self._origin

    async def record(self, db: Connection, *events: ChangeEvent) -> None:
        """Record change events (:mod:`vcnode.feed`) in the open transaction on ``db``; they commit with the
        change they describe, or not at all."""
        await changes.append(db, self.origin, self.clock.now(), *events)

    def lock(self, *tables: str) -> str:
        """``FOR UPDATE`` (of ``tables``, in a join) where writers run at once; "" where they are serialised."""
        if not self._for_update:
            return ""
        return self._for_update + (f" OF {', '.join(tables)}" if tables else "")

    async def get_meta(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    async def ensure_meta(self, key: str, value: str) -> str:
        async with self.transaction() as db:
            await db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
            async with db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
                row = await cursor.fetchone()
        return str(row[0])

    async def add_identity(self, identity: IdentityRecord, key: KeyRecord,
                           webvh_entry: WebvhEntryRecord | None = None) -> None:
        try:
            async with self.transaction() as db:
                await db.execute(f"INSERT INTO identities ({_IDENTITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                                 (identity.did, identity.method, identity.name, identity.web_path,
                                  int(identity.is_default), identity.created))
                await db.execute(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 _key_row(key))
                if webvh_entry is not None:
                    await db.execute(f"INSERT INTO webvh_entries ({_WEBVH_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                                     dataclasses.astuple(webvh_entry))
                await self.record(db, IdentityChanged(identity.did))
        except self.integrity_errors as exc:
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

    async def rotate_key(self, identity_did: str, new_key: KeyRecord, at: str,
                         webvh_entry: WebvhEntryRecord | None = None) -> KeyRecord:
        try:
            return await self._rotate_key(identity_did, new_key, at, webvh_entry)
        except self.integrity_errors as exc:
            raise Conflict(f"cannot rotate to {new_key.id}: {exc}") from None

    async def list_webvh_entries(self) -> list[WebvhEntryRecord]:
        async with self.db.execute(f"SELECT {_WEBVH_COLUMNS} FROM webvh_entries "
                                   "ORDER BY identity_did, version_number") as cursor:
            return [WebvhEntryRecord(*row) async for row in cursor]

    async def _rotate_key(self, identity_did: str, new_key: KeyRecord, at: str,
                          webvh_entry: WebvhEntryRecord | None) -> KeyRecord:
        async with self.transaction() as db:
            # The identity's row is locked, not its active key's: a rotation that waited for another would find
            # the key it locked retired and the new one (inserted after its snapshot) invisible (READ COMMITTED).
            await db.execute(f"SELECT did FROM identities WHERE did = ?{self.lock()}", (identity_did,))
            async with db.execute(f"SELECT {_KEY_COLUMNS} FROM keys WHERE identity_did = ? AND active = 1",
                                  (identity_did,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound(f"identity {identity_did} has no active key")
            await db.execute("UPDATE keys SET active = 0, valid_until = ? WHERE id = ?", (at, row[0]))
            await db.execute(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             _key_row(new_key))
            if webvh_entry is not None:
                # The primary key (identity, version number) makes a second writer fail instead of forking the log.
                await db.execute(f"INSERT INTO webvh_entries ({_WEBVH_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                                 dataclasses.astuple(webvh_entry))
            await self.record(db, IdentityChanged(identity_did))
        return dataclasses.replace(_key(row), active=False, valid_until=at)


    async def add_token(self, token: TokenRecord) -> None:
        async with self.transaction() as db:
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
        async with self.transaction() as db:
            cursor = await db.execute("UPDATE api_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                      (at, token_id))
            return cursor.rowcount == 1

    @asynccontextmanager
    async def issuance(self) -> AsyncIterator[SqlIssuance]:
        async with self.transaction() as db:
            yield self._issuance(db)

    def _issuance(self, db: Connection) -> SqlIssuance:
        """The issuance work of one open transaction (PostgreSQL allocates differently)."""
        return SqlIssuance(db, self)

    async def get_status_list(self, list_id: str) -> StatusListRecord | None:
        async with self.db.execute(f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE id = ?", (list_id,)) as cursor:
            row = await cursor.fetchone()
        return _status_list(row) if row else None

    async def list_status_lists(self, issuer: str | None = None) -> list[StatusListRecord]:
        where, args = ("WHERE issuer = ?", (issuer,)) if issuer else ("", ())
        async with self.db.execute(f"SELECT {_LIST_COLUMNS} FROM status_lists {where} ORDER BY created, id",
                                   args) as cursor:
            return [_status_list(row) async for row in cursor]

    async def changed_status_lists(self, signed_until_before: str | None = None) -> list[str]:
        async with self.db.execute("SELECT id FROM status_lists WHERE published_version IS NULL "
                                   "OR published_version != version OR published_until < ? ORDER BY id",
                                   (signed_until_before or "",)) as cursor:
            return [row[0] async for row in cursor]

    async def change_status(self, change: StatusChange, *, irreversible: bool = False) -> StatusChange:
        # Only the chunk holding the entry is read and written: the cost does not grow with the list.
        chunk, offset = divmod(change.index, _CHUNK_ENTRIES)
        async with self.transaction() as db:
            # The list's row is locked first (PostgreSQL; SQLite's writer already holds the database), so
            # the chunk read next is the one the last change of this list committed.
            async with db.execute(f"SELECT status_size, entries FROM status_lists WHERE id = ?{self.lock()}",
                                  (change.list_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise NotFound(f"no status list {change.list_id}")
            size, entries = int(row[0]), int(row[1])
            if not 0 <= change.index < entries:
                raise BitstringError(f"status index {change.index} is outside a list of {entries} entries")
            async with db.execute("SELECT bits FROM status_chunks WHERE list_id = ? AND chunk = ?",
                                  (change.list_id, chunk)) as cursor:
                stored = await cursor.fetchone()
            bits = bytearray(stored[0] if stored is not None else _zero_chunk(entries, size, chunk))
            before = get_entry(bits, offset, size)
            # Compare-and-set: the value read here is the one replaced, so no concurrent writer (another
            # request, the CLI) can slip a clear in between the check and the write.
            if irreversible and before != 0 and change.after == 0:
                raise Conflict("a revocation cannot be undone (Bitstring Status List: revocation is not "
                               "reversible); issue a new credential instead", code="revocationIrreversible")
            done = dataclasses.replace(change, before=before)
            if before != change.after:
                set_entry(bits, offset, change.after, size)
                await db.execute("INSERT INTO status_chunks (list_id, chunk, bits) VALUES (?, ?, ?) "
                                 "ON CONFLICT (list_id, chunk) DO UPDATE SET bits = excluded.bits",
                                 (change.list_id, chunk, bytes(bits)))
                await db.execute("UPDATE status_lists SET version = version + 1 WHERE id = ?", (change.list_id,))
                await self.record(db, StatusListChanged(change.list_id))
            await db.execute("INSERT INTO status_changes (at, actor, credential_id, list_id, idx, purpose, before, "
                             "after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (done.at, done.actor, done.credential_id, done.list_id, done.index, done.purpose,
                              done.before, done.after, done.reason))
        return done

    async def status_value(self, list_id: str, index: int) -> int:
        chunk, offset = divmod(index, _CHUNK_ENTRIES)
        async with self.db.execute("SELECT l.status_size, l.entries, c.bits FROM status_lists AS l LEFT JOIN "
                                   "status_chunks AS c ON c.list_id = l.id AND c.chunk = ? WHERE l.id = ?",
                                   (chunk, list_id)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NotFound(f"no status list {list_id}")
        size, entries = int(row[0]), int(row[1])
        if not 0 <= index < entries:
            raise BitstringError(f"status index {index} is outside a list of {entries} entries")
        return get_entry(row[2], offset, size) if row[2] is not None else 0

    async def status_bits(self, list_id: str) -> bytes:
        async with self.db.execute("SELECT status_size, entries FROM status_lists WHERE id = ?",
                                   (list_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NotFound(f"no status list {list_id}")
        size, entries = int(row[0]), int(row[1])
        bits = new_bitstring(entries, size)
        step = _CHUNK_ENTRIES * size // 8
        # One statement: the chunks are read from one snapshot of the list.
        async with self.db.execute("SELECT chunk, bits FROM status_chunks WHERE list_id = ?", (list_id,)) as cursor:
            async for chunk, data in cursor:
                bits[chunk * step:chunk * step + len(data)] = data
        return bytes(bits)

    async def publish_status_list(self, list_id: str, version: int, document: str, until: str) -> None:
        async with self.transaction() as db:
            # Never replace a publication of a newer version (another process may have re-signed meanwhile).
            await db.execute("UPDATE status_lists SET published = ?, published_version = ?, published_until = ? "
                             "WHERE id = ? AND COALESCE(published_version, -1) <= ?",
                             (document, version, until, list_id, version))
            await self.record(db, StatusListChanged(list_id))

    async def get_status_token(self, list_id: str) -> StatusTokenRecord | None:
        async with self.db.execute("SELECT id, issuer, purpose, status_size, version, tokens, token_published, "
                                   "token_version, token_until FROM status_lists WHERE id = ?", (list_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return StatusTokenRecord(row[0], row[1], row[2], int(row[3]), int(row[4]), bool(row[5]), row[6], row[7],
                                 row[8])

    async def changed_status_tokens(self, signed_until_before: str) -> list[str]:
        async with self.db.execute("SELECT id FROM status_lists WHERE tokens = 1 AND (token_version IS NULL OR "
                                   "token_version != version OR token_until < ?) ORDER BY id",
                                   (signed_until_before,)) as cursor:
            return [row[0] async for row in cursor]

    async def publish_status_token(self, list_id: str, version: int, token: str, until: str) -> None:
        async with self.transaction() as db:
            # Never replace a newer version's token (another process may have re-signed meanwhile).
            await db.execute("UPDATE status_lists SET token_published = ?, token_version = ?, token_until = ? "
                             "WHERE id = ? AND COALESCE(token_version, -1) <= ?",
                             (token, version, until, list_id, version))
            await self.record(db, StatusListChanged(list_id))

    async def status_changes(self, credential_id: str | None = None, limit: int = 1000, *,
                             issuers: Sequence[str] | None = None, before: int | None = None) -> list[StatusChange]:
        where, args = ["TRUE"], []
        if credential_id:
            where.append("c.credential_id = ?")
            args.append(credential_id)
        if before is not None:
            where.append("c.seq < ?")
            args.append(before)
        join = ""
        if issuers is not None:  # the issuer of a change is its list's
            join = " JOIN status_lists AS l ON l.id = c.list_id"
            where.append(f"l.issuer IN ({','.join('?' * len(issuers))})")
            args.extend(issuers)
        async with self.db.execute("SELECT c.at, c.actor, c.credential_id, c.list_id, c.idx, c.purpose, c.before, "
                                   f"c.after, c.reason, c.seq FROM status_changes AS c{join} "
                                   f"WHERE {' AND '.join(where)} ORDER BY c.seq DESC LIMIT ?",
                                   (*args, limit)) as cursor:
            return [StatusChange(*row) async for row in cursor]

    async def status_indexes(self, credential_ids: list[str]) -> list[tuple[str, str, int]]:
        found: list[tuple[str, str, int]] = []
        for start in range(0, len(credential_ids), 500):
            chunk = credential_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.db.execute(f"SELECT credential_id, list_id, idx FROM status_entries "
                                       f"WHERE credential_id IN ({marks})", chunk) as cursor:
                found.extend([(row[0], row[1], int(row[2])) async for row in cursor])
        return found

    async def get_credential(self, credential_id: str) -> CredentialRecord | None:
        async with self.db.execute(f"SELECT {_CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?",
                                   (credential_id,)) as cursor:
            row = await cursor.fetchone()
        return CredentialRecord(*row) if row else None

    async def search_credentials(self, query: str | None = None, *, terms: Sequence[str] = (),
                                 issuers: Sequence[str] | None = None, before: tuple[str, str] | None = None,
                                 limit: int = 50) -> list[CredentialRecord]:
        where, args = ["TRUE"], []
        if issuers is not None:
            where.append(f"c.issuer IN ({','.join('?' * len(issuers))})")
            args.extend(issuers)
        if before is not None:  # keyset paging: the page after the last one shown
            where.append("(c.created, c.id) < (?, ?)")
            args.extend(before)
        conditions, match_args = [], []
        if query is not None and search.normalise(query):
            conditions.append("term >= ? AND term < ?")
            match_args.extend(search.prefix_range(query))
        if terms:
            conditions.append(f"term IN ({','.join('?' * len(terms))})")
            match_args.extend(terms)
        columns = ", ".join(f"c.{name.strip()}" for name in _CREDENTIAL_COLUMNS.split(","))
        order = f"WHERE {' AND '.join(where)} ORDER BY c.created DESC, c.id DESC LIMIT ?"
        if not conditions:
            sql, params = f"SELECT {columns} FROM credentials AS c {order}", (*args, limit)
        else:
            # Few matching terms: start from them (their credentials, sorted). Many: walk the credentials
            # newest first and keep those with a matching term, which finds a page after about
            # limit * stored / matches rows. Either way the work is bounded by SEARCH_TERMS_FIRST or by the page.
            matching = " OR ".join(f"({condition})" for condition in conditions)
            async with self.db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM credential_terms WHERE {matching} "
                                       "LIMIT ?) AS found", (*match_args, search.SEARCH_TERMS_FIRST + 1)) as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] <= search.SEARCH_TERMS_FIRST:
                sql = (f"SELECT {columns} FROM (SELECT DISTINCT credential_id FROM credential_terms WHERE "
                       f"{matching}) AS m {self._forced_join} credentials AS c ON c.id = m.credential_id {order}")
                params = (*match_args, *args, limit)
            else:
                sql = (f"SELECT {columns} FROM credentials AS c WHERE EXISTS (SELECT 1 FROM credential_terms AS t "
                       f"WHERE t.credential_id = c.id AND ({matching})) AND {order.removeprefix('WHERE ')}")
                params = (*match_args, *args, limit)
        async with self.db.execute(sql, params) as cursor:
            return [CredentialRecord(*row) async for row in cursor]

    async def add_credential_terms(self, terms: Sequence[tuple[str, str]]) -> None:
        async with self.transaction() as db:
            await db.executemany("INSERT INTO credential_terms (term, credential_id) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", list(terms))

    async def issued_achievements(self, issuers: Sequence[str] | None = None, *, achievement_id: str | None = None,
                                  limit: int = 200) -> list[tuple[str, str, str]]:
        where, args = ["TRUE"], []
        if issuers is not None:
            where.append(f"issuer IN ({','.join('?' * len(issuers))})")
            args.extend(issuers)
        if achievement_id is not None:
            where.append("id = ?")
            args.append(achievement_id)
        async with self.db.execute(f"SELECT issuer, id, achievement FROM issued_achievements WHERE "
                                   f"{' AND '.join(where)} ORDER BY last_issued DESC, id LIMIT ?",
                                   (*args, limit)) as cursor:
            return [(row[0], row[1], row[2]) async for row in cursor]

    async def add_exchanges(self, records: list[ExchangeRecord]) -> list[ExchangeRecord]:
        async with self.transaction() as db:
            stored = await _find_exchanges(db, [record.id for record in records])
            clash = next((r.id for r in records if r.id in stored and stored[r.id].request_hash != r.request_hash),
                         None)
            if clash is not None:
                raise Conflict(f"the exchange {clash[:120]} was already created from a different request",
                               code="exchangeIdInUse")
            new = [record for record in records if record.id not in stored]
            # A plain INSERT: two processes creating one id race on the primary key, and the loser's whole
            # transaction (a batch chunk) is refused rather than half stored.
            try:
                await db.executemany(f"INSERT INTO exchanges ({_EXCHANGE_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                                     [dataclasses.astuple(record) for record in new])
            except self.integrity_errors:
                raise Conflict("an exchange with one of these ids or challenges exists", code="exchangeIdInUse") \
                    from None
        return [stored.get(record.id, record) for record in records]

    async def prune_exchanges(self, workflow: str, expired_before: float, limit: int = 1000) -> int:
        async with self.transaction() as db:
            rows = await db.execute_fetchall("SELECT id FROM exchanges WHERE workflow = ? AND expires < ? LIMIT ?",
                                             (workflow, expired_before, limit))
            ids = [(row[0],) for row in rows]
            await db.executemany("DELETE FROM exchanges WHERE id = ?", ids)
        return len(ids)

    async def get_exchange(self, exchange_id: str) -> ExchangeRecord | None:
        return (await _find_exchanges(self.db, [exchange_id])).get(exchange_id)

    async def start_exchange(self, exchange_id: str, now: float) -> ExchangeRecord | None:
        async with self.transaction() as db:
            # RETURNING: the started exchange comes back with the update, without a second statement.
            started = await db.execute_fetchall("UPDATE exchanges SET state = 'active', sequence = sequence + 1 "
                                                "WHERE id = ? AND state = 'pending' AND expires > ? "
                                                f"RETURNING {_EXCHANGE_COLUMNS}", (exchange_id, now))
            if started:
                return ExchangeRecord(*next(iter(started)))
            return (await _find_exchanges(db, [exchange_id])).get(exchange_id)

    async def refuse_presentation(self, exchange_id: str, problem: str) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE exchanges SET attempts = attempts + 1, last_error = ? "
                             "WHERE id = ? AND state IN ('pending', 'active')", (problem, exchange_id))

    async def cancel_exchange(self, exchange_id: str, now: float) -> CompletionState:
        async with self.transaction() as db:
            return await _close_exchange(db, exchange_id, now, "UPDATE exchanges SET state = 'invalid', "
                                         "sequence = sequence + 1, completed = ?", (now,))

    async def add_challenge(self, challenge: str, created: float, expires: float, limit: int) -> bool:
        async with self.transaction() as db:
            await self._one_at_a_time(db, "challenges")
            await db.execute("DELETE FROM challenges WHERE expires <= ?", (created,))
            async with db.execute("SELECT COUNT(*) FROM challenges") as cursor:
                row = await cursor.fetchone()
            if row is not None and int(row[0]) >= limit:
                return False
            await db.execute("INSERT INTO challenges (challenge, created, expires, used) VALUES (?, ?, ?, NULL)",
                             (challenge, created, expires))
        return True

    async def challenge_state(self, challenge: str, now: float) -> ChallengeState:
        async with self.db.execute("SELECT expires, used FROM challenges WHERE challenge = ?",
                                   (challenge,)) as cursor:
            row = await cursor.fetchone()
        return _challenge_state(row, now) or "open"

    async def consume_challenge(self, challenge: str, now: float) -> ChallengeState:
        async with self.transaction() as db:
            async with db.execute(f"SELECT expires, used FROM challenges WHERE challenge = ?{self.lock()}",
                                  (challenge,)) as cursor:
                row = await cursor.fetchone()
            state = _challenge_state(row, now)
            if state is not None:
                return state
            await db.execute("UPDATE challenges SET used = ? WHERE challenge = ?", (now, challenge))
        return "consumed"

    async def add_oid4vci_code(self, code_hash: str, exchange_id: str, now: float, expires: float,
                               limit: int) -> bool:
        async with self.transaction() as db:
            await self._one_at_a_time(db, f"oid4vci_codes:{exchange_id}")
            await db.execute("DELETE FROM oid4vci_codes WHERE expires <= ?", (now,))
            rows = await db.execute_fetchall(
                "SELECT (SELECT COUNT(*) FROM oid4vci_codes WHERE exchange_id = ? AND used IS NULL), "
                "(SELECT COUNT(*) FROM exchanges WHERE id = ? AND state IN ('pending', 'active') AND expires > ?)",
                (exchange_id, exchange_id, now))
            held, open_ = (int(value) for value in next(iter(rows)))
            if not open_ or held >= limit:
                return False
            await db.execute("INSERT INTO oid4vci_codes (code_hash, exchange_id, created, expires, used) "
                             "VALUES (?, ?, ?, ?, NULL)", (code_hash, exchange_id, now, expires))
        return True

    async def redeem_oid4vci_code(self, code_hash: str, now: float, tx_code_ok: Callable[[str], bool],
                                  max_failures: int, token_hash: str, token_expires: float,
                                  token_details: str | None = None) -> tuple[RedeemState, str | None, int]:
        async with self.transaction() as db:
            rows = await db.execute_fetchall(
                "SELECT c.exchange_id, c.expires, c.used, e.state, e.expires, COALESCE(f.failures, 0) "
                "FROM oid4vci_codes AS c JOIN exchanges AS e ON e.id = c.exchange_id "
                "LEFT JOIN oid4vci_tx_failures AS f ON f.exchange_id = c.exchange_id WHERE c.code_hash = ?"
                f"{self.lock('c')}",
                (code_hash,))
            found = next(iter(rows), None)
            if found is None:
                return "unknown", None, 0
            exchange_id, expires, used, state, exchange_expires, failures = found
            left = max(0, max_failures - int(failures))
            if used is not None:
                return "used", exchange_id, left
            if float(expires) <= now:
                return "expired", exchange_id, left
            if state not in ("pending", "active") or float(exchange_expires) <= now:
                return "exchangeClosed", exchange_id, left
            if left == 0:
                return "locked", exchange_id, 0
            if not tx_code_ok(exchange_id):
                await db.execute("INSERT INTO oid4vci_tx_failures (exchange_id, failures, last_at) VALUES (?, 1, ?) "
                                 "ON CONFLICT (exchange_id) DO UPDATE SET "
                                 "failures = oid4vci_tx_failures.failures + 1, last_at = ?",
                                 (exchange_id, now, now))
                return "wrongTxCode", exchange_id, left - 1
            await db.execute("UPDATE oid4vci_codes SET used = ? WHERE code_hash = ?", (now, code_hash))
            await db.execute("DELETE FROM oid4vci_tokens WHERE expires <= ?", (now,))
            await db.execute("INSERT INTO oid4vci_tokens (token_hash, exchange_id, created, expires, "
                             "authorization_details) VALUES (?, ?, ?, ?, ?)",
                             (token_hash, exchange_id, now, token_expires, token_details))
            await db.execute("UPDATE exchanges SET state = 'active', sequence = sequence + 1 "
                             "WHERE id = ? AND state = 'pending'", (exchange_id,))
        return "issued", exchange_id, left

    async def authorize_oid4vci(self, exchange_id: str, now: float, code_ok: Callable[[], bool], max_failures: int,
                                code_hash: str, binding: tuple[str, str, str], expires: float, limit: int,
                                details: str | None = None) -> tuple[LoginState, int]:
        async with self.transaction() as db:
            rows = await db.execute_fetchall(
                "SELECT e.state, e.expires, COALESCE(f.failures, 0), "
                "(SELECT COUNT(*) FROM oid4vci_auth_codes AS a WHERE a.exchange_id = e.id AND a.used IS NULL "
                "AND a.expires > ?) FROM exchanges AS e "
                "LEFT JOIN oid4vci_tx_failures AS f ON f.exchange_id = e.id WHERE e.id = ?"
                f"{self.lock('e')}", (now, exchange_id))
            found = next(iter(rows), None)
            if found is None or found[0] not in ("pending", "active") or float(found[1]) <= now:
                return "exchangeClosed", 0
            left = max(0, max_failures - int(found[2]))
            if left == 0:
                return "locked", 0
            if int(found[3]) >= limit:
                return "tooMany", left
            if not code_ok():
                await db.execute("INSERT INTO oid4vci_tx_failures (exchange_id, failures, last_at) VALUES (?, 1, ?) "
                                 "ON CONFLICT (exchange_id) DO UPDATE SET "
                                 "failures = oid4vci_tx_failures.failures + 1, last_at = ?",
                                 (exchange_id, now, now))
                return "wrongTxCode", left - 1
            client_id, redirect_uri, challenge = binding
            await db.execute("INSERT INTO oid4vci_auth_codes (code_hash, exchange_id, client_id, redirect_uri, "
                             "code_challenge, created, expires, used, token_hash, authorization_details) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
                             (code_hash, exchange_id, client_id, redirect_uri, challenge, now, expires, details))
        return "authorized", left

    async def redeem_oid4vci_auth_code(self, code_hash: str, now: float, binding_ok: Callable[[str, str, str], bool],
                                       token_hash: str, token_expires: float, purge_before: float,
                                       token_details: str | None = None) -> tuple[AuthCodeState, str | None]:
        async with self.transaction() as db:
            await db.execute("DELETE FROM oid4vci_auth_codes WHERE expires <= ?", (purge_before,))
            rows = await db.execute_fetchall(
                "SELECT a.exchange_id, a.client_id, a.redirect_uri, a.code_challenge, a.expires, a.used, "
                "a.token_hash, e.state, e.expires FROM oid4vci_auth_codes AS a "
                "JOIN exchanges AS e ON e.id = a.exchange_id WHERE a.code_hash = ?"
                f"{self.lock('a')}", (code_hash,))
            found = next(iter(rows), None)
            if found is None:
                return "unknown", None
            exchange_id, client_id, redirect_uri, challenge, expires, used, spent_token, state, ends = found
            if used is not None:
                if spent_token is not None:  # a replayed code: whoever holds the token it gave loses it
                    await db.execute("DELETE FROM oid4vci_tokens WHERE token_hash = ?", (spent_token,))
                return "used", exchange_id
            if float(expires) <= now:
                return "expired", exchange_id
            if state not in ("pending", "active") or float(ends) <= now:
                return "exchangeClosed", exchange_id
            if not binding_ok(client_id, redirect_uri, challenge):
                await db.execute("UPDATE oid4vci_auth_codes SET used = ? WHERE code_hash = ?", (now, code_hash))
                return "mismatch", exchange_id
            await db.execute("UPDATE oid4vci_auth_codes SET used = ?, token_hash = ? WHERE code_hash = ?",
                             (now, token_hash, code_hash))
            await db.execute("DELETE FROM oid4vci_tokens WHERE expires <= ?", (now,))
            await db.execute("INSERT INTO oid4vci_tokens (token_hash, exchange_id, created, expires, "
                             "authorization_details) VALUES (?, ?, ?, ?, ?)",
                             (token_hash, exchange_id, now, token_expires, token_details))
            await db.execute("UPDATE exchanges SET state = 'active', sequence = sequence + 1 "
                             "WHERE id = ? AND state = 'pending'", (exchange_id,))
        return "issued", exchange_id

    async def oid4vci_code_exchange(self, code_hash: str) -> str | None:
        rows = await self.db.execute_fetchall("SELECT exchange_id FROM oid4vci_codes WHERE code_hash = ?",
                                              (code_hash,))
        found = next(iter(rows), None)
        return found[0] if found is not None else None

    async def oid4vci_auth_code_grant(self, code_hash: str) -> tuple[str, str | None] | None:
        rows = await self.db.execute_fetchall("SELECT exchange_id, authorization_details FROM oid4vci_auth_codes "
                                              "WHERE code_hash = ?", (code_hash,))
        found = next(iter(rows), None)
        return (found[0], found[1]) if found is not None else None

    async def oid4vci_token_grant(self, token_hash: str, now: float) -> tuple[str, str | None] | None:
        rows = await self.db.execute_fetchall("SELECT exchange_id, authorization_details FROM oid4vci_tokens "
                                              "WHERE token_hash = ? AND expires > ?", (token_hash, now))
        found = next(iter(rows), None)
        return (found[0], found[1]) if found is not None else None

    async def add_oid4vci_nonce(self, nonce: str, created: float, expires: float, limit: int) -> bool:
        async with self.transaction() as db:
            await self._one_at_a_time(db, "oid4vci_nonces")
            await db.execute("DELETE FROM oid4vci_nonces WHERE expires <= ?", (created,))
            # Only open nonces count: a used one is kept until it expires (a replay is told it was used), and
            # counting those too refused new nonces to a node issuing steadily (rate * lifetime > the limit).
            rows = await db.execute_fetchall("SELECT COUNT(*) FROM oid4vci_nonces WHERE used IS NULL")
            if int(next(iter(rows))[0]) >= limit:
                return False
            await db.execute("INSERT INTO oid4vci_nonces (nonce, created, expires, used) VALUES (?, ?, ?, NULL)",
                             (nonce, created, expires))
        return True

    async def consume_oid4vci_nonce(self, nonce: str, now: float) -> ChallengeState:
        async with self.transaction() as db:
            rows = await db.execute_fetchall(f"SELECT expires, used FROM oid4vci_nonces WHERE nonce = ?{self.lock()}",
                                             (nonce,))
            state = _challenge_state(next(iter(rows), None), now)
            if state is not None:
                return state
            await db.execute("UPDATE oid4vci_nonces SET used = ? WHERE nonce = ?", (now, nonce))
        return "consumed"

    async def add_job(self, job: JobRecord, max_active: int) -> bool:
        async with self.transaction() as db:
            # Counted and inserted in one transaction, one at a time: two uploads at once cannot both pass the limit.
            await self._one_at_a_time(db, f"jobs:{job.owner}")
            rows = await db.execute_fetchall("SELECT COUNT(*) FROM jobs WHERE owner = ? AND state IN "
                                             "('queued', 'running')", (job.owner,))
            if int(next(iter(rows))[0]) >= max_active:
                return False
            await db.execute("INSERT INTO jobs (id, kind, owner, identity, state, input, total, done, attempts, "
                             "lease_until, created, updated) VALUES (?, ?, ?, ?, 'queued', ?, ?, 0, 0, 0, ?, ?)",
                             (job.id, job.kind, job.owner, job.identity, job.input, job.total, job.created,
                              job.created))
        return True

    async def get_job(self, job_id: str) -> JobRecord | None:
        rows = await self.db.execute_fetchall(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        row = next(iter(rows), None)
        return JobRecord(*row) if row else None

    async def list_jobs(self, identities: list[str] | None = None, limit: int = 50) -> list[JobRecord]:
        columns = _JOB_COLUMNS.replace(" input,", " '',")  # a batch's input (its rows) is not read for a list
        if identities is None:
            rows = await self.db.execute_fetchall(f"SELECT {columns} FROM jobs ORDER BY created DESC, id LIMIT ?",
                                                  (limit,))
        else:
            marks = ",".join("?" * len(identities[:500]))
            rows = await self.db.execute_fetchall(f"SELECT {columns} FROM jobs WHERE identity IN ({marks}) "
                                                  "ORDER BY created DESC, id LIMIT ?", (*identities[:500], limit))
        return [JobRecord(*row) for row in rows]

    async def job_result(self, job_id: str) -> bytes | None:
        rows = await self.db.execute_fetchall("SELECT result FROM jobs WHERE id = ?", (job_id,))
        row = next(iter(rows), None)
        return bytes(row[0]) if row and row[0] is not None else None

    async def claim_job(self, owner: str, now: float, lease_until: float, max_attempts: int) -> JobRecord | None:
        async with self.transaction() as db:
            # A job whose processes died max_attempts times is given up, not taken over forever.
            await db.execute("UPDATE jobs SET state = 'failed', lease_owner = NULL, updated = ?, error = ? "
                             "WHERE state = 'running' AND lease_until < ? AND attempts >= ?",
                             (now, json.dumps({"code": "jobAbandoned", "detail": "the processes running this job "
                                               f"stopped {max_attempts} times before it finished"}),
                              now, max_attempts))
            rows = await db.execute_fetchall("SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND "
                                             f"lease_until < ?) ORDER BY created, id LIMIT 1{self._skip_locked}",
                                             (now,))
            found = next(iter(rows), None)
            if found is None:
                return None
            # The compare-and-set: only a job still free is taken (the WHERE repeats what made it a candidate).
            claimed = await db.execute_fetchall(
                "UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
                "updated = ? WHERE id = ? AND (state = 'queued' OR (state = 'running' AND lease_until < ?)) "
                f"RETURNING {_JOB_COLUMNS}", (owner, lease_until, now, found[0], now))
            row = next(iter(claimed), None)
        return JobRecord(*row) if row else None

    async def renew_job(self, job_id: str, owner: str, now: float, lease_until: float,
                        progress: tuple[int, int] | None = None) -> bool:
        async with self.transaction() as db:
            if progress is None:
                cursor = await db.execute("UPDATE jobs SET lease_until = ?, updated = ? WHERE id = ? AND "
                                          "state = 'running' AND lease_owner = ?", (lease_until, now, job_id, owner))
            else:
                cursor = await db.execute("UPDATE jobs SET lease_until = ?, updated = ?, "
                                          "done = CASE WHEN done > ? THEN done ELSE ? END, "
                                          "total = ? WHERE id = ? AND state = 'running' AND lease_owner = ?",
                                          (lease_until, now, progress[0], progress[0], progress[1], job_id, owner))
            return cursor.rowcount == 1

    async def finish_job(self, job_id: str, owner: str, now: float, *, state: str, summary: str | None = None,
                         error: str | None = None, result: bytes | None = None) -> bool:
        if state not in ("done", "failed"):
            raise ValueError(f"a job finishes done or failed, not {state!r}")
        async with self.transaction() as db:
            done = "total" if state == "done" else "done"  # a finished job has done every row
            cursor = await db.execute(f"UPDATE jobs SET state = ?, summary = ?, error = ?, result = ?, done = {done}, "
                                      "lease_owner = NULL, lease_until = 0, updated = ? WHERE id = ? AND "
                                      "state = 'running' AND lease_owner = ?",
                                      (state, summary, error, result, now, job_id, owner))
            return cursor.rowcount == 1

    async def release_job(self, job_id: str, owner: str, now: float) -> bool:
        async with self.transaction() as db:
            # Released, not failed: the attempt does not count against the job.
            cursor = await db.execute("UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = 0, "
                                      "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated = ? "
                                      "WHERE id = ? AND "
                                      "state = 'running' AND lease_owner = ?", (now, job_id, owner))
            return cursor.rowcount == 1

    async def purge_jobs(self, finished_before: float) -> int:
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated < ?",
                                      (finished_before,))
            return cursor.rowcount



def _challenge_state(row: Sequence[Any] | None, now: float) -> ChallengeState | None:
    """Why a stored challenge (``(expires, used)``, or None) cannot be consumed; None when it can."""
    if row is None:
        return "unknown"
    if row[1] is not None:
        return "used"
    if float(row[0]) <= now:
        return "expired"
    return None


_TOKEN_COLUMNS = "id, token_hash, scopes, identity, created, revoked"
_CREDENTIAL_COLUMNS = "id, issuer, document, created, request_hash"
_LIST_COLUMNS = ("id, issuer, purpose, status_size, messages, entries, allocated, version, published, "
                 "published_version, published_until, created")
#: Entries per stored chunk of a list's bits (migration 0009): 4 KiB per bit of statusSize, byte-aligned.
_CHUNK_ENTRIES = 32_768


async def _find_exchanges(db: Connection, ids: list[str]) -> dict[str, ExchangeRecord]:
    found: dict[str, ExchangeRecord] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        # One call into aiosqlite's thread (a cursor would take three: execute, fetch, close); every
        # wallet message reads its exchange, so this is on the exchanges' hot path.
        rows = await db.execute_fetchall(f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges "
                                         f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        found.update({row[0]: ExchangeRecord(*row) for row in rows})
    return found


async def _close_exchange(db: Connection, exchange_id: str, now: float, update: str,
                          values: tuple) -> CompletionState:
    """Apply ``update`` (SET …) to an open, unexpired exchange — a compare-and-set on its state inside the
    caller's transaction — or say why it cannot be closed."""
    cursor = await db.execute(f"{update} WHERE id = ? AND state IN ('pending', 'active') AND expires > ?",
                              (*values, exchange_id, now))
    if cursor.rowcount == 1:
        return "completed"
    async with db.execute("SELECT state, expires FROM exchanges WHERE id = ?", (exchange_id,)) as found:
        row = await found.fetchone()
    if row is None:
        return "unknown"
    return "expired" if row[0] in ("pending", "active") else row[0]


def _status_list(row: Sequence[Any]) -> StatusListRecord:
    return StatusListRecord(row[0], row[1], row[2], int(row[3]), row[4], int(row[5]), int(row[6]), int(row[7]),
                            row[8], row[9], row[10], row[11])


class SqlIssuance:
    """Status index allocation and credential storage inside one write transaction."""

    def __init__(self, db: Connection, store: SqlStore) -> None:
        self._db = db
        self._store = store
        self._integrity_errors = store.integrity_errors

    async def allocate(self, issuer: str, spec: StatusListSpec, credential_ids: list[str]) -> list[StatusAllocation]:
        """The next positions of the issuer's open list of this kind (a new list when it fills), in the
        order of the list's secret permutation: unpredictable, never used, and found without looking at what
        is taken. Positions are reserved by :meth:`_reserve`, then recorded with their credentials in this
        transaction."""
        out: list[StatusAllocation] = []
        pending = list(credential_ids)
        while pending:
            list_id, indexes = await self._reserve(issuer, spec, min(len(pending), _RESERVE_AT_MOST))
            take = pending[:len(indexes)]
            await self._db.executemany("INSERT INTO status_entries (list_id, idx, credential_id) VALUES (?, ?, ?)",
                                       [(list_id, i, c) for i, c in zip(indexes, take, strict=True)])
            out.extend(StatusAllocation(c, list_id, i, spec) for i, c in zip(indexes, take, strict=True))
            pending = pending[len(take):]
        return out

    async def _reserve(self, issuer: str, spec: StatusListSpec, count: int) -> tuple[str, list[int]]:
        """Up to ``count`` free positions of an open list, taken from its counter. Here inside this
        transaction: SQLite's single writer holds the database, so no one else takes them meanwhile."""
        return await reserve_positions(self._store, self._db, issuer, spec, count)

    async def serve_as_tokens(self, list_id: str) -> None:
        await self._db.execute("UPDATE status_lists SET tokens = 1 WHERE id = ? AND tokens = 0", (list_id,))

    async def find_credentials(self, ids: list[str]) -> dict[str, CredentialRecord]:
        found: dict[str, CredentialRecord] = {}
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.execute(f"SELECT {_CREDENTIAL_COLUMNS} FROM credentials WHERE id IN ({marks})",
                                        chunk) as cursor:
                found.update({row[0]: CredentialRecord(*row) async for row in cursor})
        return found

    async def save_credentials(self, records: list[CredentialRecord]) -> None:
        # A plain INSERT: the primary key refuses a second credential under an id; nothing is ever replaced
        # (a replaced credential would leave the first copy's status entries unreachable).
        try:
            await self._db.executemany(f"INSERT INTO credentials ({_CREDENTIAL_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                                       [dataclasses.astuple(record) for record in records])
        except self._integrity_errors:
            raise CredentialIdTaken("a credential with one of these ids is already stored") from None
        await index_credentials(self._db, [(r.id, r.issuer, r.document, r.created) for r in records])

    async def complete_exchange(self, exchange_id: str, now: float, holder: str | None, result: str) -> CompletionState:
        return await _close_exchange(self._db, exchange_id, now, "UPDATE exchanges SET state = 'complete', "
                                     "sequence = sequence + 1, holder = ?, result = ?, completed = ?",
                                     (holder, result, now))

@dataclasses.dataclass(frozen=True, slots=True)
class _OpenList:
    """What allocation needs of a list that has room."""

    id: str
    entries: int
    allocated: int
    next_seq: int
    key: bytes
    converted: bool


#: Positions reserved per round: SQLite binds at most 999 parameters in one statement (the used check).
_RESERVE_AT_MOST = 500


async def reserve_positions(store: SqlStore, db: Connection, issuer: str, spec: StatusListSpec, count: int, *,
                            lock: str = "") -> tuple[str, list[int]]:
    """Take up to ``count`` positions from the counter of the issuer's open list of this kind (creating the
    list when none has room): the list's id and the free positions, in permutation order. A list converted
    from random allocation (migration 0009) skips the positions it handed out before: 1 / (1 - fill at
    conversion) look-ups per position, under ten (fuller lists were closed). The caller makes it atomic:
    a write transaction that nobody else can enter for this list (``lock`` locks the list's row)."""
    opened = await _open_list(db, issuer, spec, lock, store.clock.now().isoformat())
    if opened.allocated == 0 and opened.next_seq == 0:  # new: other processes learn of the list
        await store.record(db, StatusListChanged(opened.id))
    end = min(opened.entries, opened.next_seq + count)
    permute = IndexPermutation(opened.key, opened.entries)
    indexes = [permute(n) for n in range(opened.next_seq, end)]
    if opened.converted and indexes:
        used = await used_positions(db, opened.id, indexes)
        indexes = [index for index in indexes if index not in used]
    await db.execute("UPDATE status_lists SET allocated = allocated + ?, next_seq = ? WHERE id = ?",
                     (len(indexes), end, opened.id))
    return opened.id, indexes


async def _open_list(db: Connection, issuer: str, spec: StatusListSpec, lock: str, now: str) -> _OpenList:
    async with db.execute("SELECT id, entries, allocated, next_seq, perm_key, converted FROM status_lists "
                          "WHERE issuer = ? AND purpose = ? AND status_size = ? AND messages IS NOT DISTINCT FROM ? "
                          f"AND allocated < entries AND next_seq < entries ORDER BY created, id LIMIT 1{lock}",
                          (issuer, spec.purpose, spec.status_size, spec.messages)) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        return _OpenList(row[0], int(row[1]), int(row[2]), int(row[3]), bytes(row[4]), bool(row[5]))
    list_id, key = secrets.token_urlsafe(12), secrets.token_bytes(KEY_BYTES)
    await db.execute(f"INSERT INTO status_lists ({_LIST_COLUMNS}, perm_key, next_seq, converted) "
                     "VALUES (?, ?, ?, ?, ?, ?, 0, 1, NULL, NULL, NULL, ?, ?, 0, 0)",
                     (list_id, issuer, spec.purpose, spec.status_size, spec.messages, spec.entries,
                      now, key))
    return _OpenList(list_id, spec.entries, 0, 0, key, False)


async def used_positions(db: Connection, list_id: str, candidates: list[int]) -> set[int]:
    """Which of ``candidates`` the list has handed out."""
    marks = ",".join("?" * len(candidates))
    async with db.execute(f"SELECT idx FROM status_entries WHERE list_id = ? AND idx IN ({marks})",
                          [list_id, *candidates]) as cursor:
        return {row[0] async for row in cursor}


async def index_credentials(db: Connection, records: Sequence[tuple[str, str, str, str]]) -> None:
    """Index (id, issuer, document, created) of stored credentials for the desk's search and its achievements
    (:mod:`vcnode.store.search`), inside the caller's transaction."""
    terms: list[tuple[str, str]] = []
    awarded: dict[tuple[str, str], tuple[str, str]] = {}
    for credential_id, issuer, document, created in records:
        try:
            parsed = orjson.loads(document)
        except orjson.JSONDecodeError:
            parsed = None
        terms.extend((term, credential_id) for term in search.document_terms(credential_id, parsed))
        for achievement_id, achievement in search.achievements(parsed):
            newest = awarded.get((issuer, achievement_id))
            if newest is None or created >= newest[1]:
                awarded[(issuer, achievement_id)] = (orjson.dumps(achievement).decode(), created)
    await db.executemany("INSERT INTO credential_terms (term, credential_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         terms)
    # Keep the newest copy of each achievement (a batch re-run may store older credentials after newer ones).
    await db.executemany("INSERT INTO issued_achievements (issuer, id, achievement, last_issued) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (issuer, id) DO UPDATE SET achievement = excluded.achievement, "
                         "last_issued = excluded.last_issued "
                         "WHERE excluded.last_issued >= issued_achievements.last_issued",
                         [(issuer, aid, text, created) for (issuer, aid), (text, created) in awarded.items()])


def _zero_chunk(entries: int, size: int, chunk: int) -> bytearray:
    """An all-zero chunk: 32,768 entries, or what is left of the list for its last chunk."""
    return new_bitstring(min(_CHUNK_ENTRIES, entries - chunk * _CHUNK_ENTRIES), size)


def _token(row: Sequence[Any]) -> TokenRecord:
    return TokenRecord(id=row[0], token_hash=row[1], scopes=tuple(s for s in row[2].split(",") if s),
                       identity=row[3], created=row[4], revoked=row[5])


def _identity(row: Sequence[Any]) -> IdentityRecord:
    return IdentityRecord(did=row[0], method=row[1], name=row[2], web_path=row[3], is_default=bool(row[4]),
                          created=row[5])


def _key(row: Sequence[Any]) -> KeyRecord:
    return KeyRecord(id=row[0], identity_did=row[1], key_type=row[2], public_multikey=row[3],
                     sealed_secret=bytes(row[4]), valid_from=row[5], valid_until=row[6], active=bool(row[7]))


def _key_row(key: KeyRecord) -> tuple:
    return (key.id, key.identity_did, key.key_type, key.public_multikey, key.sealed_secret, key.valid_from,
            key.valid_until, int(key.active))
