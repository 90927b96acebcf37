"""Copy a node's SQLite store into an empty PostgreSQL store (``vcnode migrate-store``).

Both stores are first brought to the newest schema (their migrations share numbers), then every table is
copied in one PostgreSQL transaction from one SQLite read transaction: the copy is a consistent snapshot, and
a copy that fails leaves the PostgreSQL database as empty as it was. Rows go over PostgreSQL's binary COPY,
a table at a time, in batches, so a store of a million credentials does not need a million round trips."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from vcnode.errors import VcnodeError

#: Rows read from SQLite and sent per COPY batch.
BATCH = 5_000
#: Tables the copy leaves out: each store keeps its own migration record.
_NOT_COPIED = {"schema_migrations", "sqlite_sequence"}


class CopyError(VcnodeError):
    """The copy cannot be made (target not empty, schema versions differ)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="storeCopyFailed", status=409)


@dataclass(frozen=True)
class CopyReport:
    """What was copied: rows per table and the schema version of both stores."""

    schema_version: int
    rows: dict[str, int]

    @property
    def total(self) -> int:
        """Rows copied in all."""
        return sum(self.rows.values())


async def copy_sqlite_to_postgres(database: Path, url: str, *,
                                  progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy the SQLite store at ``database`` into the PostgreSQL database at ``url``, which must hold no node
    yet. ``progress(table, rows)`` is told after each batch."""
    from vcnode.store.postgres import PostgresStore
    from vcnode.store.sqlite import SqliteStore

    source = SqliteStore(database)
    await source.open()  # applies pending migrations first
    version = await source.schema_version()
    await source.close()
    target = PostgresStore(url, max_size=2)
    await target.open()
    try:
        if await target.schema_version() != version:
            raise CopyError(f"the SQLite store is at schema {version}, PostgreSQL at "
                            f"{await target.schema_version()}: run the same vcnode version on both")
        async with target.pool.acquire() as conn, conn.transaction():
            held = await conn.fetchval("SELECT COUNT(*) FROM identities")
            if held:
                raise CopyError("the PostgreSQL database already holds a node: copy into an empty database")
            columns = await _postgres_columns(conn)
            rows = _copy_tables(database, columns)
            counts: dict[str, int] = {}
            for table, names, batch in rows:
                await conn.copy_records_to_table(table, records=batch, columns=names)
                counts[table] = counts.get(table, 0) + len(batch)
                if progress is not None:
                    progress(table, counts[table])
            for table in columns:
                counts.setdefault(table, 0)
            await _advance_identities(conn)
    finally:
        await target.close()
    return CopyReport(version, counts)


async def _postgres_columns(conn: object) -> dict[str, list[str]]:
    """The node's tables in PostgreSQL and their columns, in order; a table comes after the tables its
    foreign keys name (its rows are copied after the rows they refer to)."""
    rows = await conn.fetch(  # type: ignore[attr-defined]
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "ORDER BY table_name, ordinal_position")
    columns: dict[str, list[str]] = {}
    for row in rows:
        if row["table_name"] not in _NOT_COPIED:
            columns.setdefault(row["table_name"], []).append(row["column_name"])
    references = await conn.fetch(  # type: ignore[attr-defined]
        "SELECT DISTINCT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent "
        "FROM pg_constraint AS c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace")
    parents: dict[str, set[str]] = {table: set() for table in columns}
    for row in references:
        if row["child"] in parents and row["parent"] != row["child"]:
            parents[row["child"]].add(row["parent"])
    ordered: dict[str, list[str]] = {}
    while len(ordered) < len(columns):
        ready = [t for t in sorted(columns) if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise CopyError(f"foreign keys form a cycle among {sorted(set(columns) - set(ordered))}")
        ordered.update((table, columns[table]) for table in ready)
    return ordered


def _copy_tables(database: Path, columns: dict[str, list[str]]):
    """Batches ``(table, columns, rows)`` read from one SQLite read transaction. A PostgreSQL column that
    SQLite keeps implicitly (``rowid``) is read as SQLite's row id."""
    uri = database.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        db.execute("BEGIN")  # one snapshot for every table
        present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = set(columns) - present
        if missing:
            raise CopyError(f"the SQLite store lacks tables PostgreSQL has: {', '.join(sorted(missing))}")
        for table, names in columns.items():
            cursor = db.execute(f"SELECT {', '.join(names)} FROM {table}")  # names come from the schema
            while batch := cursor.fetchmany(BATCH):
                yield table, names, [tuple(_value(v) for v in row) for row in batch]
        db.execute("COMMIT")


def _value(value: object) -> object:
    return bytes(value) if isinstance(value, memoryview) else value


async def _advance_identities(conn: object) -> None:
    """Move each identity column's sequence past the copied values (rows inserted later must not clash)."""
    rows = await conn.fetch(  # type: ignore[attr-defined]
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND is_identity = 'YES'")
    for row in rows:
        table, column = row["table_name"], row["column_name"]
        await conn.execute(  # type: ignore[attr-defined]
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)")
