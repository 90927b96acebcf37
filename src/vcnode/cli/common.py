"""What every CLI command module shares: the one-line error, JSON output, reading files, opening the node."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from vcnode import logs
from vcnode.config import Config, load_config
from vcnode.errors import VcnodeError


class CliError(VcnodeError):
    """A command could not do what was asked."""

    code = "cliError"


def print_json(data: Any) -> None:
    """Indented JSON on stdout."""
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
