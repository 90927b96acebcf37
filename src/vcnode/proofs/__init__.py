"""Data Integrity proofs: one module per cryptosuite behind :class:`Cryptosuite`, plus proof sets/chains."""

from __future__ import annotations

from typing import Any

from vcnode.proofs.base import Cryptosuite, ProofError
from vcnode.proofs.ecdsa_jcs_2019 import EcdsaJcs2019
from vcnode.proofs.ecdsa_rdfc_2019 import EcdsaRdfc2019
from vcnode.proofs.ed25519_signature_2020 import Ed25519Signature2020
from vcnode.proofs.eddsa_jcs_2022 import EddsaJcs2022
from vcnode.proofs.eddsa_rdfc_2022 import EddsaRdfc2022

SUITES: dict[str, Cryptosuite] = {suite.name: suite for suite in
                                  (EddsaRdfc2022(), EddsaJcs2022(), Ed25519Signature2020(), EcdsaJcs2019(),
                                                EcdsaRdfc2019())}
DEFAULT_SUITE = EddsaRdfc2022.name

__all__ = ["DEFAULT_SUITE", "SUITES", "Cryptosuite", "ProofError", "default_suite_for", "jcs_suite_for",
           "suite_by_name", "suite_for_proof"]


def jcs_suite_for(key_type: str) -> str | None:
    """The Data Integrity suite with JCS canonicalization that signs with ``key_type`` keys (eddsa-jcs-2022 for
    Ed25519, ecdsa-jcs-2019 for P-256), None when none is registered: what anchor log entries and gossip
    messages are signed with."""
    return next((suite.name for suite in SUITES.values() if suite.proof_type == "DataIntegrityProof"
                 and suite.canonicalization == "jcs" and key_type in suite.key_types), None)


def default_suite_for(key_type: str) -> str:
    """The suite the node signs its own credentials (status lists) with for ``key_type`` keys: the default
    suite where it signs with them (Ed25519), else the key type's JCS suite (ecdsa-jcs-2019 for P-256)."""
    if key_type in SUITES[DEFAULT_SUITE].key_types:
        return DEFAULT_SUITE
    return jcs_suite_for(key_type) or DEFAULT_SUITE


def suite_by_name(name: str) -> Cryptosuite:
    """The suite to create proofs with (``eddsa-rdfc-2022``, ``eddsa-jcs-2022``, ``Ed25519Signature2020``,
    ``ecdsa-jcs-2019``, ``ecdsa-rdfc-2019``)."""
    try:
        return SUITES[name]
    except (KeyError, TypeError):
        raise ProofError(f"unknown cryptosuite {str(name)[:100]!r}; supported: {', '.join(SUITES)}",
                         code="unknownCryptosuite", status=400) from None


def suite_for_proof(proof: dict[str, Any]) -> Cryptosuite:
    """The suite that verifies ``proof``, by its ``type`` and ``cryptosuite``."""
    proof_type, cryptosuite = proof.get("type"), proof.get("cryptosuite")
    if not isinstance(proof_type, str):
        raise ProofError("proof.type must be a string", code="unknownProofType")
    if proof_type == "DataIntegrityProof":
        for suite in SUITES.values():
            if suite.proof_type == proof_type and (cryptosuite == suite.name or cryptosuite in suite.aliases):
                return suite
        raise ProofError(f"unknown cryptosuite {str(cryptosuite)[:100]!r}", code="unknownCryptosuite")
    if proof_type in SUITES and SUITES[proof_type].proof_type == proof_type:
        return SUITES[proof_type]
    raise ProofError(f"unknown proof type {str(proof_type)[:100]!r}", code="unknownProofType")
