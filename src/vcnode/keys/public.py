"""Typed public keys: what a verification method or a JWK resolves to, saying which key type it is.

A suite or a JOSE verifier asks the key its ``key_type`` before using it, so an Ed25519 suite never runs on a
P-256 key and an ES256 header never verifies with an Ed25519 key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from vcnode.keys import ed25519, multikey, p256
from vcnode.keys.jwk import jwk_public_key, multikey_to_jwk

ED25519 = "Ed25519"
P256 = "P-256"
P384 = "P-384"
P521 = "P-521"
X25519 = "X25519"

KEY_TYPES: dict[int, str] = {multikey.ED25519_PUB: ED25519, multikey.P256_PUB: P256, multikey.P384_PUB: P384,
                             multikey.P521_PUB: P521, multikey.X25519_PUB: X25519}
PUBLIC_CODECS = frozenset(KEY_TYPES)
# ECDSA parameters per curve: the hash of its JOSE / Data Integrity algorithm and the scalar size.
_ECDSA: dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm, int]] = {
    P256: (ec.SECP256R1(), hashes.SHA256(), 32), P384: (ec.SECP384R1(), hashes.SHA384(), 48),
    P521: (ec.SECP521R1(), hashes.SHA512(), 66)}


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A public key: its multicodec and raw bytes (Ed25519: 32 bytes; NIST curves: the compressed point)."""

    codec: int
    raw: bytes

    @property
    def key_type(self) -> str:
        """``Ed25519``, ``P-256``, ``P-384``, ``P-521`` or ``X25519``."""
        return KEY_TYPES[self.codec]

    @property
    def multikey(self) -> str:
        """The Multikey form (``z6Mk…`` Ed25519, ``zDn…`` P-256)."""
        return multikey.encode(self.codec, self.raw)

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK form."""
        return multikey_to_jwk(self.multikey)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check a signature by this key (Ed25519, or ECDSA ``r ‖ s`` with the curve's hash); False (never an
        exception) when it does not verify or the key cannot sign."""
        if self.codec == multikey.ED25519_PUB:
            return ed25519.verify(self.raw, message, signature)
        params = _ECDSA.get(self.key_type)
        if params is None:
            return False
        curve, algorithm, size = params
        try:
            key = _ec_key(self.codec, self.raw, curve)
        except ValueError:
            return False
        return p256.verify_ecdsa(key, message, signature, algorithm, size)

    @classmethod
    def from_multikey(cls, value: str) -> PublicKey:
        """The key of a public Multikey; :class:`multikey.MultikeyError` when malformed or not a public key."""
        return _from_multikey(value)

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PublicKey:
        """The key of a public JWK; :class:`vcnode.keys.jwk.JwkError` when malformed or unsupported."""
        codec, raw = jwk_public_key(jwk)  # no Multikey round trip: a holder's key is new to every presentation
        if len(raw) != multikey.KEY_LENGTHS[codec]:
            return _from_multikey(multikey.encode(codec, raw))  # raises the error it always did
        return cls(codec, raw)

    def __repr__(self) -> str:
        return f"PublicKey({self.key_type}, {self.multikey})"


@lru_cache(maxsize=4096)
def _from_multikey(value: str) -> PublicKey:
    """Decoding is ~20 µs; verifiers see the same few issuer keys again and again."""
    decoded = multikey.decode(value, allowed=PUBLIC_CODECS)
    return PublicKey(decoded.codec, decoded.raw)


@lru_cache(maxsize=1024)
def _ec_key(codec: int, raw: bytes, curve: ec.EllipticCurve) -> ec.EllipticCurvePublicKey:
    """Loading a point (a square root on the curve) costs more than checking a signature's hash: cached."""
    return p256.public_key_object(raw, curve)
