"""Ed25519Signature2020: the Linked Data Proof suite (RDFC canonicalization, its own proof type)."""

from __future__ import annotations

from typing import Any, ClassVar

from vcnode.jsonld import ContextRegistry, canonicalize_rdfc
from vcnode.proofs.base import Cryptosuite, ProofError

SUITE_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Ed25519Signature2020(Cryptosuite):
    """Still what most Open Badges 3.0 and DCC wallets produce."""

    name: ClassVar[str] = "Ed25519Signature2020"
    proof_type: ClassVar[str] = "Ed25519Signature2020"
    canonicalization: ClassVar[str] = "rdfc"

    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return canonicalize_rdfc(document, registry).encode("utf-8")

    def proof_fields(self) -> dict[str, str]:
        return {"type": self.proof_type}

    def prepare_unsecured(self, unsecured: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
        """The suite's terms must be defined by the document's contexts (jsonld-signatures requires it)."""
        contexts = unsecured.get("@context")
        contexts = contexts if isinstance(contexts, list) else [contexts]
        if SUITE_CONTEXT not in contexts and "https://www.w3.org/2018/credentials/v1" not in contexts:
            raise ProofError(f"an Ed25519Signature2020 proof needs the context {SUITE_CONTEXT}",
                             code="contextMismatch")
        return unsecured
