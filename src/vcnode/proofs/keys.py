"""Public keys from verification methods, in every form the eddsa suites meet in practice."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import base58

from vcnode.keys import multikey
from vcnode.keys.jwk import JwkError, jwk_to_multikey
from vcnode.proofs.base import ProofError

ED25519_TYPES = ("Multikey", "Ed25519VerificationKey2020", "Ed25519VerificationKey2018", "JsonWebKey2020",
                 "JsonWebKey")


def ed25519_public_key(method: dict[str, Any]) -> bytes:
    """The raw Ed25519 key of a verification method; :class:`ProofError` (``wrongKeyType``) otherwise."""
    kind = method.get("type")
    if kind not in ED25519_TYPES:
        raise ProofError(f"verification method type {str(kind)[:80]!r} is not an Ed25519 key type",
                         code="wrongKeyType")
    try:
        if isinstance(method.get("publicKeyMultibase"), str):
            decoded = _decode_multibase_key(method["publicKeyMultibase"])
        elif isinstance(method.get("publicKeyJwk"), dict):
            decoded = multikey.decode(jwk_to_multikey(method["publicKeyJwk"]))
        elif isinstance(method.get("publicKeyBase58"), str) and kind == "Ed25519VerificationKey2018":
            raw = base58.b58decode(method["publicKeyBase58"])
            decoded = multikey.DecodedKey(multikey.ED25519_PUB, raw) if len(raw) == 32 else None
        else:
            decoded = None
    except (multikey.MultikeyError, JwkError, ValueError) as exc:
        raise ProofError(f"the verification method's public key is malformed: {exc}", code="wrongKeyType") from None
    if decoded is None or decoded.codec != multikey.ED25519_PUB:
        raise ProofError("the verification method does not hold an Ed25519 public key", code="wrongKeyType")
    return decoded.raw


@lru_cache(maxsize=4096)
def _decode_multibase_key(value: str) -> multikey.DecodedKey:
    """Decoding is ~20 µs; verifiers see the same few issuer keys again and again."""
    return multikey.decode(value)
