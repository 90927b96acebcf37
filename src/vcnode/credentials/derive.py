"""Holder derivation: from a credential with a selective-disclosure base proof (ecdsa-sd-2023, bbs-2023), the
credential revealing only its mandatory fields and the ones the holder chooses, with a derived proof any
verifier can check. A wallet-facing exchange calls :func:`derive_credential`; ``vcnode derive`` is the same
call on a file."""

from __future__ import annotations

from typing import Any

from vcnode.credentials.model import as_list
from vcnode.jsonld import ContextRegistry
from vcnode.proofs import SUITES
from vcnode.proofs.base import ProofError
from vcnode.proofs.sd_suite import SelectiveDisclosureSuite


def _selective_suite(proof: Any) -> SelectiveDisclosureSuite | None:
    """The selective-disclosure suite ``proof`` is a base proof of, None for any other proof."""
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof":
        return None
    suite = SUITES.get(proof.get("cryptosuite")) if isinstance(proof.get("cryptosuite"), str) else None
    return suite if isinstance(suite, SelectiveDisclosureSuite) and suite.is_base_proof(proof) else None


def base_proof(credential: dict[str, Any], proof_id: str | None = None) -> tuple[dict[str, Any],
                                                                                 SelectiveDisclosureSuite]:
    """The credential's base proof (the one with ``proof_id`` when given) and its suite; :class:`ProofError`
    ``noBaseProof`` when there is none, ``ambiguousBaseProof`` when several match."""
    found = [(proof, suite) for proof in as_list(credential.get("proof"))
             if (suite := _selective_suite(proof)) is not None and (proof_id is None or proof.get("id") == proof_id)]
    if not found:
        raise ProofError("the credential has no selective-disclosure base proof (ecdsa-sd-2023, bbs-2023) to "
                         "derive from", code="noBaseProof", status=400)
    if len(found) > 1:
        raise ProofError("the credential has several base proofs; name one by its id",
                         code="ambiguousBaseProof", status=400)
    return found[0]


def derive_credential(credential: Any, reveal: list[str], *, proof_id: str | None = None,
                      registry: ContextRegistry | None = None, **options: Any) -> dict[str, Any]:
    """The credential with only its mandatory fields and those ``reveal`` (JSON pointers such as
    ``/credentialSubject/achievement``) selects, proved by a proof derived from its base proof. The holder
    needs no key: the issuer's base proof carries what is needed. ``options`` go to the suite (bbs-2023:
    ``presentation_header``). Errors are :class:`ProofError` with a code (``noBaseProof``,
    ``pointerSelectsNothing``, ``invalidPointer``, ``malformedProofValue``…)."""
    if not isinstance(credential, dict):
        raise ProofError("a credential must be a JSON object", code="invalidCredential", status=400)
    proof, suite = base_proof(credential, proof_id)
    document = {key: value for key, value in credential.items() if key != "proof"}
    return suite.derive_proof(document, proof, reveal, registry, **options)
