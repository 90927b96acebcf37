"""ecdsa-rdfc-2019: RDFC-1.0 canonicalization, ECDSA over P-256 or P-384, DataIntegrityProof
(W3C Data Integrity ECDSA Cryptosuites v1.0 §3.2).

The algorithms are those of eddsa-rdfc-2022 with another signature: the proof configuration and the document are
canonicalized with RDFC-1.0 and hashed each with the key's hash (SHA-256 on P-256, SHA-384 on P-384), and the
signer (ES256 / ES384) signs their concatenation, hashing it once more as ECDSA does. ``proofValue`` is the raw
``r ‖ s`` (64 / 96 bytes) in multibase base58btc, as Digital Bazaar's implementation writes it. RDFC-1.0 itself
runs with the curve's hash too (§2.3 "canon-and-hash": SHA-384 for P-384 keys), so a P-384 proof's blank node
labels can differ from a P-256 one's over the same document.
"""

from __future__ import annotations

from typing import Any, ClassVar

from vcnode.jsonld import ContextRegistry, canonicalize_rdfc
from vcnode.proofs.ecdsa import EcdsaKeys
from vcnode.proofs.eddsa_rdfc_2022 import EddsaRdfc2022


class EcdsaRdfc2019(EcdsaKeys, EddsaRdfc2022):
    """The RDFC suite of P-256 and P-384 keys: what issuers with such keys in the field sign credentials with."""

    name: ClassVar[str] = "ecdsa-rdfc-2019"
    aliases: ClassVar[tuple[str, ...]] = ()

    def canonicalize_for(self, document: dict[str, Any], registry: ContextRegistry | None,
                         key_type: str | None) -> bytes:
        """RDFC-1.0 with the key's hash as its hash algorithm (SHA-384 on P-384), as the hash data uses."""
        return canonicalize_rdfc(document, registry, hash_name=self.hash_name(key_type)).encode("utf-8")
