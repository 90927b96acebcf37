"""Conversions between public JWKs and Multikey for the key types the node resolves (Ed25519, P-256)."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vcnode.errors import InvalidInput
from vcnode.keys import multikey


class JwkError(InvalidInput):
    """A JWK is malformed or of an unsupported type."""

    code = "invalidJwk"


def b64url_decode(value: str) -> bytes:
    """Decode unpadded base64url (RFC 7515 §2), rejecting characters outside the alphabet."""
    if not isinstance(value, str):
        raise JwkError("expected a base64url string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        raise JwkError(f"invalid base64url: {exc}") from None


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_OKP = {"Ed25519": multikey.ED25519_PUB, "X25519": multikey.X25519_PUB}
_CURVES = {"P-256": (ec.SECP256R1(), multikey.P256_PUB, 32), "P-384": (ec.SECP384R1(), multikey.P384_PUB, 48),
           "P-521": (ec.SECP521R1(), multikey.P521_PUB, 66)}


def jwk_to_multikey(jwk: dict[str, Any]) -> str:
    """Turn a public JWK (OKP Ed25519/X25519 or EC P-256/P-384/P-521) into its Multikey form."""
    return multikey.encode(*jwk_public_key(jwk))


def jwk_public_key(jwk: dict[str, Any]) -> tuple[int, bytes]:
    """The multicodec and raw public key (Ed25519/X25519 bytes; NIST curves: the compressed point, checked to be
    on the curve) of a public JWK."""
    codec, raw, _ = jwk_public_key_object(jwk)
    return codec, raw


def jwk_public_key_object(jwk: dict[str, Any]) -> tuple[int, bytes, ec.EllipticCurvePublicKey | None]:
    """:func:`jwk_public_key` and, for a NIST curve, the loaded point it checked (loading it again from the
    compressed form costs a square root: a verifier keeps it)."""
    if not isinstance(jwk, dict):
        raise JwkError("JWK must be a JSON object")
    if "d" in jwk:
        raise JwkError("JWK contains private key material")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv in _OKP:
        return _OKP[crv], b64url_decode(jwk.get("x", "")), None
    if kty == "EC" and crv in _CURVES:
        curve, codec, size = _CURVES[crv]
        x, y = b64url_decode(jwk.get("x", "")), b64url_decode(jwk.get("y", ""))
        if len(x) != size or len(y) != size:
            raise JwkError(f"{crv} coordinates must be {size} bytes")
        try:
            point = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve)
            loaded = point.public_key()
            compressed = loaded.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        except ValueError as exc:
            raise JwkError(f"{crv} point is not on the curve: {exc}") from None
        return codec, compressed, loaded
    raise JwkError(f"unsupported JWK key type kty={kty!r} crv={crv!r}")


def multikey_to_jwk(value: str) -> dict[str, str]:
    """Turn a public Multikey (Ed25519, X25519, P-256, P-384, P-521) into a public JWK."""
    key = multikey.decode(value)
    if key.codec == multikey.ED25519_PUB:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.raw)}
    if key.codec == multikey.X25519_PUB:
        return {"kty": "OKP", "crv": "X25519", "x": b64url_encode(key.raw)}
    for crv, (curve, codec, size) in _CURVES.items():
        if key.codec == codec:
            try:
                numbers = ec.EllipticCurvePublicKey.from_encoded_point(curve, key.raw).public_numbers()
            except ValueError as exc:
                raise JwkError(f"{crv} point is not on the curve: {exc}") from None
            return {"kty": "EC", "crv": crv, "x": b64url_encode(numbers.x.to_bytes(size, "big")),
                    "y": b64url_encode(numbers.y.to_bytes(size, "big"))}
    raise JwkError(f"no JWK form for {key.codec_name}")
