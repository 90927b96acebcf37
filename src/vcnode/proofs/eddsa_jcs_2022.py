"""eddsa-jcs-2022: JCS (RFC 8785) canonicalization, DataIntegrityProof (vc-di-eddsa §3.4)."""

from __future__ import annotations

from typing import Any, ClassVar

from vcnode.jsonld import ContextRegistry, canonicalize_jcs
from vcnode.proofs.base import Cryptosuite, ProofError


class EddsaJcs2022(Cryptosuite):
    """No JSON-LD processing at all: the fastest suite to verify."""

    name: ClassVar[str] = "eddsa-jcs-2022"
    proof_type: ClassVar[str] = "DataIntegrityProof"
    canonicalization: ClassVar[str] = "jcs"

    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return canonicalize_jcs(document)

    def stored_proof(self, proof: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        # The proof keeps the @context it was signed with (vc-di-eddsa §3.4.2, the W3C vectors).
        return {**proof, "@context": config["@context"]} if "@context" in config else proof

    def proof_configuration(self, proof_options: dict[str, Any], unsecured: dict[str, Any]) -> dict[str, Any]:
        config = {key: value for key, value in proof_options.items() if key != "proofValue"}
        if "@context" not in config and "@context" in unsecured:
            config["@context"] = unsecured["@context"]
        return config

    def prepare_unsecured(self, unsecured: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
        """The document's ``@context`` must start with the proof's (§3.4.3 step 4); then the proof's is used."""
        if "@context" not in proof:
            return unsecured
        expected = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
        actual = unsecured.get("@context")
        actual = actual if isinstance(actual, list) else [actual]
        if actual[:len(expected)] != expected:
            raise ProofError("the document's @context does not start with the proof's @context",
                             code="contextMismatch")
        return {**unsecured, "@context": proof["@context"]}
