#!/usr/bin/env python3
"""The command-line tool the W3C vc-jose-cose-test-suite drives, issuing and verifying with vcnode's library.

    .venv/bin/python scripts/vc_jose_cose_adapter.py issue|verify --input FILE --key FILE --feature FEATURE
        [--sd JSON] --output FILE

FEATURE is one of credential_jose, presentation_jose, credential_sdjwt, presentation_sdjwt, credential_cose,
presentation_cose; each names a media type (application/vc+jwt, …, application/vp+cose) whose envelope format is
found among the ``vcnode.credential_formats`` entry points (the formats vcnode ships are also looked up directly,
so a checkout whose install predates a format still finds it). The key file is the suite's: a verification method
with ``publicKeyJwk`` and ``secretKeyJwk``.

issue: seals the input document with the secret key, as the key file's verification method (``kid``); ``--sd``
(SD-JWT) lists the suite's disclosable paths (``credentialSubject.address.street``, ``verifiableCredential[0]``),
passed to the format as JSON pointers (option ``disclosable``). verify: the suite names its keys by JWK
thumbprints that resolve nowhere, so — as the suite's example implementation does — the envelope is verified with
the key file's public key (the format's ``open_with_key``), then the document's data model structure is checked.

Writes ``{"result": "success" | "failure" | "indeterminate" | "error", "data": …}`` to the output file: data is
the envelope (issue), the verified document (verify) or the refusal's named code and message. Exit status 0
when a result was written (a refused envelope is a result, not an error), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from vcnode.credentials.model import check_credential_structure, check_presentation_structure
from vcnode.credentials.report import Report
from vcnode.errors import VcnodeError
from vcnode.keys.private_jwk import signer_from_private_jwk
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import SigningKey

#: The suite's features → the VC-JOSE-COSE media type each one exercises.
FEATURES: dict[str, str] = {
    "credential_jose": "application/vc+jwt", "presentation_jose": "application/vp+jwt",
    "credential_sdjwt": "application/vc+sd-jwt", "presentation_sdjwt": "application/vp+sd-jwt",
    "credential_cose": "application/vc+cose", "presentation_cose": "application/vp+cose"}
FORMAT_GROUP = "vcnode.credential_formats"
#: Formats vcnode ships, looked up when the installed entry points do not (yet) name them.
BUILT_IN = ("vcnode.envelope_formats.cose:CoseFormat",)
MAX_BYTES = 1024 * 1024  # the suite's inputs are a few KiB
_INDEX = re.compile(r"\[(\d+)\]")


def formats() -> dict[str, Any]:
    """Media type → envelope format: the entry points of ``vcnode.credential_formats``, then the built-in ones."""
    found: dict[str, Any] = {}
    targets = [point.value for point in entry_points(group=FORMAT_GROUP)] + list(BUILT_IN)
    for target in targets:
        try:
            loaded = _load(target)
        except ImportError:
            continue
        plugin = loaded() if isinstance(loaded, type) else loaded
        for media_type in getattr(plugin, "media_types", ()):
            found.setdefault(media_type, plugin)
    return found


def _load(target: str) -> Any:
    """The object an entry point value (``module:attribute``) names."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def pointer(path: str) -> str:
    """The JSON pointer of a suite disclosure path: ``a.b[0]`` → ``/a/b/0``."""
    parts = []
    for part in path.split("."):
        name = _INDEX.sub("", part)
        if name:
            parts.append(name.replace("~", "~0").replace("/", "~1"))
        parts.extend(_INDEX.findall(part))
    return "/" + "/".join(parts)


def issue(plugin: Any, media_type: str, document: Any, method: dict[str, Any], sd: list[str] | None) -> dict:
    """Seal ``document`` with the key file's secret key as its verification method."""
    key = SigningKey(method["id"], signer_from_private_jwk(method.get("secretKeyJwk")))
    options = {"disclosable": [pointer(path) for path in sd]} if sd else {}
    return {"result": "success", "data": plugin.seal(document, key, media_type=media_type, **options)}


async def verify(plugin: Any, media_type: str, data: str, method: dict[str, Any]) -> dict:
    """Open the envelope with the key file's public key, then check the document's structure."""
    key = PublicKey.from_jwk(method.get("publicKeyJwk"))
    if hasattr(plugin, "open_with_key"):
        opened = plugin.open_with_key(data, media_type, key, max_bytes=MAX_BYTES)
    else:  # a format that only resolves keys: give it the offline DID methods (did:key, did:jwk)
        from did_methods.jwk import JwkDriver
        from did_methods.key import KeyDriver
        from vcnode.did.resolver import Resolver
        opened = await plugin.open(data, media_type, Resolver([KeyDriver(), JwkDriver()]), max_bytes=MAX_BYTES)
    report = Report()
    if media_type.startswith("application/vp"):
        check_presentation_structure(opened.document, report)
    else:
        check_credential_structure(opened.document, report)
    if not report.verified:
        return {"result": "failure", "data": [error.to_json() for error in report.errors]}
    return {"result": "success", "data": opened.document}


def run(args: argparse.Namespace) -> dict:
    """The result object for one invocation."""
    media_type = FEATURES[args.feature]
    plugin = formats().get(media_type)
    if plugin is None:
        return {"result": "indeterminate", "data": f"vcnode has no {media_type} format installed"}
    method = json.loads(Path(args.key).read_text(encoding="utf-8"))
    text = Path(args.input).read_text(encoding="utf-8")
    try:
        if args.command == "issue":
            sd = json.loads(args.sd) if args.sd else None
            return issue(plugin, media_type, json.loads(text), method, sd)
        return asyncio.run(verify(plugin, media_type, text.strip(), method))
    except VcnodeError as exc:  # a refusal with its named code: the outcome the suite's negative tests expect
        return {"result": "failure", "data": {"code": exc.code, "message": exc.detail}}
    except (ValueError, KeyError, TypeError) as exc:  # the input is not even JSON / the key file is not one
        return {"result": "failure", "data": {"code": "invalidInput", "message": f"{type(exc).__name__}: {exc}"}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("issue", "verify"))
    parser.add_argument("--input", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--feature", required=True, choices=sorted(FEATURES))
    parser.add_argument("--sd", help="SD-JWT disclosable paths, a JSON array")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    try:
        result = run(args)
    except OSError as exc:
        result = {"result": "error", "data": f"{exc}"}
    Path(args.output).write_text(json.dumps(result), encoding="utf-8")
    print(f"{args.command} {args.feature}: {result['result']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
