"""The witness's side: check a candidate log entry as the spec asks before approving it, then sign its versionId."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.identifier import parse_webvh_did
from vcnode.webvh.log import verify_log
from vcnode.webvh.witness import witness_did, witness_proof


def approve(published: bytes, candidate: Any, key_pair: Ed25519KeyPair, *, now: datetime, created: str,
            allow_hosts: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Approve ``candidate`` as the next entry of the log ``published`` (the witness's own copy of
    ``did.jsonl``; empty for a new DID): the whole log with the candidate appended must verify (hash chain,
    proofs, parameters…), and ``key_pair``'s did:key must be among the witnesses that approve the candidate.

    Returns the ``did-witness.json`` item for the controller. Raises :class:`WebvhError` (the failed rule,
    or ``notAWitness``).
    """
    if not isinstance(candidate, dict) or not isinstance(candidate.get("state"), dict):
        raise WebvhError("malformedLog", "the candidate entry is not a log entry object")
    if published and not published.endswith(b"\n"):
        published += b"\n"
    did = parse_webvh_did(str(candidate["state"].get("id")), allow_hosts=allow_hosts)
    log = verify_log(published + orjson.dumps(candidate) + b"\n", did, now=now, allow_hosts=allow_hosts)
    if log.error is not None:
        raise log.error
    version = log.versions[-1]
    me = witness_did(key_pair)
    if version.witness_rule is None or me not in version.witness_rule.witnesses:
        raise WebvhError("notAWitness", f"{me} is not among the witnesses that approve version {version.number}")
    return witness_proof(version.version_id, key_pair, created)
