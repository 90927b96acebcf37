"""P-256 (secp256r1) key pairs for ES256 (``cryptography``) and their Multikey / JWK forms.

Signatures are the raw 64-byte ``r ‖ s`` form (IEEE P1363) that JWS (RFC 7518 §3.4) and the Data Integrity
ECDSA suites both use, not DER.
"""

from __future__ import annotations

from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vcnode.keys import multikey
from vcnode.keys.jwk import JwkError, b64url_decode, b64url_encode

SIZE = 32  # bytes of a P-256 scalar or coordinate
_CURVE = ec.SECP256R1()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


class P256KeyPair:
    """A P-256 signing key pair: ``secret`` is the 32-byte private scalar (big-endian), ``public_key`` the
    33-byte SEC1 compressed point (what Multikey ``zDn…`` holds)."""

    __slots__ = ("_private", "public_key", "secret")
    alg: ClassVar[str] = "ES256"
    key_type: ClassVar[str] = "P-256"

    def __init__(self, private: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private.curve, ec.SECP256R1):
            raise ValueError("not a P-256 key")
        self._private = private
        self.secret: bytes = private.private_numbers().private_value.to_bytes(SIZE, "big")
        self.public_key: bytes = private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)

    @classmethod
    def generate(cls) -> P256KeyPair:
        """Create a fresh random key pair."""
        return cls(ec.generate_private_key(_CURVE))

    @classmethod
    def from_secret(cls, secret: bytes) -> P256KeyPair:
        """The key pair of a 32-byte private scalar; ``ValueError`` when it is not one (0 or ≥ the order)."""
        if len(secret) != SIZE:
            raise ValueError(f"a P-256 secret key is {SIZE} bytes, got {len(secret)}")
        return cls(ec.derive_private_key(int.from_bytes(secret, "big"), _CURVE))

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, str]) -> P256KeyPair:
        """The key pair of a private JWK (``kty EC``, ``crv P-256``, ``d``), checking ``x``/``y`` when given."""
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or not isinstance(jwk.get("d"), str):
            raise JwkError("not a private P-256 JWK")
        try:
            pair = cls.from_secret(b64url_decode(jwk["d"]))
        except ValueError as exc:
            raise JwkError(f"invalid P-256 private key: {exc}") from None
        public = pair.public_jwk
        if any(name in jwk and jwk[name] != public[name] for name in ("x", "y")):
            raise JwkError("the JWK's public point is not the one of its private key")
        return pair

    @property
    def public_multikey(self) -> str:
        """The public key as a Multikey string (``zDn…``, multicodec p256-pub 0x1200)."""
        return multikey.encode(multikey.P256_PUB, self.public_key)

    @property
    def secret_multikey(self) -> str:
        """The private scalar as a Multikey string (multicodec p256-priv), as Digital Bazaar's libraries export."""
        return multikey.encode(multikey.P256_PRIV, self.secret)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (``kty EC``, ``crv P-256``)."""
        numbers = self._private.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64url_encode(numbers.x.to_bytes(SIZE, "big")),
                "y": b64url_encode(numbers.y.to_bytes(SIZE, "big"))}

    def sign(self, message: bytes) -> bytes:
        """ECDSA with SHA-256 over ``message``: the 64-byte ``r ‖ s`` signature."""
        r, s = decode_dss_signature(self._private.sign(message, _ECDSA_SHA256))
        return r.to_bytes(SIZE, "big") + s.to_bytes(SIZE, "big")

    def __repr__(self) -> str:  # never print secret material
        return f"P256KeyPair(public={self.public_multikey})"


def public_key_object(compressed: bytes, curve: ec.EllipticCurve = _CURVE) -> ec.EllipticCurvePublicKey:
    """The ``cryptography`` key of a SEC1-encoded point; ``ValueError`` when it is not on the curve."""
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, compressed)


def verify_ecdsa(key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes,
                 algorithm: hashes.HashAlgorithm, size: int) -> bool:
    """Check a raw ``r ‖ s`` ECDSA signature; False (never an exception) when it does not verify."""
    if len(signature) != 2 * size:
        return False
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    try:
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(algorithm))
    except (InvalidSignature, ValueError):
        return False
    return True
