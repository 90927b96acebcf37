"""What every CLI command module shares: the one-line error, JSON output, reading files, opening the node,
the options every command takes. Light on purpose: parsing the command line imports this, not the node."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any

from vcnode import logs
from vcnode.config import Config, load_config
from vcnode.errors import VcnodeError

#: The proof suites a node signs with, the default first (``vcnode.proofs.SUITES``): the names registered in
#: the ``vcnode.cryptosuites`` entry-point group, read without loading them so that building the parser does
#: not import the proof code; a unit test keeps the two equal.
SUITES = tuple(sorted((ep.name for ep in entry_points(group="vcnode.cryptosuites")),
                      key=lambda name: name != "eddsa-rdfc-2022"))


class CliError(VcnodeError):
    """A command could not do what was asked."""

    code = "cliError"


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Let ``--home`` and ``-v`` follow the command too (``vcnode did show --home n``), on every subcommand's
    parser below ``parser``. Their default is "not given", so a value given before the command stands."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in dict.fromkeys(action.choices.values()):  # aliases share a parser
            options = {option for a in sub._actions for option in a.option_strings}
            if "--home" not in options:
                sub.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS,
                                 help="node directory (default: $VCNODE_HOME or ./.vcnode)")
            if "--verbose" not in options:
                sub.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help="debug logging")
            add_common_options(sub)


def has_node(args: argparse.Namespace) -> bool:
    """Whether the node directory the command names holds an initialised node (its SQLite file, or a
    ``store_url``: whether that database holds a node is found when it is opened)."""
    from vcnode.config import resolve_home

    home = resolve_home(args.home)
    return (home / "vcnode.sqlite3").exists() or bool((home / "config.toml").exists() and
                                                       load_config(args.home).store_url)


def print_json(data: Any) -> None:
    """Indented JSON on stdout."""
    import orjson

    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def node_config(args: argparse.Namespace, **overrides: Any) -> Config:
    """The node's configuration for a command (``--home``, environment, file), with its log level and format
    applied (``-v`` wins over ``log_level``)."""
    config = load_config(args.home, overrides=overrides)
    logs.apply(config, verbose=args.verbose)
    return config


async def with_node(args: argparse.Namespace, action: Callable[[Any], Awaitable[int]]) -> int:
    """Open the node, run ``action`` with it, close it; the action's exit code."""
    from vcnode.node import Node

    node = await Node.open(node_config(args))
    try:
        return await action(node)
    finally:
        await node.close()


def read_json_file(path: str) -> Any:
    """A JSON file's content; a one-line :class:`CliError` when it cannot be read or parsed."""
    import orjson

    try:
        return orjson.loads(open(path, "rb").read())
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON: {exc}") from None


def actor() -> str:
    """Who runs the command, for audit logs (``cli:<user>``)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name (e.g. a container without /etc/passwd entry)
        return f"cli:uid-{os.getuid()}"
