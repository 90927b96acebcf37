"""ecdsa-rdfc-2019: RDFC-1.0 canonicalization, ECDSA over P-256 with SHA-256, DataIntegrityProof
(W3C Data Integrity ECDSA Cryptosuites v1.0 §3.2).

The algorithms are those of eddsa-rdfc-2022 with another signature: the proof configuration and the document are
canonicalized with RDFC-1.0 and hashed with SHA-256 each, and the signer (ES256) signs their concatenation, hashing
it once more as ECDSA does. ``proofValue`` is the raw 64-byte ``r ‖ s`` in multibase base58btc, as Digital
Bazaar's implementation writes it. P-384 (SHA-384, 96-byte signatures) is left for later, as for ecdsa-jcs-2019.
"""

from __future__ import annotations

from typing import ClassVar

from vcnode.keys.public import P256
from vcnode.proofs.eddsa_rdfc_2022 import EddsaRdfc2022


class EcdsaRdfc2019(EddsaRdfc2022):
    """The RDFC suite of P-256 keys: what issuers with P-256 keys in the field sign credentials with."""

    name: ClassVar[str] = "ecdsa-rdfc-2019"
    key_types: ClassVar[frozenset[str]] = frozenset({P256})
    signature_algorithm: ClassVar[str] = "ES256 (P-256)"
    aliases: ClassVar[tuple[str, ...]] = ()
