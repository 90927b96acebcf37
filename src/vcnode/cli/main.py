"""``vcnode`` command-line entry point.

Every command maps to domain calls; errors are one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from vcnode import __version__
from vcnode.cli import backup, store, trust, wallet
from vcnode.cli.common import (
    SUITES,
    CliError,
    actor,
    add_common_options,
    has_node,
    node_config,
    print_json,
    read_json_file,
    with_node,
)
from vcnode.errors import VcnodeError

# Only what parsing needs is imported here: `vcnode --help` and usage errors must not pay for the node's
# imports (aiohttp, pyld, cryptography…); each command imports what it uses.

log = logging.getLogger("vcnode.cli")

EXIT_ERROR = 1
EXIT_INTERNAL = 70


async def cmd_init(args: argparse.Namespace) -> int:
    """Create a node directory with its default identity."""
    from vcnode.config import check_domain, default_public_url, public_url_warning, resolve_home
    from vcnode.node import initialise

    overrides: dict[str, Any] = {"domain": args.domain, "host": args.host, "port": args.port,
                                 "public_url": args.public_url}
    if args.allow_http_host:
        overrides["allow_http_hosts"] = args.allow_http_host
    if args.insecure_plaintext_keys:
        overrides["keystore"] = "plaintext"
    home = resolve_home(args.home)
    if (home / "vcnode.sqlite3").exists():
        raise CliError(f"a node already exists in {home}")
    config = node_config(args, **overrides)
    method = args.did_method or ("web" if args.domain else "key")
    if config.domain:
        check_domain(config.domain)  # before anything is written: a URL or a path makes an unresolvable DID
    if args.domain and not config.public_url:  # neither --public-url nor VCNODE_PUBLIC_URL
        config.public_url = default_public_url(config)
    warning = public_url_warning(config)
    if warning:
        print(f"vcnode: warning: {warning}", file=sys.stderr)
    node = await initialise(config, did_method=method, key_type=args.key_type)
    try:
        print(f"initialised node in {config.home}")
        print(f"DID: {node.identities.default_did}")
    finally:
        await node.close()
    return 0


async def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API until interrupted: in this process, or in ``--workers`` processes it supervises."""
    from vcnode.config import public_url_warning
    from vcnode.node import Node
    from vcnode.serve.app import serve, tls_context

    overrides: dict[str, Any] = {"host": args.host, "port": args.port, "tls_cert": args.tls_cert,
                                 "tls_key": args.tls_key, "workers": args.workers}
    config = node_config(args, **overrides)
    if args.worker_of is not None:
        return await _serve_worker(config, args.worker_of)
    warning = public_url_warning(config)
    if warning:
        log.warning("%s", warning)
    ssl_context = tls_context(config.tls_cert, config.tls_key) if config.tls_cert else None
    if config.workers > 1:
        return await _serve_workers(args, config)
    node = await Node.open(config)
    try:
        await serve(node, config.host, config.port, ssl_context=ssl_context)
    finally:
        await node.close()
    return 0


async def _serve_workers(args: argparse.Namespace, config: Any) -> int:
    """The parent of ``serve --workers N``: check what every worker would trip on once, then supervise them."""
    from vcnode.http import workers
    from vcnode.node import Node

    workers.check_reuse_port(config.host, config.port)
    # Opened once here, before any worker: a wrong passphrase is one error line, and the store's schema is
    # brought up to date by one process rather than raced by N.
    node = await Node.open(config)
    await node.close()
    workers.prepare_metrics(config)
    command = workers.WorkerCommand(home=config.home, host=config.host, port=config.port,
                                    tls_cert=config.tls_cert, tls_key=config.tls_key, verbose=bool(args.verbose))
    try:
        await workers.supervise(command, config.workers)
    except workers.WorkersFailed as exc:
        raise CliError(str(exc)) from None
    return 0


async def _serve_worker(config: Any, parent: int) -> int:
    """One worker of ``serve --workers N`` (started by :func:`_serve_workers`, never by hand)."""
    import asyncio

    from vcnode import metrics
    from vcnode.http import workers
    from vcnode.node import Node
    from vcnode.serve.app import serve, tls_context

    ssl_context = tls_context(config.tls_cert, config.tls_key) if config.tls_cert else None
    ready = asyncio.Event()
    helpers = [asyncio.create_task(workers.announce_ready(ready)),
               asyncio.create_task(workers.exit_with_parent(parent))]
    node = await Node.open(config)
    try:
        # The parent emptied the metrics directory once; a worker (a restarted one too) only adds its files.
        await serve(node, config.host, config.port, ssl_context=ssl_context, ready=ready, reuse_port=True,
                    metrics_directory=config.home / metrics.METRICS_DIR if config.metrics_enabled else None)
    finally:
        for helper in helpers:
            helper.cancel()
        await node.close()
    return 0


async def cmd_identity_create(args: argparse.Namespace) -> int:
    """Create an additional issuer identity."""
    async def action(node: Any) -> int:
        identity = await node.identities.create(args.did_method, name=args.name, web_path=args.path,
                                                key_type=args.key_type)
        await node.anchor_did_logs()  # a did:webvh log is replicated by peers from the start
        print(identity.did)
        return 0
    return await with_node(args, action)


def _identity_rows(node: Any) -> list[dict[str, Any]]:
    return [{"did": i.did, "name": i.name, "method": i.method, "default": i.is_default, "created": i.created,
             "document": node.identities.document(i.did)} for i in node.identities.list()]


async def cmd_identity_list(args: argparse.Namespace) -> int:
    """List identities, the node's own first."""
    async def action(node: Any) -> int:
        rows = _identity_rows(node)
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                print(f"{row['did']}  {row['name']}{'  (default)' if row['default'] else ''}")
        return 0
    return await with_node(args, action)


async def cmd_did_resolve(args: argparse.Namespace) -> int:
    """Resolve any DID and print the resolution result; without a node, over the network with default settings."""
    async def action(node: Any) -> int:
        result = await node.resolver.resolve(args.did)
        if result.error:
            raise CliError(f"{result.error}: {result.resolution_metadata.get('errorMessage', '')}".rstrip(": "))
        print_json(result.to_json() if args.result else result.did_document)
        return 0

    if has_node(args):
        return await with_node(args, action)
    from vcnode.cli.nodeless import Nodeless, no_node_note

    nodeless = Nodeless(node_config(args))
    try:
        print(f"vcnode: note: {no_node_note(nodeless.config)}", file=sys.stderr)
        return await action(nodeless)
    finally:
        await nodeless.close()


async def cmd_did_show(args: argparse.Namespace) -> int:
    """Show the node's DIDs (its own first) or one DID's document."""
    async def action(node: Any) -> int:
        if args.did:
            node.identities.get(args.did)
            result = await node.resolver.resolve(args.did)
            print_json(result.did_document)
            return 0
        rows = _identity_rows(node)
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                print(row["did"])
        return 0
    return await with_node(args, action)


async def cmd_keys_list(args: argparse.Namespace) -> int:
    """List keys: active and retired, with validity periods."""
    async def action(node: Any) -> int:
        keys = node.identities.keys(args.did)
        rows = [{"id": k.id, "type": k.key_type, "active": k.active, "validFrom": k.valid_from,
                 "validUntil": k.valid_until} for k in keys]
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                state = "active " if row["active"] else "retired"
                until = row["validUntil"] or "-"
                print(f"{state}  {row['validFrom']}  {until}  {row['id']}")
        return 0
    return await with_node(args, action)


async def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Rotate an identity's signing key."""
    async def action(node: Any) -> int:
        did = args.did or node.identities.default_did
        old, new = await node.rotate_key(did)
        print(f"retired {old.id}")
        print(f"active  {new.id}")
        return 0
    return await with_node(args, action)


async def cmd_witness_id(args: argparse.Namespace) -> int:
    """Print the did:key under which this node witnesses did:webvh DIDs (its identity's signing key)."""
    from vcnode.webvh.witness import witness_did

    async def action(node: Any) -> int:
        print(witness_did(node.identities.signing_key(args.did or node.identities.default_did).key_pair))
        return 0
    return await with_node(args, action)


async def cmd_witness_sign(args: argparse.Namespace) -> int:
    """As a witness of a did:webvh DID: verify a candidate log entry against our copy of the published log
    and print our approval (a did-witness.json item)."""
    from vcnode.clock import format_timestamp
    from vcnode.webvh.approve import approve
    from vcnode.webvh.errors import WebvhError

    candidate = read_json_file(args.entry)
    try:
        published = Path(args.log).read_bytes() if args.log else b""
    except OSError as exc:
        raise CliError(f"cannot read {args.log}: {exc.strerror}") from None

    async def action(node: Any) -> int:
        key_pair = node.identities.signing_key(args.did or node.identities.default_did).key_pair
        allow = frozenset(host.lower() for host in node.config.allow_http_hosts)
        now = node.clock.now()
        try:
            approval = approve(published, candidate, key_pair, now=now, created=format_timestamp(now),
                               allow_hosts=allow)
        except WebvhError as exc:
            raise CliError(f"not approved: {exc.message}") from None
        print_json(approval)
        return 0
    return await with_node(args, action)


async def cmd_token_create(args: argparse.Namespace) -> int:
    """Create an API token; print it alone on stdout (it is shown only once)."""
    async def action(node: Any) -> int:
        if args.identity:
            node.identities.get(args.identity)
        scopes = [scope.strip() for scope in args.scope.split(",") if scope.strip()]
        record, token = await node.tokens.create(scopes, args.identity)
        print(token)
        print(f"token {record.id} scopes={','.join(record.scopes)} identity={record.identity or 'any'}",
              file=sys.stderr)
        return 0
    return await with_node(args, action)


async def cmd_token_list(args: argparse.Namespace) -> int:
    """List tokens (never the tokens themselves)."""
    async def action(node: Any) -> int:
        for record in await node.tokens.list():
            state = f"revoked {record.revoked}" if record.revoked else "active"
            print(f"{record.id}  {','.join(record.scopes):<20} {record.identity or 'any identity'}  "
                  f"{record.created}  {state}")
        return 0
    return await with_node(args, action)


async def cmd_token_revoke(args: argparse.Namespace) -> int:
    """Revoke a token by id."""
    async def action(node: Any) -> int:
        await node.tokens.revoke(args.id)
        print(f"revoked {args.id}")
        return 0
    return await with_node(args, action)


async def cmd_issue(args: argparse.Namespace) -> int:
    """Sign a credential file with the identity named as its issuer."""
    credential = read_json_file(args.file)

    status = _status_specs(args.status)

    async def action(node: Any) -> int:
        import orjson

        from vcnode.issuing.envelope import compact_form, envelope_media_type

        if isinstance(credential, dict) and "issuer" not in credential:
            credential["issuer"] = node.identities.default_did
        envelope = envelope_media_type(args.envelope) if args.envelope else None
        issued = await node.credentials.issue(credential, suite=args.suite, status=status, envelope=envelope)
        document = compact_form(issued.credential) if envelope else issued.credential
        # A VC-JWT 1.1 is written as the bare JWT; every other form as JSON.
        output = document.encode() if isinstance(document, str) else orjson.dumps(document, option=orjson.OPT_INDENT_2)
        # A repeated request gets the stored credential back (issuing is idempotent by id).
        done = "issued" if issued.created else "already issued (the same request)"
        if args.out:
            with open(args.out, "wb") as handle:
                handle.write(output + b"\n")
            print(f"{done} {issued.record_id} -> {args.out}", file=sys.stderr)
        else:
            if not issued.created:
                print(f"{done} {issued.record_id}", file=sys.stderr)
            sys.stdout.write(output.decode() + "\n")
        return 0
    return await with_node(args, action)


async def cmd_derive(args: argparse.Namespace) -> int:
    """Derive a credential revealing only the mandatory fields and the ``--reveal`` pointers from one with an
    ecdsa-sd-2023 or bbs-2023 base proof (a holder operation: no node, no key); ``--presentation-header`` binds
    a bbs-2023 derived proof to it."""
    credential = read_json_file(args.file)
    import orjson

    from vcnode.credentials.derive import derive_credential

    options = {}
    if args.presentation_header is not None:
        try:
            options["presentation_header"] = bytes.fromhex(args.presentation_header)
        except ValueError:
            raise CliError(f"--presentation-header: not hex: {args.presentation_header[:40]!r}") from None
    derived = derive_credential(credential, args.reveal or [], proof_id=args.proof_id, **options)
    output = orjson.dumps(derived, option=orjson.OPT_INDENT_2)
    if args.out:
        with open(args.out, "wb") as handle:
            handle.write(output + b"\n")
    else:
        sys.stdout.write(output.decode() + "\n")
    return 0


METHODS = ("key", "jwk", "web", "webvh")

#: ``--key-type`` names (vcnode.keys.signer.KEY_TYPE_NAMES, not imported: the CLI starts without crypto imports).
KEY_TYPE_NAMES = ("ed25519", "p256", "p384", "bls12381")

#: The status purposes ``--status`` takes (a message list needs its messages: over HTTP only).
STATUS_PURPOSES = ("revocation", "suspension")


def _status_specs(purposes: str | None) -> list[Any]:
    """``--status revocation,suspension`` as status requests (none when the flag is absent); a purpose that is
    not one of :data:`STATUS_PURPOSES` is refused, naming the valid ones."""
    names = [name.strip() for name in (purposes or "").split(",") if name.strip()]
    for name in names:
        if name not in STATUS_PURPOSES:
            raise CliError(f"--status: unknown status purpose {name[:60]!r}; valid purposes: "
                           f"{', '.join(STATUS_PURPOSES)} (comma-separated; message lists are issued over HTTP)")
    if not names:
        return []
    import vcnode.credentials  # noqa: F401  # first: vcnode.status.entries imported alone is an import cycle
    from vcnode.status.entries import status_requests

    return status_requests({"statusPurpose": names})


def _status_command(purpose: str, value: int, verb: str) -> Callable[[argparse.Namespace], Awaitable[int]]:
    async def command(args: argparse.Namespace) -> int:
        async def action(node: Any) -> int:
            update = await node.status.update(args.credential_id, purpose, value, actor=actor(), reason=args.reason)
            await node.status.publish_changed()  # re-sign and anchor now; a running server announces it
            if args.json:
                print_json(update.to_json())
            else:
                unchanged = " (no change)" if update.before == update.after else ""
                print(f"{verb} {update.credential_id}: {purpose} entry {update.index} of {update.list_url} "
                      f"is now {update.after}{unchanged}")
            return 0
        return await with_node(args, action)

    command.__doc__ = f"Set the {purpose} status of a credential this node issued to {value}."
    return command


cmd_revoke = _status_command("revocation", 1, "revoked")
cmd_suspend = _status_command("suspension", 1, "suspended")
cmd_unsuspend = _status_command("suspension", 0, "unsuspended")


async def cmd_status_log(args: argparse.Namespace) -> int:
    """The audit log of status changes, newest first."""
    async def action(node: Any) -> int:
        entries = await node.status.log(args.credential, args.limit)
        if args.json:
            print_json(entries)
            return 0
        if not entries:
            print("no status changes")
        for entry in entries:
            reason = f"  reason: {entry['reason']}" if entry["reason"] else ""
            print(f"{entry['at']}  {entry['actor']:<16} {entry['credentialId']}  {entry['statusPurpose']} "
                  f"{entry['before']} -> {entry['after']}{reason}")
        return 0
    return await with_node(args, action)


async def cmd_status_lists(args: argparse.Namespace) -> int:
    """The status lists this node publishes."""
    async def action(node: Any) -> int:
        lists = [{"url": node.status.list_url(r.id), "issuer": r.issuer, "statusPurpose": r.purpose,
                  "statusSize": r.status_size, "entries": r.entries, "allocated": r.allocated,
                  "version": r.version, "published": r.published_version == r.version}
                 for r in await node.store.list_status_lists()]
        if args.json:
            print_json(lists)
            return 0
        if not lists:
            print("no status lists yet (issue a credential with --status)")
        for item in lists:
            print(f"{item['url']}  {item['statusPurpose']:<11} {item['allocated']:>7}/{item['entries']} used  "
                  f"version {item['version']}{'' if item['published'] else ' (re-signed on next fetch)'}")
        return 0
    return await with_node(args, action)


def print_report(report: dict[str, Any], title: str) -> None:
    """A verification report for people."""
    print(f"{title}: {'VERIFIED' if report['verified'] else 'NOT VERIFIED'}")
    for check, result in report["results"].items():
        if result.get("checked") is False:
            state, note = "not checked", result.get("reason", "")
        else:
            state = "ok" if result.get("verified", True) else "FAILED"
            note = ""
            if check == "proof":
                note = "; ".join(f"{p.get('cryptosuite') or p.get('type')} by {p.get('verificationMethod')}"
                                 for p in result.get("proofs", []))
            elif check == "issuer":
                note = result.get("issuer", "")
            elif check == "status":
                note = "; ".join(f"{e.get('statusPurpose') or e.get('type')}={e.get('status', e.get('error'))}"
                                 + (f" ({e['message']})" if e.get("message") else "")
                                 for e in result.get("entries", []))
            elif check == "credentials":  # a presentation's: each credential, and whether it is the holder's
                note = "; ".join(f"[{n}] {'verified' if sub['verified'] else 'NOT VERIFIED'}, holder binding "
                                 + sub["results"].get("holderBinding", {}).get("outcome", "-")
                                 for n, sub in enumerate(result.get("credentials", [])))
        print(f"  {check:<12} {state:<12} {note}".rstrip())
    for error in report["errors"]:
        print(f"  error    {error['code']}: {error['message']}")
    for warning in report["warnings"]:
        print(f"  warning  {warning['code']}: {warning['message']}")


async def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a credential or presentation file; exit 0 when verified, 1 when not. Without a node, with
    default settings over the network (the report says so)."""
    document = read_json_file(args.file)
    types = document.get("type") if isinstance(document, dict) else None
    is_presentation = bool({"VerifiablePresentation", "EnvelopedVerifiablePresentation"}.intersection(
        types if isinstance(types, list) else [types]))

    def show(report: Any) -> int:
        data = report.to_json()
        if args.json:
            print_json(data)
        else:
            print_report(data, args.file)
        return 0 if report.verified else 1

    async def action(node: Any) -> int:
        options: dict[str, Any] = {"challenge": args.challenge, "domain": args.domain}
        if args.allow_holder_mismatch:  # otherwise the node's holder_binding (required unless configured)
            options["holderBinding"] = "allowMismatch"
        if is_presentation:
            return show(await node.credentials.verify_presentation(document, options))
        return show(await node.credentials.verify_credential(document, options))

    if has_node(args):
        return await with_node(args, action)
    from vcnode.cli.nodeless import Nodeless

    nodeless = Nodeless(node_config(args))
    try:
        return show(await nodeless.verify(document, presentation=is_presentation, challenge=args.challenge,
                                          domain=args.domain, allow_holder_mismatch=args.allow_holder_mismatch))
    finally:
        await nodeless.close()


class _Progress:
    """A one-line progress bar on a terminal; a line every 10 % otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        self.started = time.perf_counter()
        self.last_decile = -1
        self.quiet = quiet
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed else 0.0
        width = 30
        filled = int(width * done / total) if total else width
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:,.0f}/s"
        if sys.stderr.isatty():
            print("\r" + line, end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif total and done * 10 // total != self.last_decile:
            self.last_decile = done * 10 // total
            print(line, file=sys.stderr, flush=True)


async def cmd_issue_batch(args: argparse.Namespace) -> int:
    """Issue an Open Badge to every learner in a CSV (or, with ``--claims``, prepare a claim link for each);
    on Ctrl-C, say how far it got and how to resume."""
    from vcnode.issuing.batch import issue_batch, read_learners

    if args.expires and not args.claims:
        raise CliError("--expires is for claim links: add --claims")
    rows = read_learners(Path(args.csv), claims=args.claims)
    achievement = read_json_file(args.achievement)
    if not isinstance(achievement, dict):
        raise CliError(f"{args.achievement} must hold a JSON object (the achievement)")
    specs = _status_specs(args.status)
    progress = _Progress(quiet=args.json)

    async def action(node: Any) -> int:
        issuer = args.issuer or node.identities.default_did
        if args.claims:
            return await _issue_claims(node, args, rows, achievement, issuer, progress)
        identity = node.identities.get(issuer)
        profile = {"name": args.issuer_name or identity.name}
        status = [node.credentials.list_spec(spec) for spec in specs]
        result = await issue_batch(rows, achievement=achievement, issuer_did=issuer, issuer_profile=profile,
                                   identities=node.identities, store=node.store, out_dir=Path(args.out),
                                   suite=args.suite, status=status, status_service=node.status,
                                   progress=progress)
        if args.json:
            print_json(result.to_json())
        else:
            summary = result.to_json()
            print(f"issued {summary['issued']}, already done {summary['skipped']}, of {summary['total']} "
                  f"in {summary['seconds']} s -> {summary['outDir']} (manifest: {summary['manifest']})")
        return 0

    import asyncio

    try:
        return await with_node(args, action)
    except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels the command, then raises KeyboardInterrupt
        done = ("links already prepared are reused, never made twice" if args.claims else
                "rows already issued are skipped, never issued twice")
        print(f"\nvcnode: interrupted after {progress.done} of {len(rows)} rows (each chunk is stored whole or "
              f"not at all, so nothing is half-{'prepared' if args.claims else 'issued'}). To resume, run the "
              f"same command again; {done}:\n  vcnode {shlex.join(sys.argv[1:])}", file=sys.stderr)
        raise


async def _issue_claims(node: Any, args: argparse.Namespace, rows: list[dict[str, str]], achievement: dict[str, Any],
                        issuer: str, progress: _Progress) -> int:
    """``issue-batch --claims``: a claim link and its QR codes per row, and the manifest; nothing is signed."""
    from vcnode.exchanges.batch import claim_batch, write_claim_batch
    from vcnode.exchanges.service import ExchangeService

    # The issue options a claim is signed with: the same suite and status purposes as a signed batch (without
    # --status the claim workflow's default, a revocation entry, applies).
    options: dict[str, Any] = {"type": args.suite} if args.suite == "Ed25519Signature2020" else \
        {"cryptosuite": args.suite}
    purposes = [name.strip() for name in (args.status or "").split(",") if name.strip()]
    if purposes:
        options["statusPurpose"] = purposes
    batch = claim_batch(node, achievement=achievement, issuer=issuer, issuer_name=args.issuer_name,
                        options=options, expires=args.expires)
    result = await write_claim_batch(ExchangeService(node), batch, rows, out_dir=Path(args.out),
                                     where=lambda row: f"{args.csv} row {row}", progress=progress)
    summary = result.to_json()
    if args.json:
        print_json(summary)
    else:
        print(f"prepared {summary['created']} claim links, already prepared {summary['reused']}, of "
              f"{summary['total']} in {summary['seconds']} s -> {summary['claims']} (manifest: "
              f"{summary['manifest']}); nothing is signed until a learner claims")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests). Every argument and option has help text;
    placeholders are upper case and name one thing one way (DID, FILE, DIR, ID, URL…); ``--home`` and
    ``-v`` are taken before or after the command."""
    parser = argparse.ArgumentParser(prog="vcnode", description="Verifiable micro-credentials node.")
    parser.add_argument("--version", action="version", version=f"vcnode {__version__}",
                        help="print the version and exit")
    parser.add_argument("--home", metavar="DIR", help="node directory (default: $VCNODE_HOME or ./.vcnode)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     help="what to do ('vcnode COMMAND --help' for its options)")

    init = commands.add_parser("init", help="create a node directory and its identity")
    init.add_argument("--domain", metavar="HOST[:PORT]",
                      help="the node's domain, not a URL and without a path (e.g. issuer.example.edu or "
                           "localhost:8080): gives it a did:web (or did:webvh) identity")
    init.add_argument("--did-method", choices=METHODS, metavar="METHOD",
                      help="method of the node's DID: key, jwk, web or webvh (default: web with --domain, else key)")
    init.add_argument("--key-type", choices=KEY_TYPE_NAMES, default="ed25519", metavar="TYPE",
                      help="type of the node's signing key: ed25519 (default; its anchor log and gossip are signed "
                           "with eddsa-jcs-2022), p256 or p384 (ES256 / ES384, signed with ecdsa-jcs-2019; not with "
                           "did:webvh); bls12381 is refused here (BBS keys sign bbs-2023 credentials only): add a "
                           "bls12381 identity with 'vcnode identity create'")
    init.add_argument("--public-url", metavar="URL",
                      help="base URL other parties reach this node at (default with --domain: https://DOMAIN, "
                           "or http://DOMAIN when its host is an --allow-http-host)")
    init.add_argument("--host", metavar="ADDRESS", help="address to listen on (default 127.0.0.1)")
    init.add_argument("--port", type=int, metavar="PORT", help="port to listen on (default 8080)")
    init.add_argument("--allow-http-host", action="append", metavar="HOST",
                      help="host outbound fetches may reach over plain HTTP / on private addresses (repeatable)")
    init.add_argument("--insecure-plaintext-keys", action="store_true",
                      help="store secret keys unencrypted (development only)")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", metavar="ADDRESS", help="address to listen on (default: the config's host)")
    serve.add_argument("--port", type=int, metavar="PORT", help="port to listen on (default: the config's port)")
    serve.add_argument("--tls-cert", metavar="FILE", help="PEM certificate chain: serve HTTPS")
    serve.add_argument("--tls-key", metavar="FILE", help="PEM private key for --tls-cert")
    serve.add_argument("--workers", type=int, metavar="N", help="worker processes serving the port (SO_REUSEPORT; "
                       "default: the config's workers, 1)")
    serve.add_argument("--worker-of", type=int, metavar="ID",
                       help="internal, set by vcnode itself: serve as a worker of the 'serve --workers' process ID")
    serve.set_defaults(run=cmd_serve)

    identity = commands.add_parser("identity", help="issuer identities").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND", help="what to do")
    create = identity.add_parser("create", help="create an identity")
    create.add_argument("--did-method", choices=METHODS, required=True, metavar="METHOD",
                        help="method of the new DID: key, jwk, web or webvh (web and webvh need the node's domain)")
    create.add_argument("--key-type", choices=KEY_TYPE_NAMES, default="ed25519", metavar="TYPE",
                        help="signing key type: ed25519 (default), p256 (ES256), p384 (ES384) or bls12381 (BBS, "
                             "for bbs-2023 only: did:key or did:web, no status lists); p256, p384 and bls12381 not "
                             "for did:webvh; rotation keeps it")
    create.add_argument("--name", required=True, metavar="NAME", help="short name, e.g. 'law-faculty'")
    create.add_argument("--path", metavar="PATH", help="did:web path served by this node (default identities/NAME)")
    create.set_defaults(run=cmd_identity_create)
    listing = identity.add_parser("list", help="list identities")
    listing.add_argument("--json", action="store_true", help="identities with their documents, as JSON")
    listing.set_defaults(run=cmd_identity_list)

    did = commands.add_parser("did", help="resolve and show DIDs").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND", help="what to do")
    resolve = did.add_parser("resolve", help="resolve any DID (no node needed)")
    resolve.add_argument("did", metavar="DID", help="the DID (or DID URL) to resolve")
    resolve.add_argument("--result", action="store_true", help="print the whole resolution result")
    resolve.set_defaults(run=cmd_did_resolve)
    show = did.add_parser("show", help="the node's DIDs (its own first), or one document")
    show.add_argument("did", nargs="?", metavar="DID", help="one of the node's DIDs: print its document")
    show.add_argument("--json", action="store_true", help="identities with their documents")
    show.set_defaults(run=cmd_did_show)

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND", help="what to do")
    keys_list = keys.add_parser("list", help="list keys")
    keys_list.add_argument("--did", metavar="DID", help="only this identity's keys")
    keys_list.add_argument("--json", action="store_true", help="the keys as JSON")
    keys_list.set_defaults(run=cmd_keys_list)
    rotate = keys.add_parser("rotate", help="make a new key the signing key")
    rotate.add_argument("--did", metavar="DID", help="identity (default: the node's own)")
    rotate.set_defaults(run=cmd_keys_rotate)

    witness = commands.add_parser("witness", help="witness other parties' did:webvh DIDs").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND", help="what to do")
    witness_id = witness.add_parser("id", help="the did:key to list in a DID's witness parameter")
    witness_id.add_argument("--did", metavar="DID", help="identity whose key witnesses (default: the node's own)")
    witness_id.set_defaults(run=cmd_witness_id)
    witness_sign = witness.add_parser("sign", help="verify a candidate log entry and print this node's approval")
    witness_sign.add_argument("--entry", required=True, metavar="FILE",
                              help="the candidate entry (JSON) the controller sent")
    witness_sign.add_argument("--log", metavar="FILE", help="our copy of the published did.jsonl (omit for a new DID)")
    witness_sign.add_argument("--did", metavar="DID", help="identity whose key witnesses (default: the node's own)")
    witness_sign.set_defaults(run=cmd_witness_sign)

    token = commands.add_parser("token", help="API bearer tokens").add_subparsers(
        dest="subcommand", required=True, metavar="SUBCOMMAND", help="what to do")
    token_create = token.add_parser("create", help="create a token (printed once)")
    token_create.add_argument("--scope", required=True, metavar="SCOPES",
                              help="comma-separated: issue,status,read,admin,metrics")
    token_create.add_argument("--identity", metavar="DID", help="the only identity the token may act for")
    token_create.set_defaults(run=cmd_token_create)
    token.add_parser("list", help="list tokens").set_defaults(run=cmd_token_list)
    token_revoke = token.add_parser("revoke", help="revoke a token")
    token_revoke.add_argument("id", metavar="ID", help="the token's id (from 'token list')")
    token_revoke.set_defaults(run=cmd_token_revoke)

    suite_help = f"proof suite: {', '.join(SUITES)} (default {SUITES[0]})"
    status_help = f"add status entries, comma-separated: {','.join(STATUS_PURPOSES)}"
    issue = commands.add_parser("issue", help="sign a credential file")
    issue.add_argument("file", metavar="FILE", help="the unsigned credential (JSON); issuer defaults to the node")
    issue.add_argument("--suite", choices=SUITES, default=SUITES[0], metavar="SUITE", help=suite_help)
    issue.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    issue.add_argument("--status", metavar="PURPOSES", help=status_help)
    issue.add_argument("--envelope", metavar="TYPE",
                       help="issue an enveloped credential of this media type instead of a proof: vc+jwt, vc+sd-jwt, "
                            "vc+cose, or jwt (VC-JWT 1.1)")
    issue.set_defaults(run=cmd_issue)

    derive = commands.add_parser("derive", help="selective disclosure: derive a credential revealing chosen "
                                 "fields from one with an ecdsa-sd-2023 or bbs-2023 base proof (no node needed)")
    derive.add_argument("file", metavar="FILE", help="the credential with a base proof (JSON)")
    derive.add_argument("--reveal", metavar="POINTER", nargs="+", action="extend",
                        help="JSON pointers to reveal besides the mandatory ones, e.g. /credentialSubject/achievement")
    derive.add_argument("--proof-id", metavar="ID", help="the base proof's id, when the credential has several")
    derive.add_argument("--presentation-header", metavar="HEX",
                        help="bbs-2023: bind the derived proof to these bytes (hex), e.g. a verifier's nonce")
    derive.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    derive.set_defaults(run=cmd_derive)

    verify = commands.add_parser("verify", help="verify a credential or presentation file (no node needed)")
    verify.add_argument("file", metavar="FILE", help="the credential or presentation (JSON)")
    verify.add_argument("--challenge", metavar="TEXT", help="the challenge the presentation's proof must carry")
    verify.add_argument("--domain", metavar="TEXT", help="the domain the presentation's proof must carry")
    verify.add_argument("--allow-holder-mismatch", action="store_true",
                        help="presentations: accept credentials whose subject is not the proven holder (a warning)")
    verify.add_argument("--json", action="store_true", help="the report as JSON")
    verify.set_defaults(run=cmd_verify)

    batch = commands.add_parser("issue-batch", help="issue an Open Badge to every learner in a CSV")
    batch.add_argument("csv", metavar="FILE", help="CSV with columns id and/or email, optional name")
    batch.add_argument("--achievement", required=True, metavar="FILE",
                       help="JSON file: id, name, description, criteria, …")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="directory for the signed credentials (or claim QR codes) and manifest.csv")
    batch.add_argument("--issuer", metavar="DID", help="identity to issue with (default: the node's own)")
    batch.add_argument("--issuer-name", metavar="NAME", help="issuer profile name (default: the identity's name)")
    batch.add_argument("--suite", choices=SUITES, default=SUITES[0], metavar="SUITE", help=suite_help)
    batch.add_argument("--status", metavar="PURPOSES", help=status_help)
    batch.add_argument("--claims", action="store_true",
                       help="sign nothing: prepare a claim link per learner (QR codes in DIR/claims, links in "
                            "manifest.csv) that puts the badge into the learner's wallet; rows need an email, no id")
    batch.add_argument("--expires", metavar="DATE",
                       help="with --claims: when the links stop working, a date (the end of that day, UTC) or "
                            "an RFC 3339 date-time (default: exchange_claim_ttl, 30 days)")
    batch.add_argument("--json", action="store_true", help="a JSON summary instead of progress")
    batch.set_defaults(run=cmd_issue_batch)

    for name, run, what in (("revoke", cmd_revoke, "revoke a credential this node issued (permanent in intent)"),
                            ("suspend", cmd_suspend, "suspend a credential this node issued"),
                            ("unsuspend", cmd_unsuspend, "lift a suspension")):
        change = commands.add_parser(name, help=what)
        change.add_argument("credential_id", metavar="ID", help="the credential's id")
        change.add_argument("--reason", metavar="TEXT", help="recorded in the audit log")
        change.add_argument("--json", action="store_true", help="the change as JSON")
        change.set_defaults(run=run)

    status = commands.add_parser("status", help="status lists and their audit log").add_subparsers(
        dest="status_command", required=True, metavar="SUBCOMMAND", help="what to do")
    status_log = status.add_parser("log", help="status changes, newest first")
    status_log.add_argument("--credential", metavar="ID", help="only this credential's changes")
    status_log.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N changes (default 1000)")
    status_log.add_argument("--json", action="store_true", help="the changes as JSON")
    status_log.set_defaults(run=cmd_status_log)
    status_lists = status.add_parser("lists", help="the lists this node publishes")
    status_lists.add_argument("--json", action="store_true", help="the lists as JSON")
    status_lists.set_defaults(run=cmd_status_lists)

    trust.add_commands(commands)
    wallet.add_commands(commands)
    backup.add_commands(commands)
    store.add_commands(commands)
    add_common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    import asyncio  # not before: --help and usage errors need none of it

    from vcnode import logs

    logs.setup(verbose=args.verbose)
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
