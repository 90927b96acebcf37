"""Typed public keys: what a verification method or a JWK resolves to, saying which key type it is.

A suite or a JOSE verifier asks the key its ``key_type`` before using it, so an Ed25519 suite never runs on a
P-256 key and an ES256 header never verifies with an Ed25519 key.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from vcnode.keys import ed25519, multikey, nist
from vcnode.keys.jwk import jwk_public_key_object, multikey_to_jwk

ED25519 = "Ed25519"
P256 = "P-256"
P384 = "P-384"
P521 = "P-521"
X25519 = "X25519"
BLS12381_G2 = "Bls12381G2"  # BBS keys: they sign message lists (vcnode.bbs), not single messages

KEY_TYPES: dict[int, str] = {multikey.ED25519_PUB: ED25519, multikey.P256_PUB: P256, multikey.P384_PUB: P384,
                             multikey.P521_PUB: P521, multikey.X25519_PUB: X25519,
                             multikey.BLS12381_G2_PUB: BLS12381_G2}
PUBLIC_CODECS = frozenset(KEY_TYPES)


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
        """The Multikey form (``z6Mk…`` Ed25519, ``zDn…`` P-256, ``z82…`` P-384)."""
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
        curve = nist.CURVES.get(self.key_type)
        if curve is None:
            return False
        try:
            key = _ec_key(self.codec, self.raw, curve.curve)
        except ValueError:
            return False
        return nist.verify_ecdsa(key, message, signature, curve.hash, curve.size)

    @classmethod
    def from_multikey(cls, value: str) -> PublicKey:
        """The key of a public Multikey; :class:`multikey.MultikeyError` when malformed or not a public key."""
        return _from_multikey(value)

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PublicKey:
        """The key of a public JWK; :class:`vcnode.keys.jwk.JwkError` when malformed or unsupported."""
        # No Multikey round trip, and the point checked here is kept for verifying: a holder's key is new to
        # every presentation.
        codec, raw, loaded = jwk_public_key_object(jwk)
        if len(raw) != multikey.KEY_LENGTHS[codec]:
            return _from_multikey(multikey.encode(codec, raw))  # raises the error it always did
        if loaded is not None:
            _EC_KEYS.put((codec, raw), loaded)
        return cls(codec, raw)

    def __repr__(self) -> str:
        return f"PublicKey({self.key_type}, {self.multikey})"


@lru_cache(maxsize=4096)
def _from_multikey(value: str) -> PublicKey:
    """Decoding is ~20 µs; verifiers see the same few issuer keys again and again."""
    decoded = multikey.decode(value, allowed=PUBLIC_CODECS)
    return PublicKey(decoded.codec, decoded.raw)


class _LoadedPoints:
    """Loaded EC points by (codec, compressed point), the most recently used kept (loading a point from its
    compressed form, a square root on the curve, costs more than checking a signature's hash)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._points: OrderedDict[tuple[int, bytes], ec.EllipticCurvePublicKey] = OrderedDict()

    # Each step is one OrderedDict operation (atomic under the GIL); one that loses a race with another thread
    # (its key evicted meanwhile) is a cache miss, never an error.
    def get(self, key: tuple[int, bytes]) -> ec.EllipticCurvePublicKey | None:
        try:
            point = self._points[key]
            self._points.move_to_end(key)
        except KeyError:
            return None
        return point

    def put(self, key: tuple[int, bytes], point: ec.EllipticCurvePublicKey) -> None:
        self._points[key] = point
        while len(self._points) > self._size:
            try:
                self._points.popitem(last=False)
            except KeyError:
                break

    def clear(self) -> None:
        self._points.clear()


_EC_KEYS = _LoadedPoints(1024)


def _ec_key(codec: int, raw: bytes, curve: ec.EllipticCurve) -> ec.EllipticCurvePublicKey:
    """The loaded point of a key (cached; a key made from a JWK brings its own)."""
    point = _EC_KEYS.get((codec, raw))
    if point is None:
        point = nist.public_key_object(raw, curve)
        _EC_KEYS.put((codec, raw), point)
    return point
