"""Pure construction of did:webvh logs: the first entry (with its SCID), later entries, the documents the node
publishes in them, and the parallel did:web document (spec "Create", "Update", "Publishing a Parallel did:web
DID"). Signing uses the Ed25519 key given; nothing here stores or fetches anything."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from vcnode.clock import format_timestamp, parse_iso
from vcnode.identity.documents import DID_V1, MULTIKEY_V1
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.webvh import proofs
from vcnode.webvh.hashing import entry_hash, scid_of
from vcnode.webvh.identifier import PREFIX, SCID_PLACEHOLDER
from vcnode.webvh.parameters import METHOD_V1

_SIGNING_RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation")


def _iso(moment: datetime) -> str:
    return format_timestamp(moment, timespec="auto")


def next_version_time(previous: str | None, now: datetime) -> str:
    """The versionTime of a new entry, to the second: for the first entry ``now`` rounded down; for later
    ones ``now`` rounded up, and at least a second after ``previous`` (versionTime strictly increases).

    Credentials carry ``proof.created`` truncated to the second, and a verifier looks the signing key up in
    the version in effect at that time. Rounding the first entry down keeps a credential signed in the
    DID's first second inside version 1; rounding a rotation up keeps one signed just before the rotation
    (in the same second) inside the version whose key signed it.
    """
    moment = now.astimezone(UTC)
    if previous is None:
        return _iso(moment.replace(microsecond=0))
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    before = parse_iso(previous)
    if before is None or before.tzinfo is None:
        raise ValueError(f"versionTime {previous!r} is not an ISO 8601 time with a time zone")
    return _iso(max(moment, before + timedelta(seconds=1)))


def create_entry(state: dict[str, Any], parameters: dict[str, Any], signer: Ed25519KeyPair,
                 version_time: str) -> dict[str, Any]:
    """The first log entry of a new DID, signed by ``signer`` (which must be among ``parameters["updateKeys"]``).

    ``state`` and ``parameters`` use the literal ``{SCID}`` wherever the SCID belongs (at least in
    ``state["id"]``); ``method`` and ``scid`` are added to the parameters. The SCID is the hash of this
    preliminary entry; it then replaces every placeholder, and the entry hash gives ``versionId`` ``1-…``.
    """
    preliminary = {"versionId": SCID_PLACEHOLDER, "versionTime": version_time,
                   "parameters": {"method": METHOD_V1, "scid": SCID_PLACEHOLDER, **parameters}, "state": state}
    scid = scid_of(preliminary)
    entry: dict[str, Any] = orjson.loads(orjson.dumps(preliminary).decode("utf-8").replace(SCID_PLACEHOLDER, scid))
    entry["versionId"] = f"1-{entry_hash(entry, scid)}"
    entry["proof"] = [proofs.sign(entry, signer, version_time)]
    return entry


def append_entry(previous: dict[str, Any], state: dict[str, Any], parameters: dict[str, Any],
                 signer: Ed25519KeyPair, version_time: str) -> dict[str, Any]:
    """The entry after ``previous``: the new document and the parameters that change (``{}`` for none).

    ``signer`` must be an update key in effect before this entry, or, with pre-rotation, one of this entry's
    own ``updateKeys`` (committed to by ``previous``'s ``nextKeyHashes``).
    """
    number = int(str(previous["versionId"]).split("-", 1)[0]) + 1
    entry: dict[str, Any] = {"versionId": previous["versionId"], "versionTime": version_time,
                             "parameters": copy.deepcopy(parameters), "state": copy.deepcopy(state)}
    entry["versionId"] = f"{number}-{entry_hash(entry, previous['versionId'])}"
    entry["proof"] = [proofs.sign(entry, signer, version_time)]
    return entry


def to_jsonl(entries: list[dict[str, Any]]) -> bytes:
    """The ``did.jsonl`` file: one compact JSON object per line, each ending with a newline."""
    return b"".join(orjson.dumps(entry) + b"\n" for entry in entries)


def web_did_of(webvh_did: str) -> str:
    """The parallel did:web DID: the did:webvh DID without its SCID (``did:webvh:<scid>:x`` → ``did:web:x``)."""
    return "did:web:" + webvh_did[len(PREFIX):].split(":", 1)[1]


def node_document(did: str, public_multikey: str) -> dict[str, Any]:
    """The document of a node identity: one Ed25519 key, used for every signing relationship, and the
    parallel did:web DID in ``alsoKnownAs``. ``did`` may hold the ``{SCID}`` placeholder."""
    method_id = f"{did}#{public_multikey}"
    document: dict[str, Any] = {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "alsoKnownAs": [web_did_of(did)],
        "verificationMethod": [{"id": method_id, "type": "Multikey", "controller": did,
                                "publicKeyMultibase": public_multikey}],
    }
    for relationship in _SIGNING_RELATIONSHIPS:
        document[relationship] = [method_id]
    return document


def parallel_web_document(resolved: dict[str, Any], scid: str) -> dict[str, Any]:
    """The did:web document published beside the log (``did.json``), from the resolved did:webvh document
    (with its implicit ``#files`` and ``#whois`` services): every ``did:webvh:<scid>:`` becomes ``did:web:``
    and the did:webvh DID is listed in ``alsoKnownAs``."""
    webvh_did = resolved["id"]
    text = orjson.dumps(resolved).decode("utf-8").replace(f"{PREFIX}{scid}:", "did:web:")
    document: dict[str, Any] = orjson.loads(text)
    also = [*document.get("alsoKnownAs", []), webvh_did]
    document["alsoKnownAs"] = [aka for index, aka in enumerate(also)
                               if aka != document["id"] and aka not in also[:index]]
    return document
