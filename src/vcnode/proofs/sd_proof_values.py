"""The proof values of the selective-disclosure suites (ecdsa-sd-2023, bbs-2023): multibase base64url (``u…``) of
a 3-byte header, which says the suite and whether the proof is a base or a derived one, then a CBOR array of 5
elements. The elements differ per suite; framing, header checks, decoding and the checks of single elements
(byte strings, indexes, the compressed label map) are the same and live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cbor2

from vcnode.proofs.base import ProofError
from vcnode.proofs.selective import b64url, b64url_decode

#: Both suites' base and derived proof values are arrays of 5 elements.
ELEMENTS = 5
HEADER_SIZE = 3


def _tag_hook(decoder: Any, tag: Any) -> Any:
    if tag.tag == 64 and isinstance(tag.value, bytes):  # a Uint8Array typed array, as cborg may write bytes
        return tag.value
    raise ValueError(f"unexpected CBOR tag {tag.tag}")


def _non_negative(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def compress_label_map(label_map: dict[str, str], compress: Callable[[str], Any]) -> dict[int, Any]:
    """The label map as a derived proof value carries it: ``c14nN`` → N, each label through ``compress``."""
    return {int(key[4:]): compress(value) for key, value in label_map.items()}


@dataclass(frozen=True)
class SdProofValueCodec:
    """Encodes and checks the proof values of one selective-disclosure suite; every error is a
    :class:`ProofError` (``malformedProofValue`` unless said otherwise) naming the suite."""

    suite: str
    base_header: bytes
    derived_header: bytes

    @property
    def _a_suite(self) -> str:  # messages read "an ecdsa-sd-2023 …", "a bbs-2023 …"
        return ("an " if self.suite[0] in "aeiou" else "a ") + self.suite

    def malformed(self, message: str) -> ProofError:
        """A ``malformedProofValue`` error for this suite."""
        return ProofError(f"malformed {self.suite} proofValue: {message}", code="malformedProofValue")

    def _encode(self, header: bytes, payload: list[Any]) -> str:
        return "u" + b64url(header + cbor2.dumps(payload, canonical=True))

    def encode_base(self, payload: list[Any]) -> str:
        """The ``proofValue`` of a base proof with these elements."""
        return self._encode(self.base_header, payload)

    def encode_derived(self, payload: list[Any]) -> str:
        """The ``proofValue`` of a derived proof with these elements."""
        return self._encode(self.derived_header, payload)

    def is_base(self, value: Any) -> bool:
        """True when ``value`` starts as a base proof value of this suite (the rest is not checked)."""
        try:
            return isinstance(value, str) and value.startswith("u") \
                and b64url_decode(value[1:5])[:HEADER_SIZE] == self.base_header
        except ValueError:
            return False

    def _decode(self, value: Any) -> tuple[bytes, Any]:
        if not isinstance(value, str) or not value.startswith("u"):
            raise self.malformed("it must be a base64url multibase string ('u…')")
        try:
            raw = b64url_decode(value[1:])
        except ValueError:
            raise self.malformed("it is not valid base64url") from None
        header = raw[:HEADER_SIZE]
        if header not in (self.base_header, self.derived_header):
            raise self.malformed(f"it does not start with {self._a_suite} header")
        try:
            payload = cbor2.loads(raw[HEADER_SIZE:], tag_hook=_tag_hook)
        except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, OverflowError):
            raise self.malformed("its CBOR does not decode") from None
        return header, payload

    def decode_base(self, value: Any) -> list[Any]:
        """The elements of a base proof value; ``notABaseProof`` (400) for a derived one."""
        header, payload = self._decode(value)
        if header != self.base_header:
            raise ProofError(f"the proof is a derived {self.suite} proof, not a base proof", code="notABaseProof",
                             status=400)
        if not isinstance(payload, list) or len(payload) != ELEMENTS:
            raise self.malformed(f"a base proof value is an array of {ELEMENTS} elements")
        return payload

    def decode_derived(self, value: Any) -> list[Any]:
        """The elements of a derived proof value; ``baseProofNotVerifiable`` for a base one, which is for the
        holder to derive from, never for verifiers (as the specifications require)."""
        header, payload = self._decode(value)
        if header != self.derived_header:
            raise ProofError(f"{self._a_suite} base proof is for the holder to derive from, not for "
                             "verifiers: present a derived proof", code="baseProofNotVerifiable")
        if not isinstance(payload, list) or len(payload) != ELEMENTS:
            raise self.malformed(f"a derived proof value is an array of {ELEMENTS} elements")
        return payload

    def octets(self, value: Any, size: int | None, name: str) -> bytes:
        """``value`` when a byte string (of ``size`` bytes when given)."""
        if not isinstance(value, bytes) or (size is not None and len(value) != size):
            raise self.malformed(f"{name} must be {size} bytes" if size else f"{name} must be bytes")
        return value

    def integers(self, value: Any, name: str) -> list[int]:
        """``value`` when an array of non-negative integers (statement indexes)."""
        if not isinstance(value, list) or not all(_non_negative(i) for i in value):
            raise self.malformed(f"{name} must be an array of non-negative integers")
        return value

    def label_map(self, compressed: Any, label: Callable[[Any], str]) -> dict[str, str]:
        """The label map of a derived proof value (``c14nN`` → the label ``label`` makes of N's value): the
        inverse of :func:`compress_label_map`."""
        if not isinstance(compressed, dict) or not all(_non_negative(key) for key in compressed):
            raise self.malformed("labelMap must be a map with non-negative integer keys")
        return {f"c14n{key}": label(value) for key, value in compressed.items()}

    def index(self, value: Any, name: str) -> int:
        """``value`` when a non-negative integer."""
        if not _non_negative(value):
            raise self.malformed(f"{name} must be a non-negative integer")
        return value
