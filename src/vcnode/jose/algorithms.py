"""The JWS algorithms vcnode signs and verifies, and the key type each one needs.

An algorithm is chosen by the key, never by the token alone: a header naming an algorithm the key cannot
make (``ES256`` with an Ed25519 key, ``HS256`` with any public key) is refused before any signature check, which
closes the key-confusion attacks of RFC 8725 §2.1 and §3.1.
"""

from __future__ import annotations

from collections.abc import Collection

from vcnode.jose.errors import ALGORITHM_KEY_MISMATCH, UNSUPPORTED_ALGORITHM, JoseError
from vcnode.keys.public import ED25519, P256, P384, P521, PublicKey

#: alg → the key type it verifies with. ``Ed25519`` is the fully specified name of RFC 9864 for ``EdDSA``.
ALGORITHMS: dict[str, str] = {"EdDSA": ED25519, "Ed25519": ED25519, "ES256": P256, "ES384": P384, "ES512": P521}
# Symmetric algorithms: a public key is never their secret (RFC 8725 §2.1: "HS256 with the RSA public key").
_SYMMETRIC = ("HS256", "HS384", "HS512")


def check_algorithm(alg: object, key: PublicKey, allowed: Collection[str] | None = None) -> str:
    """``alg`` when it is a supported algorithm, allowed by the caller, and made with ``key``'s type;
    :class:`JoseError` (``unsupportedAlgorithm`` / ``algorithmKeyMismatch``) otherwise."""
    if not isinstance(alg, str) or alg.lower() == "none":
        raise JoseError("unsecured JWS (alg none) are never accepted", code=UNSUPPORTED_ALGORITHM)
    if alg in _SYMMETRIC:
        raise JoseError(f"{alg} is a MAC algorithm: a public {key.key_type} key cannot verify it",
                        code=ALGORITHM_KEY_MISMATCH)
    if alg not in ALGORITHMS or (allowed is not None and alg not in allowed):
        accepted = [name for name in ALGORITHMS if allowed is None or name in allowed]
        raise JoseError(f"JWS algorithm {alg[:40]!r} is not accepted (accepted: {', '.join(accepted)})",
                        code=UNSUPPORTED_ALGORITHM)
    if ALGORITHMS[alg] != key.key_type:
        raise JoseError(f"{alg} needs a {ALGORITHMS[alg]} key; the key is {key.key_type}",
                        code=ALGORITHM_KEY_MISMATCH)
    return alg
