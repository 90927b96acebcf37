"""Witness proofs (``did-witness.json``): making one as a witness, and counting approvals when resolving.

A witness approves a version by signing ``{"versionId": "<n>-<hash>"}``; that approval also covers every
earlier version (spec "The Witness Proofs File").
"""

from __future__ import annotations

from typing import Any

from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.proofs.base import ProofError
from vcnode.webvh import proofs
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.parameters import WitnessRule


def witness_did(key_pair: Ed25519KeyPair) -> str:
    """The did:key a witness is listed under in ``witness.witnesses``."""
    return f"did:key:{key_pair.public_multikey}"


def witness_proof(version_id: str, key_pair: Ed25519KeyPair, created: str) -> dict[str, Any]:
    """A witness's approval of ``version_id``: one ``did-witness.json`` item, ``{"versionId", "proof": [...]}``."""
    return {"versionId": version_id, "proof": [proofs.sign({"versionId": version_id}, key_pair, created)]}


def approvals(witness_file: Any, published: dict[str, int]) -> dict[str, int]:
    """For each witness (did:key DID) with a valid proof, the highest version number it approved.

    ``published`` maps the versionIds of the log's verified entries to their numbers: proofs for any other
    versionId (a future entry, another DID's log) are ignored, as are proofs that fail to verify.
    Raises :class:`WebvhError` (``invalidWitnessFile``) when the file is not a JSON array of objects.
    """
    if not isinstance(witness_file, list) or not all(isinstance(item, dict) for item in witness_file):
        raise WebvhError("invalidWitnessFile", "did-witness.json must be a JSON array of objects")
    highest: dict[str, int] = {}
    for item in witness_file:
        number = published.get(item.get("versionId")) if isinstance(item.get("versionId"), str) else None
        if number is None:
            continue
        items = item.get("proof")
        for proof in items if isinstance(items, list) else [items]:
            try:
                signer = proofs.proof_signer(proof)
            except ProofError:
                continue
            witness = f"did:key:{signer}"
            if highest.get(witness, 0) >= number:
                continue  # one approval per witness counts; a later one already covers this version
            if proofs.verify({"versionId": item["versionId"]}, proof, signer):
                highest[witness] = number
    return highest


def approved(rule: WitnessRule, version_number: int, highest: dict[str, int]) -> bool:
    """True when at least ``rule.threshold`` distinct witnesses of ``rule`` approved this version or a later one."""
    return sum(1 for witness in rule.witnesses if highest.get(witness, 0) >= version_number) >= rule.threshold
