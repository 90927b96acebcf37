"""``vcnode migrate-store``: move a node from its embedded SQLite file into PostgreSQL
(:mod:`vcnode.store.copy`). Progress goes to stderr, the summary to stdout."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from vcnode.cli.common import CliError, has_node, node_config


async def cmd_migrate_store(args: argparse.Namespace) -> int:
    """Copy the node's SQLite store into an empty PostgreSQL database and point config.toml at it."""
    from vcnode.config import update_config_file
    from vcnode.store import is_postgres_url, shown_url
    from vcnode.store.copy import copy_sqlite_to_postgres

    if not is_postgres_url(args.to):
        raise CliError("--to must be a postgresql:// URL")
    config = node_config(args)
    if not has_node(args) or not config.database_path.exists():
        raise CliError(f"no SQLite node in {config.home} to migrate")
    if config.store_url:
        raise CliError("this node already uses store_url; migrate-store copies an SQLite node")
    shown = shown_url(args.to)
    print(f"vcnode: copying {config.database_path} into {shown} (stop 'vcnode serve' first: writes made during "
          "the copy are not carried over)", file=sys.stderr, flush=True)
    started, last = time.monotonic(), [0.0]

    def progress(table: str, rows: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0:  # a line a second, not a line a batch
            last[0] = now
            print(f"vcnode: {table}: {rows} rows", file=sys.stderr, flush=True)

    report = await copy_sqlite_to_postgres(config.database_path, args.to, progress=progress)
    update_config_file(config.home, store_url=args.to)
    print(f"copied {report.total} rows in {len(report.rows)} tables (schema {report.schema_version}) into {shown} "
          f"in {time.monotonic() - started:.1f} s; config.toml now sets store_url. The SQLite file is left as it "
          "was: keep it until the node runs well on PostgreSQL, then remove it.")
    return 0


def add_commands(commands: Any) -> None:
    """Register ``vcnode migrate-store``."""
    migrate = commands.add_parser("migrate-store", help="copy this node's SQLite store into an empty PostgreSQL "
                                                        "database and use it from now on")
    migrate.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host:port/database (empty)")
    migrate.set_defaults(run=cmd_migrate_store)
