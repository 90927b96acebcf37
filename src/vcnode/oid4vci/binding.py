"""What binds a credential to a wallet: the algorithms its key proof may use and the key it proved."""

from __future__ import annotations

from dataclasses import dataclass

from vcnode.keys.public import PublicKey

#: Proof signing algorithms a wallet's key-binding proof JWT may use (P-256, P-384 and Ed25519 keys).
PROOF_ALGORITHMS = ("ES256", "ES384", "EdDSA")
#: Algorithms the node signs JWT-based credentials (SD-JWT VCs) with: one per issuer key type it signs JOSE with.
CREDENTIAL_ALGORITHMS = ("ES256", "ES384", "EdDSA")
#: DID methods a holder may bind with (their keys are in the DID itself: nothing is fetched).
BINDING_METHODS = ("did:key", "did:jwk")


@dataclass(frozen=True)
class Holder:
    """The wallet's proven key: its DID (did:key, or did:jwk of a header ``jwk``) and public key."""

    did: str
    key: PublicKey
