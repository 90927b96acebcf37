"""Public keys from verification methods, in every form the suites meet in practice, as typed keys."""

from __future__ import annotations

from typing import Any

import base58

from vcnode.keys import multikey
from vcnode.keys.jwk import JwkError
from vcnode.keys.public import ED25519, P256, PublicKey
from vcnode.proofs.base import ProofError

# Verification method types and the key type each admits (None: any the key material says).
METHOD_TYPES: dict[str, str | None] = {
    "Multikey": None, "JsonWebKey2020": None, "JsonWebKey": None,
    "Ed25519VerificationKey2020": ED25519, "Ed25519VerificationKey2018": ED25519,
    "EcdsaSecp256r1VerificationKey2019": P256,
}


def method_public_key(method: dict[str, Any]) -> PublicKey:
    """The typed public key of a verification method; :class:`ProofError` (``wrongKeyType``) when its type is
    not one of :data:`METHOD_TYPES`, its key is malformed, or the key is not of the type the method names."""
    kind = method.get("type")
    if kind not in METHOD_TYPES:
        raise ProofError(f"verification method type {str(kind)[:80]!r} is not a supported key type",
                         code="wrongKeyType")
    try:
        if isinstance(method.get("publicKeyMultibase"), str):
            key: PublicKey | None = PublicKey.from_multikey(method["publicKeyMultibase"])
        elif isinstance(method.get("publicKeyJwk"), dict):
            key = PublicKey.from_jwk(method["publicKeyJwk"])
        elif isinstance(method.get("publicKeyBase58"), str) and kind == "Ed25519VerificationKey2018":
            raw = base58.b58decode(method["publicKeyBase58"])
            key = PublicKey(multikey.ED25519_PUB, raw) if len(raw) == 32 else None
        else:
            key = None
    except (multikey.MultikeyError, JwkError, ValueError) as exc:
        raise ProofError(f"the verification method's public key is malformed: {exc}", code="wrongKeyType") from None
    if key is None:
        raise ProofError("the verification method holds no public key in a supported form", code="wrongKeyType")
    expected = METHOD_TYPES[kind]
    if expected is not None and key.key_type != expected:
        raise ProofError(f"a {kind} verification method holds a {key.key_type} key", code="wrongKeyType")
    return key

