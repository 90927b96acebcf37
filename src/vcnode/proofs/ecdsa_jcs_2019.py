"""ecdsa-jcs-2019: JCS (RFC 8785) canonicalization, ECDSA over P-256 with SHA-256, DataIntegrityProof
(W3C Data Integrity ECDSA Cryptosuites v1.0 §3.3).

The algorithms are those of eddsa-jcs-2022 with another signature: the proof configuration and the document are
canonicalized with JCS and hashed with SHA-256 each, and the signer (ES256) signs their concatenation, hashing it
once more as ECDSA does. ``proofValue`` is the raw 64-byte ``r ‖ s`` in multibase base58btc, as Digital
Bazaar's implementation writes it. P-384 (SHA-384, 96-byte signatures) is left for later.
"""

from __future__ import annotations

from typing import ClassVar

from vcnode.keys.public import P256
from vcnode.proofs.eddsa_jcs_2022 import EddsaJcs2022


class EcdsaJcs2019(EddsaJcs2022):
    """The JCS suite of P-256 identities: what a P-256 node signs its anchor log and gossip with."""

    name: ClassVar[str] = "ecdsa-jcs-2019"
    key_types: ClassVar[frozenset[str]] = frozenset({P256})
    signature_algorithm: ClassVar[str] = "ES256 (P-256)"
