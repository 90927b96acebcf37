"""P-256 key pairs: kept as an import path for their callers; the key pair of every NIST curve is
:mod:`vcnode.keys.nist`."""

from __future__ import annotations

from vcnode.keys.nist import P256_CURVE, P256KeyPair, public_key_object, verify_ecdsa

SIZE = P256_CURVE.size  # bytes of a P-256 scalar or coordinate

__all__ = ["SIZE", "P256KeyPair", "public_key_object", "verify_ecdsa"]
