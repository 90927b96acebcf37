"""NIST-curve (P-256, P-384) key pairs for ES256 / ES384 (``cryptography``) and their Multikey / JWK forms.

One key pair class, parametrised by a :class:`Curve`: what differs between the curves (scalar size, hash, JOSE
algorithm, multicodecs) is data of the curve, so ECDSA suites and JOSE ask the key, never a per-curve class.
Signatures are the raw ``r ‖ s`` form (IEEE P1363) that JWS (RFC 7518 §3.4) and the Data Integrity ECDSA suites
both use, not DER: 64 bytes on P-256, 96 on P-384.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vcnode.keys import multikey
from vcnode.keys.jwk import JwkError, b64url_decode, b64url_encode


@dataclass(frozen=True, slots=True)
class Curve:
    """A NIST curve and what signing on it means: ``key_type`` (``P-256``, also the JWK ``crv``), the JOSE
    ``alg``, the ``hash`` of that algorithm (also the Data Integrity ECDSA suites' hash for the curve), the
    scalar / coordinate ``size`` in bytes and the Multikey codecs."""

    key_type: str
    alg: str
    curve: ec.EllipticCurve
    hash: hashes.HashAlgorithm
    size: int
    public_codec: int
    secret_codec: int | None

    @property
    def hash_name(self) -> str:
        """The :mod:`hashlib` name of the curve's hash (``sha256``, ``sha384``)."""
        return self.hash.name

    @property
    def signature_size(self) -> int:
        """Bytes of a raw ``r ‖ s`` signature."""
        return 2 * self.size


P256_CURVE = Curve("P-256", "ES256", ec.SECP256R1(), hashes.SHA256(), 32, multikey.P256_PUB, multikey.P256_PRIV)
P384_CURVE = Curve("P-384", "ES384", ec.SECP384R1(), hashes.SHA384(), 48, multikey.P384_PUB, multikey.P384_PRIV)
# Verification only: the node holds no P-521 keys.
P521_CURVE = Curve("P-521", "ES512", ec.SECP521R1(), hashes.SHA512(), 66, multikey.P521_PUB, None)
#: The curves by key type.
CURVES: dict[str, Curve] = {c.key_type: c for c in (P256_CURVE, P384_CURVE, P521_CURVE)}


class NistKeyPair:
    """A NIST-curve signing key pair: ``secret`` is the private scalar (big-endian, ``curve.size`` bytes),
    ``public_key`` the SEC1 compressed point (what Multikey ``zDn…`` / ``z82…`` holds). A subclass names its
    :attr:`curve` (:class:`P256KeyPair`, :class:`P384KeyPair`); nothing else differs."""

    __slots__ = ("_private", "public_key", "secret")
    curve: ClassVar[Curve]

    def __init__(self, private: ec.EllipticCurvePrivateKey) -> None:
        if private.curve.name != self.curve.curve.name:
            raise ValueError(f"not a {self.curve.key_type} key")
        self._private = private
        self.secret: bytes = private.private_numbers().private_value.to_bytes(self.curve.size, "big")
        self.public_key: bytes = private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)

    @property
    def alg(self) -> str:
        """The JOSE algorithm it signs with (``ES256``, ``ES384``)."""
        return self.curve.alg

    @property
    def key_type(self) -> str:
        """``P-256`` or ``P-384``."""
        return self.curve.key_type

    @classmethod
    def generate(cls) -> NistKeyPair:
        """Create a fresh random key pair."""
        return cls(ec.generate_private_key(cls.curve.curve))

    @classmethod
    def from_secret(cls, secret: bytes) -> NistKeyPair:
        """The key pair of a private scalar; ``ValueError`` when it is not one (wrong length, 0 or ≥ the order)."""
        if len(secret) != cls.curve.size:
            raise ValueError(f"a {cls.curve.key_type} secret key is {cls.curve.size} bytes, got {len(secret)}")
        return cls(ec.derive_private_key(int.from_bytes(secret, "big"), cls.curve.curve))

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, str]) -> NistKeyPair:
        """The key pair of a private JWK (``kty EC``, ``crv`` the curve's, ``d``), checking ``x``/``y`` when
        given."""
        crv = cls.curve.key_type
        if jwk.get("kty") != "EC" or jwk.get("crv") != crv or not isinstance(jwk.get("d"), str):
            raise JwkError(f"not a private {crv} JWK")
        try:
            pair = cls.from_secret(b64url_decode(jwk["d"]))
        except ValueError as exc:
            raise JwkError(f"invalid {crv} private key: {exc}") from None
        public = pair.public_jwk
        if any(name in jwk and jwk[name] != public[name] for name in ("x", "y")):
            raise JwkError("the JWK's public point is not the one of its private key")
        return pair

    @property
    def public_multikey(self) -> str:
        """The public key as a Multikey string (``zDn…`` p256-pub 0x1200, ``z82…`` p384-pub 0x1201)."""
        return multikey.encode(self.curve.public_codec, self.public_key)

    @property
    def secret_multikey(self) -> str:
        """The private scalar as a Multikey string (p256-priv / p384-priv), as Digital Bazaar's libraries
        export."""
        assert self.curve.secret_codec is not None  # every curve a key pair is made for has one
        return multikey.encode(self.curve.secret_codec, self.secret)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (``kty EC``, ``crv`` the key type)."""
        numbers = self._private.public_key().public_numbers()
        size = self.curve.size
        return {"kty": "EC", "crv": self.curve.key_type, "x": b64url_encode(numbers.x.to_bytes(size, "big")),
                "y": b64url_encode(numbers.y.to_bytes(size, "big"))}

    def sign(self, message: bytes) -> bytes:
        """ECDSA with the curve's hash over ``message``: the raw ``r ‖ s`` signature."""
        r, s = decode_dss_signature(self._private.sign(message, ec.ECDSA(self.curve.hash)))
        return r.to_bytes(self.curve.size, "big") + s.to_bytes(self.curve.size, "big")

    def __repr__(self) -> str:  # never print secret material
        return f"{type(self).__name__}(public={self.public_multikey})"


class P256KeyPair(NistKeyPair):
    """A P-256 key pair (ES256; Multikey ``zDn…``)."""

    __slots__ = ()
    curve: ClassVar[Curve] = P256_CURVE


class P384KeyPair(NistKeyPair):
    """A P-384 key pair (ES384; Multikey ``z82…``)."""

    __slots__ = ()
    curve: ClassVar[Curve] = P384_CURVE


def public_key_object(compressed: bytes, curve: ec.EllipticCurve = P256_CURVE.curve) -> ec.EllipticCurvePublicKey:
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
