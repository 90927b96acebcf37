"""Snapshots of the embedded SQLite store for backups, taken with SQLite's online backup API: one read
transaction, so the copy is consistent while ``vcnode serve`` (or any other process) keeps writing, and never
a hand copy of a live WAL database file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from vcnode.backup import BackupError
from vcnode.private_files import create_private_file

KIND = "sqlite"
MEMBER = "vcnode.sqlite3"


@dataclass(frozen=True)
class StoreCopy:
    """What a snapshot of the store holds."""

    schema_version: int
    node_did: str | None
    size: int


def latest_schema() -> int:
    """The newest schema version this vcnode knows (its last packaged migration)."""
    from vcnode.store.sql import migrations

    known = migrations()
    return known[-1][0] if known else 0


def snapshot(database: Path, copy: Path) -> StoreCopy:
    """Copy the live database ``database`` into the new file ``copy`` (mode 0600, one self-contained file with
    no ``-wal``), check the copy and say what it holds."""
    create_private_file(copy)
    try:
        with closing(sqlite3.connect(database, timeout=30)) as source, closing(sqlite3.connect(copy)) as target:
            # pages=-1: every page in one step, inside one read transaction. In WAL mode writers go on meanwhile;
            # stepping page by page instead would restart whenever another process commits.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")  # the copy is one file, whatever the source's mode
    except sqlite3.Error as exc:
        raise BackupError(f"cannot snapshot {database}: {exc}") from None
    return inspect(copy)


def inspect(copy: Path) -> StoreCopy:
    """Check a snapshot (SQLite's ``quick_check``) and read its schema version and the node's DID."""
    try:
        with closing(sqlite3.connect(copy.resolve().as_uri() + "?mode=ro", uri=True)) as db:
            [(check,)] = db.execute("PRAGMA quick_check(1)").fetchall()
            if check != "ok":
                raise BackupError(f"the store copy is damaged: {check}")
            [(version,)] = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchall()
            row = db.execute("SELECT did FROM identities WHERE is_default = 1").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"the store copy is not a vcnode SQLite store: {exc}") from None
    return StoreCopy(schema_version=int(version), node_did=row[0] if row else None, size=copy.stat().st_size)
