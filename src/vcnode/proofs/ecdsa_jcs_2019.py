"""ecdsa-jcs-2019: JCS (RFC 8785) canonicalization, ECDSA over P-256 or P-384, DataIntegrityProof
(W3C Data Integrity ECDSA Cryptosuites v1.0 §3.3).

The algorithms are those of eddsa-jcs-2022 with another signature: the proof configuration and the document are
canonicalized with JCS and hashed each with the key's hash (SHA-256 on P-256, SHA-384 on P-384), and the signer
(ES256 / ES384) signs their concatenation, hashing it once more as ECDSA does. ``proofValue`` is the raw
``r ‖ s`` (64 / 96 bytes) in multibase base58btc, as Digital Bazaar's implementation writes it.
"""

from __future__ import annotations

from typing import ClassVar

from vcnode.proofs.ecdsa import EcdsaKeys
from vcnode.proofs.eddsa_jcs_2022 import EddsaJcs2022


class EcdsaJcs2019(EcdsaKeys, EddsaJcs2022):
    """The JCS suite of P-256 and P-384 identities: what such a node signs its anchor log and gossip with."""

    name: ClassVar[str] = "ecdsa-jcs-2019"
