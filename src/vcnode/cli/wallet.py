"""``vcnode wallet``: a minimal holder on the command line, for staff who test a claim link or a presentation
request without a phone, and for scripts. It speaks the same VC API exchange protocol as the Learner
Credential Wallet (:mod:`vcnode.exchanges.wallet`) with a did:key whose seed is kept in a 0600 file. No node
is needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vcnode.cli.common import CliError, print_json, read_json_file

DEFAULT_KEY = "holder.key"
#: A wallet's exchange with one node: long enough for a slow node, short enough that a dead one is noticed.
TIMEOUT_SECONDS = 30.0


def _holder(path: str, *, create: bool = False) -> Any:
    from vcnode.exchanges.wallet import HolderKey
    from vcnode.private_files import write_private

    key_file = Path(path)
    if not key_file.exists():
        if not create:
            raise CliError(f"no holder key at {path}: make one with 'vcnode wallet key --key {path}'")
        holder = HolderKey.generate()
        write_private(key_file, holder.key_pair.seed.hex().encode() + b"\n")
        return holder
    try:
        return HolderKey.from_seed(bytes.fromhex(key_file.read_text().strip()))
    except (OSError, ValueError) as exc:
        raise CliError(f"{path} is not a holder key (64 hex characters): {exc}") from None


async def _session_run(action: Any) -> Any:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as session:
        try:
            return await action(session)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise CliError(f"cannot reach the exchange: {exc or type(exc).__name__}") from None


async def cmd_key(args: argparse.Namespace) -> int:
    """``vcnode wallet key``: make the holder key if missing; print its DID."""
    holder = _holder(args.key, create=True)
    print(holder.did)
    return 0


async def cmd_claim(args: argparse.Namespace) -> int:
    """``vcnode wallet claim LINK``: claim the credential(s) a link offers; write each to ``--out``."""
    import orjson

    from vcnode.exchanges.wallet import claim

    holder = _holder(args.key)
    credentials = await _session_run(lambda session: claim(session, args.link, holder))
    if not credentials:
        raise CliError("the exchange ended without a credential")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, credential in enumerate(credentials, start=1):
        name = str(credential.get("id") or f"credential-{number}").rsplit(":", 1)[-1].replace("/", "_")
        target = out / f"{name}.json"
        target.write_bytes(orjson.dumps(credential, option=orjson.OPT_INDENT_2) + b"\n")
        written.append(str(target))
    if args.json:
        print_json({"holder": holder.did, "files": written})
    else:
        for path in written:
            print(f"received {path} (subject {holder.did})")
    return 0


async def cmd_present(args: argparse.Namespace) -> int:
    """``vcnode wallet present LINK FILE…``: answer a presentation request with the matching credentials."""
    from vcnode.exchanges.wallet import present

    holder = _holder(args.key)
    credentials = [read_json_file(path) for path in args.files]
    answer = await _session_run(lambda session: present(session, args.link, holder, credentials))
    if args.json:
        print_json(answer)
    else:
        print("presented" + (f"; the verifier suggests {answer['redirectUrl']}"
                             if isinstance(answer, dict) and answer.get("redirectUrl") else ""))
    return 0


def add_commands(commands: Any) -> None:
    """Register ``vcnode wallet …``."""
    wallet = commands.add_parser("wallet", help="a minimal holder: claim and present through exchange links "
                                                "(no node needed)").add_subparsers(
        dest="wallet_command", required=True, metavar="SUBCOMMAND", help="what to do")
    key_help = f"the holder's key file (default {DEFAULT_KEY}; mode 0600)"
    key = wallet.add_parser("key", help="make the holder's did:key (if missing) and print it")
    key.add_argument("--key", default=DEFAULT_KEY, metavar="FILE", help=key_help)
    key.set_defaults(run=cmd_key)
    claim = wallet.add_parser("claim", help="claim what a claim link (or QR code text) offers")
    claim.add_argument("link", metavar="URL", help="an interaction URL, interaction: or lcw.app link, or exchange URL")
    claim.add_argument("--key", default=DEFAULT_KEY, metavar="FILE", help=key_help)
    claim.add_argument("--out", default=".", metavar="DIR", help="where to write the credentials (default .)")
    claim.add_argument("--json", action="store_true", help="print the result as JSON")
    claim.set_defaults(run=cmd_claim)
    present = wallet.add_parser("present", help="answer a presentation request with credential files")
    present.add_argument("link", metavar="URL", help="the request's interaction URL or link")
    present.add_argument("files", nargs="+", metavar="FILE", help="credentials to choose from (JSON)")
    present.add_argument("--key", default=DEFAULT_KEY, metavar="FILE", help=key_help)
    present.add_argument("--json", action="store_true", help="print the verifier's answer as JSON")
    present.set_defaults(run=cmd_present)

