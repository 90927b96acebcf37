"""Backups of the PostgreSQL store: ``pg_dump --format=custom`` of the node's database (one snapshot, so the
dump is consistent while ``vcnode serve`` keeps writing; the keys in it stay encrypted, as in the database),
and ``pg_restore --no-owner --no-privileges`` into an empty database.

The dump's schema version and node DID are read from the dump itself (the data of ``schema_migrations`` and
``identities``), so a restore checks them against the manifest before it writes anything. The URL's password
never reaches a command line (it goes to the tools in ``PGPASSWORD``) nor a message (:func:`redact`)."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from vcnode.backup import BackupError
from vcnode.backup.sqlite import StoreCopy
from vcnode.private_files import create_private_file

KIND = "postgresql"
MEMBER = "vcnode.pgdump"
#: How long one pg_dump or pg_restore may take before the backup gives up.
TOOL_TIMEOUT = 3600


def latest_schema() -> int:
    """The newest PostgreSQL schema version this vcnode knows (its last packaged migration)."""
    from vcnode.store.sql import migrations

    known = migrations(KIND)
    return known[-1][0] if known else 0


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _connection(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that gives the password to libpq tools instead (a
    command line is visible to every user of the machine)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = unquote(parts.password)
    host = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host)), env


def find_tool(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(p) if (p := path.split("/")[4]).isdigit() else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} not found: install the PostgreSQL client programs (Debian: postgresql-client) "
                      "or put them on PATH")


def _run(command: list[str], env: dict[str, str], what: str, *, capture: bool = False) -> str:
    """Run a PostgreSQL tool; its error (last lines, password-free) as a one-line :class:`BackupError`."""
    try:
        result = subprocess.run(command, env=env, capture_output=True, timeout=TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish in {TOOL_TIMEOUT} s") from None
    if result.returncode != 0:
        message = " ".join(result.stderr.decode("utf-8", "replace").split())
        raise BackupError(f"{what} failed: {message[-400:] or f'exit status {result.returncode}'}")
    return result.stdout.decode("utf-8", "replace") if capture else ""


def dump(url: str, copy: Path) -> StoreCopy:
    """Dump the node's database ``url`` into the new file ``copy`` (mode 0600, pg_dump's custom format) and
    say what it holds."""
    address, env = _connection(url)
    create_private_file(copy)
    _run([find_tool("pg_dump"), "--format=custom", "--no-password", f"--file={copy}", f"--dbname={address}"],
         env, f"pg_dump of {redact(url)}")
    return inspect(copy)


def inspect(copy: Path) -> StoreCopy:
    """Read the schema version and the node's DID from a dump (pg_restore reads the archive's table of contents
    and those two tables' data; a damaged or foreign file fails here)."""
    tool = find_tool("pg_restore")
    env = dict(os.environ)
    versions = _copy_rows(_run([tool, "--data-only", "--table=schema_migrations", "--file=-", str(copy)], env,
                               "reading the dump", capture=True), "schema_migrations")
    identities = _copy_rows(_run([tool, "--data-only", "--table=identities", "--file=-", str(copy)], env,
                                 "reading the dump", capture=True), "identities")
    if not versions:
        raise BackupError("the dump is not a vcnode PostgreSQL store (no schema_migrations data)")
    try:
        version = max(int(row["version"]) for row in versions)
    except (KeyError, ValueError):
        raise BackupError("the dump is not a vcnode PostgreSQL store (schema_migrations unreadable)") from None
    default = [row.get("did") for row in identities if row.get("is_default") == "1"]
    return StoreCopy(schema_version=version, node_did=default[0] if default else None, size=copy.stat().st_size)


def _copy_rows(script: str, table: str) -> list[dict[str, str | None]]:
    """The rows of ``table`` in pg_restore's SQL output (a ``COPY ... FROM stdin`` block, text format)."""
    rows: list[dict[str, str | None]] = []
    columns: list[str] | None = None
    for line in script.splitlines():
        if columns is None:
            if line.startswith("COPY ") and line.endswith("FROM stdin;") and f".{table} (" in line:
                columns = [name.strip().strip('"') for name in line[line.index("(") + 1:line.rindex(")")].split(",")]
            continue
        if line == "\\.":
            break
        values = [None if value == "\\N" else _unescape(value) for value in line.split("\t")]
        rows.append(dict(zip(columns, values, strict=False)))
    return rows


def _unescape(value: str) -> str:
    """COPY text format's backslash escapes (the values read here are DIDs and numbers)."""
    if "\\" not in value:
        return value
    escapes = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "b": "\b", "f": "\f", "v": "\v"}
    out, chars = [], iter(value)
    for char in chars:
        out.append(escapes.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


_USER_RELATIONS = """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  AND n.nspname NOT LIKE 'pg\\_temp\\_%'"""


def check_empty(url: str) -> None:
    """Refuse a target database that holds any table, sequence or view of its own (a restore goes into a new,
    empty database only; pg_restore's single transaction would also fail on the first existing table)."""
    import asyncpg

    async def count() -> int:
        conn = await asyncpg.connect(url, timeout=30)
        try:
            return int(await conn.fetchval(_USER_RELATIONS))
        finally:
            await conn.close()

    try:
        found = asyncio.run(count())
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot connect to {redact(url)}: {' '.join(str(exc).split())[:300]}") from None
    if found:
        raise BackupError(f"the database {redact(url)} is not empty ({found} relations): restore only into a new, "
                          "empty database")


def restore(copy: Path, url: str) -> None:
    """Restore the dump ``copy`` into the empty database ``url``: objects owned by the connecting user, no
    grants from the original, all in one transaction (nothing is left behind when it fails)."""
    address, env = _connection(url)
    _run([find_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={address}", str(copy)], env, f"pg_restore into {redact(url)}")
