"""``vcnode`` command-line entry point.

Every command maps to domain calls; errors are one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from vcnode import __version__
from vcnode.config import Config, load_config
from vcnode.errors import VcnodeError

EXIT_ERROR = 1
EXIT_INTERNAL = 70


class CliError(VcnodeError):
    """A command could not do what was asked."""

    code = "cliError"


def _print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def _config(args: argparse.Namespace, **overrides: Any) -> Config:
    config = load_config(args.home, overrides=overrides)
    if not args.verbose:  # -v wins; otherwise the node's log_level (file or VCNODE_LOG_LEVEL)
        logging.getLogger().setLevel(config.log_level.upper())
    return config


async def _with_node(args: argparse.Namespace, action: Callable[[Any], Awaitable[int]]) -> int:
    from vcnode.node import Node

    node = await Node.open(_config(args))
    try:
        return await action(node)
    finally:
        await node.close()


async def cmd_init(args: argparse.Namespace) -> int:
    """Create a node directory with its default identity."""
    from vcnode.config import resolve_home
    from vcnode.node import initialise

    method = args.did_method or ("web" if args.domain else "key")
    overrides: dict[str, Any] = {"domain": args.domain, "host": args.host, "port": args.port,
                                 "public_url": args.public_url}
    if args.allow_http_host:
        overrides["allow_http_hosts"] = args.allow_http_host
    if args.insecure_plaintext_keys:
        overrides["keystore"] = "plaintext"
    if args.domain and not args.public_url and not os.environ.get("VCNODE_PUBLIC_URL"):
        overrides["public_url"] = f"https://{args.domain}"
    home = resolve_home(args.home)
    if (home / "vcnode.sqlite3").exists():
        raise CliError(f"a node already exists in {home}")
    config = _config(args, **overrides)
    node = await initialise(config, did_method=method)
    try:
        print(f"initialised node in {config.home}")
        print(f"DID: {node.identities.default_did}")
    finally:
        await node.close()
    return 0


async def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API until interrupted."""
    from vcnode.http.app import serve, tls_context
    from vcnode.node import Node

    config = _config(args, host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key)
    ssl_context = tls_context(config.tls_cert, config.tls_key) if config.tls_cert else None
    node = await Node.open(config)
    try:
        await serve(node, config.host, config.port, ssl_context=ssl_context)
    finally:
        await node.close()
    return 0


async def cmd_identity_create(args: argparse.Namespace) -> int:
    """Create an additional issuer identity."""
    async def action(node: Any) -> int:
        identity = await node.identities.create(args.did_method, name=args.name, web_path=args.path)
        print(identity.did)
        return 0
    return await _with_node(args, action)


def _identity_rows(node: Any) -> list[dict[str, Any]]:
    return [{"did": i.did, "name": i.name, "method": i.method, "default": i.is_default, "created": i.created,
             "document": node.identities.document(i.did)} for i in node.identities.list()]


async def cmd_identity_list(args: argparse.Namespace) -> int:
    """List identities, the node's own first."""
    async def action(node: Any) -> int:
        rows = _identity_rows(node)
        if args.json:
            _print_json(rows)
        else:
            for row in rows:
                print(f"{row['did']}  {row['name']}{'  (default)' if row['default'] else ''}")
        return 0
    return await _with_node(args, action)


async def cmd_did_resolve(args: argparse.Namespace) -> int:
    """Resolve any DID and print the resolution result."""
    async def action(node: Any) -> int:
        result = await node.resolver.resolve(args.did)
        if result.error:
            raise CliError(f"{result.error}: {result.resolution_metadata.get('errorMessage', '')}".rstrip(": "))
        _print_json(result.to_json() if args.result else result.did_document)
        return 0
    return await _with_node(args, action)


async def cmd_did_show(args: argparse.Namespace) -> int:
    """Show the node's DIDs (its own first) or one DID's document."""
    async def action(node: Any) -> int:
        if args.did:
            node.identities.get(args.did)
            result = await node.resolver.resolve(args.did)
            _print_json(result.did_document)
            return 0
        rows = _identity_rows(node)
        if args.json:
            _print_json(rows)
        else:
            for row in rows:
                print(row["did"])
        return 0
    return await _with_node(args, action)


async def cmd_keys_list(args: argparse.Namespace) -> int:
    """List keys: active and retired, with validity periods."""
    async def action(node: Any) -> int:
        keys = node.identities.keys(args.did)
        rows = [{"id": k.id, "type": k.key_type, "active": k.active, "validFrom": k.valid_from,
                 "validUntil": k.valid_until} for k in keys]
        if args.json:
            _print_json(rows)
        else:
            for row in rows:
                state = "active " if row["active"] else "retired"
                until = row["validUntil"] or "-"
                print(f"{state}  {row['validFrom']}  {until}  {row['id']}")
        return 0
    return await _with_node(args, action)


async def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Rotate an identity's signing key."""
    async def action(node: Any) -> int:
        did = args.did or node.identities.default_did
        old, new = await node.rotate_key(did)
        print(f"retired {old.id}")
        print(f"active  {new.id}")
        return 0
    return await _with_node(args, action)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="vcnode", description="Verifiable micro-credentials node.")
    parser.add_argument("--version", action="version", version=f"vcnode {__version__}")
    parser.add_argument("--home", help="node directory (default: $VCNODE_HOME or ./.vcnode)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create a node directory and its identity")
    init.add_argument("--domain", help="the node's domain (host[:port]): gives it a did:web identity")
    init.add_argument("--did-method", choices=["key", "web"], help="default: web with --domain, else key")
    init.add_argument("--public-url", help="base URL other parties reach this node at")
    init.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    init.add_argument("--port", type=int, help="port to listen on (default 8080)")
    init.add_argument("--allow-http-host", action="append", metavar="HOST",
                      help="host outbound fetches may reach over plain HTTP / on private addresses (repeatable)")
    init.add_argument("--insecure-plaintext-keys", action="store_true",
                      help="store secret keys unencrypted (development only)")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    serve.set_defaults(run=cmd_serve)

    identity = commands.add_parser("identity", help="issuer identities").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND")
    create = identity.add_parser("create", help="create an identity")
    create.add_argument("--did-method", choices=["key", "web"], required=True)
    create.add_argument("--name", required=True, help="short name, e.g. 'law-faculty'")
    create.add_argument("--path", help="did:web path served by this node (default identities/NAME)")
    create.set_defaults(run=cmd_identity_create)
    listing = identity.add_parser("list", help="list identities")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_identity_list)

    did = commands.add_parser("did", help="resolve and show DIDs").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND")
    resolve = did.add_parser("resolve", help="resolve any DID")
    resolve.add_argument("did")
    resolve.add_argument("--result", action="store_true", help="print the whole resolution result")
    resolve.set_defaults(run=cmd_did_resolve)
    show = did.add_parser("show", help="the node's DIDs (its own first), or one document")
    show.add_argument("did", nargs="?")
    show.add_argument("--json", action="store_true", help="identities with their documents")
    show.set_defaults(run=cmd_did_show)

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND")
    keys_list = keys.add_parser("list", help="list keys")
    keys_list.add_argument("--did", help="only this identity's keys")
    keys_list.add_argument("--json", action="store_true")
    keys_list.set_defaults(run=cmd_keys_list)
    rotate = keys.add_parser("rotate", help="make a new key the signing key")
    rotate.add_argument("--did", help="identity (default: the node's own)")
    rotate.set_defaults(run=cmd_keys_rotate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return asyncio.run(args.run(args))
    except VcnodeError as exc:
        print(f"vcnode: error: {exc.detail}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"vcnode: error: {exc.strerror or exc}{': ' + exc.filename if exc.filename else ''}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # last resort: one line, never a traceback (VCNODE_DEBUG=1 shows it)
        if os.environ.get("VCNODE_DEBUG"):
            raise
        print(f"vcnode: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
