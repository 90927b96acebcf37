"""A throwaway PostgreSQL cluster for tests: the Debian server binaries, run as the ``postgres`` user when the
tests run as root (initdb and pg_ctl refuse root), on a free port of 127.0.0.1, trust authentication.

``scripts/test`` installs the ``postgresql`` package when ``initdb`` is missing, so in CI these tests always
run; on a developer machine without it they fail with the command that installs it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

USER = "vcnode"


def server_bin() -> Path:
    """The newest installed PostgreSQL server's bin directory (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed: apt-get install postgresql "
                           "(scripts/test does it when run as root)")
    return Path(found[-1]).parent


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A running cluster; ``url(db)`` names one of its databases."""

    directory: Path
    port: int
    bin: Path

    def url(self, database: str = "postgres") -> str:
        """A libpq URL of ``database`` on this cluster."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def clone(self, template: str) -> str:
        """A new database copied from the database ``template`` (no one may be connected to it); its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with psql; what it printed (unaligned, tuples only)."""
        result = subprocess.run([str(self.bin / "psql"), "-qAt", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                                 "-d", database, "-c", sql], check=True, capture_output=True, text=True)
        return result.stdout

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its files."""
        _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"],
                        check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def _as_server_user(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.decode(errors='replace')[-2000:]}")
    return result


def start_cluster(settings: tuple[str, ...] = ()) -> Cluster:
    """initdb and start a cluster in a new temporary directory (about 2 s). ``settings`` are extra
    ``-c name=value`` server settings."""
    bin_dir = server_bin()
    directory = Path(tempfile.mkdtemp(prefix="vcnode-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    directory.chmod(0o700)
    _as_server_user([str(bin_dir / "initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", USER,
                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {directory} -F -c synchronous_commit=off -c max_connections=200"
    options += "".join(f" -c {setting}" for setting in settings)
    _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "log"),
                     "-w", "-o", options, "start"])
    return Cluster(directory, port, bin_dir)


class Reader:
    """Synchronous reads of a PostgreSQL database for tests that look into the store (as they open an SQLite
    file with ``sqlite3``): ``with reader as db: db.execute(sql, params).fetchall()``, ``?`` placeholders."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, parameters: tuple | list = ()) -> _Rows:
        """Run one query in a thread of its own (the caller may be inside a running event loop)."""
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        import asyncpg

        from vcnode.store.pg_connection import numbered

        async def fetch() -> list[tuple]:
            conn = await asyncpg.connect(self.url)
            try:
                return [tuple(row) for row in await conn.fetch(numbered(sql), *parameters)]
            finally:
                await conn.close()

        with ThreadPoolExecutor(1) as pool:
            return _Rows(pool.submit(asyncio.run, fetch()).result())


class _Rows(list):
    def fetchall(self) -> list[tuple]:
        return list(self)

    def fetchone(self) -> tuple | None:
        return self[0] if self else None
