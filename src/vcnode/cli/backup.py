"""``vcnode backup`` and ``vcnode restore``: a node directory to one archive file and back (see
:mod:`vcnode.backup.archive`). Progress goes to stderr, a line per member; the summary to stdout."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from vcnode.cli.common import CliError, has_node, node_config

PASSPHRASE_NOTE = ("the passphrase is NOT in the backup: a restored node needs the same passphrase "
                   "(VCNODE_PASSPHRASE or passphrase_file), kept safe apart from the archive")


def _say(line: str) -> None:
    print(f"vcnode: {line}", file=sys.stderr, flush=True)


async def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent backup of the node (its store, config.toml) to one archive file, mode 0600."""
    import asyncio

    from vcnode.backup.archive import make_backup

    config = node_config(args)
    if not config.store_url and not has_node(args):
        raise CliError("no node to back up: run 'vcnode init' first (or set --home / VCNODE_HOME)")
    target = Path(args.file)
    if args.include_passphrase:
        print("vcnode: warning: --include-passphrase: the archive can unlock the node's signing keys; anyone who "
              "reads it can issue as this node", file=sys.stderr)
    # The snapshot and the compression are blocking work; a thread keeps the event loop's Ctrl-C handling.
    manifest = await asyncio.to_thread(make_backup, config.home, target, passphrase_file=config.passphrase_file,
                                       include_passphrase=args.include_passphrase, store_url=config.store_url,
                                       say=_say)
    print(f"backed up node {manifest['nodeDid']} (schema {manifest['store']['schemaVersion']}) to {target}")
    if manifest["passphrase"] is None:
        print(f"note: {PASSPHRASE_NOTE}")
    return 0


async def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into a new or empty node directory (and a PostgreSQL store into an empty database)."""
    import asyncio

    from vcnode.backup.archive import restore_backup
    from vcnode.backup.postgres import redact
    from vcnode.config import resolve_home
    from vcnode.store import is_postgres_url

    home = resolve_home(args.home)
    store_url = args.store_url if args.store_url is not None else os.environ.get("VCNODE_STORE_URL", "")
    if store_url and not is_postgres_url(store_url):
        raise CliError(f"--store-url must be a postgresql:// URL, got {redact(store_url).split('@')[-1]!r}")
    manifest = await asyncio.to_thread(restore_backup, Path(args.file), home, store_url=store_url, say=_say)
    where = f" and the database {redact(store_url)}" if manifest["store"]["kind"] == "postgresql" else ""
    print(f"restored node {manifest['nodeDid']} (schema {manifest['store']['schemaVersion']}, backed up "
          f"{manifest['created']}) into {home}{where}; pending migrations run when it first opens")
    if manifest["passphrase"] is None:
        print(f"note: {PASSPHRASE_NOTE}")
    return 0


def add_commands(commands: Any) -> None:
    """Register ``vcnode backup`` and ``vcnode restore``."""
    backup = commands.add_parser("backup", help="write a consistent backup of the node to one file (safe while "
                                                "'vcnode serve' runs)")
    backup.add_argument("file", metavar="FILE", help="the archive to write (replaced atomically, mode 0600)")
    backup.add_argument("--include-passphrase", action="store_true",
                        help="also store the passphrase file (by default the keys stay encrypted and the "
                             "passphrase is left out)")
    backup.set_defaults(run=cmd_backup)
    restore = commands.add_parser("restore", help="restore a backup into a new or empty node directory (--home), "
                                                  "and a PostgreSQL store into an empty database (--store-url)")
    restore.add_argument("file", metavar="FILE", help="the archive 'vcnode backup' wrote")
    restore.add_argument("--store-url", metavar="URL", default=None,
                         help="the new, empty PostgreSQL database a PostgreSQL backup goes into (default: "
                              "$VCNODE_STORE_URL); the restored config.toml names it")
    restore.set_defaults(run=cmd_restore)
