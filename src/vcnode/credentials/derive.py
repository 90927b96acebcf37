"""Holder derivation: from a credential with an ecdsa-sd-2023 base proof, the credential revealing only its
mandatory fields and the ones the holder chooses, with a derived proof any verifier can check. A wallet-facing
exchange calls :func:`derive_credential`; ``vcnode derive`` is the same call on a file."""

from __future__ import annotations

from typing import Any

from vcnode.credentials.model import as_list
from vcnode.jsonld import ContextRegistry
from vcnode.proofs import suite_by_name
from vcnode.proofs.base import ProofError
from vcnode.proofs.ecdsa_sd_2023 import EcdsaSd2023, is_base_proof

SUITE = "ecdsa-sd-2023"


def base_proof(credential: dict[str, Any], proof_id: str | None = None) -> dict[str, Any]:
    """The credential's ecdsa-sd-2023 base proof (the one with ``proof_id`` when given); :class:`ProofError`
    ``noBaseProof`` when there is none, ``ambiguousBaseProof`` when several match."""
    found = [proof for proof in as_list(credential.get("proof")) if isinstance(proof, dict)
             and proof.get("type") == "DataIntegrityProof" and proof.get("cryptosuite") == SUITE
             and is_base_proof(proof) and (proof_id is None or proof.get("id") == proof_id)]
    if not found:
        raise ProofError("the credential has no ecdsa-sd-2023 base proof to derive from", code="noBaseProof",
                         status=400)
    if len(found) > 1:
        raise ProofError("the credential has several ecdsa-sd-2023 base proofs; name one by its id",
                         code="ambiguousBaseProof", status=400)
    return found[0]


def derive_credential(credential: Any, reveal: list[str], *, proof_id: str | None = None,
                      registry: ContextRegistry | None = None) -> dict[str, Any]:
    """The credential with only its mandatory fields and those ``reveal`` (JSON pointers such as
    ``/credentialSubject/achievement``) selects, proved by a proof derived from its base proof. The holder
    needs no key: the issuer's base proof carries what is needed. Errors are :class:`ProofError` with a code
    (``noBaseProof``, ``pointerSelectsNothing``, ``invalidPointer``, ``malformedProofValue``…)."""
    if not isinstance(credential, dict):
        raise ProofError("a credential must be a JSON object", code="invalidCredential", status=400)
    proof = base_proof(credential, proof_id)
    suite = suite_by_name(SUITE)
    assert isinstance(suite, EcdsaSd2023)
    document = {key: value for key, value in credential.items() if key != "proof"}
    return suite.derive_proof(document, proof, reveal, registry)
