"""What the ECDSA suites (ecdsa-rdfc-2019, ecdsa-jcs-2019) share: the key decides the hash and the signature.

vc-di-ecdsa §3.2/§3.3: with a P-256 key the proof configuration and the document are hashed with SHA-256 and
signed ES256 (a 64-byte ``r ‖ s``); with a P-384 key, SHA-384 and ES384 (96 bytes). Both are data of the key's
curve (:mod:`vcnode.keys.nist`), so one suite class serves both curves.
"""

from __future__ import annotations

from typing import ClassVar

from vcnode.keys.nist import CURVES, Curve
from vcnode.keys.public import P256, P384


class EcdsaKeys:
    """Mixed into a suite ahead of its eddsa base: P-256 and P-384 keys, the hash and signature of the curve."""

    key_types: ClassVar[frozenset[str]] = frozenset({P256, P384})
    signature_algorithm: ClassVar[str] = "ECDSA"

    @staticmethod
    def _curve(key_type: str | None) -> Curve:
        # No key type (a caller hashing without a key): P-256, the curve these suites were first used with.
        return CURVES[key_type or P256]

    def hash_name(self, key_type: str | None) -> str:
        """SHA-256 for P-256 keys, SHA-384 for P-384 keys."""
        return self._curve(key_type).hash_name

    def signature_format(self, key_type: str) -> tuple[int, str]:
        """64 bytes ES256 on P-256, 96 bytes ES384 on P-384."""
        curve = self._curve(key_type)
        return curve.signature_size, f"{curve.alg} ({curve.key_type})"
