"""Signers over private JWKs held outside the node's vault: a key a test suite or an operator hands in as a file.

Ed25519 and P-256 become the node's own key pairs; P-384 and P-521 (which the node does not hold as identity keys)
sign through :class:`EcJwkSigner`. Each is a :class:`~vcnode.keys.signer.Signer`, so JOSE and COSE use them as
they use the identity service's keys.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.jwk import JwkError, b64url_decode, b64url_encode
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import Signer

# crv → (curve, hash, scalar bytes, JOSE alg), for the curves only a JWK brings.
_CURVES: dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm, int, str]] = {
    "P-384": (ec.SECP384R1(), hashes.SHA384(), 48, "ES384"),
    "P-521": (ec.SECP521R1(), hashes.SHA512(), 66, "ES512")}


class EcJwkSigner:
    """ECDSA (P-384 / P-521) over a private JWK: raw ``r ‖ s`` signatures with the curve's hash."""

    __slots__ = ("_hash", "_jwk", "_private", "_size", "alg", "key_type")

    def __init__(self, jwk: dict[str, Any]) -> None:
        curve, algorithm, size, alg = _CURVES[jwk["crv"]]
        try:
            scalar = int.from_bytes(b64url_decode(jwk["d"]), "big")
            self._private = ec.derive_private_key(scalar, curve)
        except (ValueError, TypeError) as exc:
            raise JwkError(f"invalid {jwk['crv']} private key: {exc}") from None
        numbers = self._private.public_key().public_numbers()
        self._jwk = {"kty": "EC", "crv": jwk["crv"], "x": b64url_encode(numbers.x.to_bytes(size, "big")),
                     "y": b64url_encode(numbers.y.to_bytes(size, "big"))}
        if any(name in jwk and jwk[name] != self._jwk[name] for name in ("x", "y")):
            raise JwkError("the JWK's public point is not the one of its private key")
        self._hash, self._size, self.alg, self.key_type = algorithm, size, alg, jwk["crv"]

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK."""
        return dict(self._jwk)

    @property
    def public_multikey(self) -> str:
        """The public key as Multikey."""
        return PublicKey.from_jwk(self._jwk).multikey

    def sign(self, message: bytes) -> bytes:
        """ECDSA over ``message``: the raw ``r ‖ s`` signature."""
        r, s = decode_dss_signature(self._private.sign(message, ec.ECDSA(self._hash)))
        return r.to_bytes(self._size, "big") + s.to_bytes(self._size, "big")

    def __repr__(self) -> str:  # never print secret material
        return f"EcJwkSigner({self.key_type}, x={self._jwk['x'][:12]}…)"


def signer_from_private_jwk(jwk: object) -> Signer:
    """The signer of a private JWK (OKP Ed25519, EC P-256 / P-384 / P-521); :class:`JwkError` otherwise."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("d"), str):
        raise JwkError("not a private JWK (no d)")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        try:
            pair = Ed25519KeyPair.from_seed(b64url_decode(jwk["d"]))
        except ValueError as exc:
            raise JwkError(f"invalid Ed25519 private key: {exc}") from None
        if "x" in jwk and jwk["x"] != pair.public_jwk["x"]:
            raise JwkError("the JWK's public key is not the one of its private key")
        return pair
    if kty == "EC" and crv == "P-256":
        return P256KeyPair.from_private_jwk(jwk)
    if kty == "EC" and crv in _CURVES:
        return EcJwkSigner(jwk)
    raise JwkError(f"unsupported private JWK (kty {str(kty)[:20]!r}, crv {str(crv)[:20]!r})")
