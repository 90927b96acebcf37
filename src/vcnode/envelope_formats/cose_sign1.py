"""COSE_Sign1 (RFC 9052 §4.2) made and checked with ``cbor2`` and vcnode's own keys.

A message is ``18([protected, unprotected, payload, signature])``: ``protected`` is the CBOR map of header
parameters wrapped in a byte string, and the signature covers ``["Signature1", protected, h'', payload]``. Signing
goes through a :class:`~vcnode.keys.signer.Signer`, so secret keys never leave the identity service; ECDSA
signatures are raw ``r ‖ s`` in both COSE and vcnode. As for JWS, the algorithm is chosen by the key, never by the
message alone: an ``alg`` the key cannot make is refused before any signature check.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from vcnode.envelopes.base import EnvelopeError
from vcnode.keys.public import ED25519, P256, P384, P521, PublicKey
from vcnode.keys.signer import Signer

# Header labels (RFC 9052 §3.1, RFC 9596 for typ).
ALG, CRIT, CONTENT_TYPE, KID, TYP = 1, 2, 3, 4, 16
SIGN1_TAG = 18
#: COSE algorithm id → (JOSE name, the key type it verifies with). -19 is RFC 9864's fully specified Ed25519.
ALGORITHMS: dict[int, tuple[str, str]] = {-7: ("ES256", P256), -35: ("ES384", P384), -36: ("ES512", P521),
                                          -8: ("EdDSA", ED25519), -19: ("Ed25519", ED25519)}
#: The COSE id a signer's (JOSE) algorithm is written as.
COSE_IDS: dict[str, int] = {"ES256": -7, "ES384": -35, "ES512": -36, "EdDSA": -8, "Ed25519": -19}
_UNDERSTOOD = frozenset({ALG, CRIT, CONTENT_TYPE, KID, TYP})

# Error codes (beside jose.errors' unsupportedAlgorithm, algorithmKeyMismatch and invalidSignature, reused so a
# caller maps JOSE and COSE refusals alike).
MALFORMED_COSE = "malformedCose"  # not CBOR, not a COSE_Sign1, a header map that is not one, trailing bytes
WRONG_TAG = "wrongCoseTag"  # a CBOR tag other than 18 (COSE_Sign1): a COSE_Sign, a MAC, an encrypted message
COSE_TOO_LARGE = "coseTooLarge"  # longer than the caller's limit, refused before decoding
UNSUPPORTED_ALGORITHM = "unsupportedAlgorithm"
ALGORITHM_KEY_MISMATCH = "algorithmKeyMismatch"
INVALID_SIGNATURE = "invalidSignature"
UNSUPPORTED_CRITICAL_HEADER = "unsupportedCriticalHeader"  # crit names a header parameter vcnode does not know
DETACHED_PAYLOAD = "detachedPayload"  # payload nil: the content is carried elsewhere, which an envelope never is


@dataclass(frozen=True, slots=True)
class Sign1:
    """A decoded, not yet verified, COSE_Sign1: ``protected`` the decoded map, ``protected_bytes`` as signed."""

    protected: dict[Any, Any]
    protected_bytes: bytes
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes

    def header(self, label: int) -> Any:
        """A header parameter: the protected one, else the unprotected one (None when neither has it)."""
        if label in self.protected:
            return self.protected[label]
        return self.unprotected.get(label)

    @property
    def kid(self) -> str | None:
        """The key id as text (COSE's ``kid`` is a byte string; a text one is taken as it is)."""
        kid = self.header(KID)
        if isinstance(kid, bytes):
            try:
                return kid.decode("utf-8")
            except UnicodeDecodeError:
                raise EnvelopeError("the COSE kid is not UTF-8 text", code=MALFORMED_COSE) from None
        return kid if isinstance(kid, str) else None


def sign(payload: bytes, signer: Signer, headers: Mapping[int, Any]) -> bytes:
    """A tagged COSE_Sign1 of ``payload`` by ``signer``, its ``alg`` (from the signer) and ``headers`` protected."""
    try:
        alg = COSE_IDS[signer.alg]
    except KeyError:
        raise EnvelopeError(f"no COSE algorithm for {signer.alg}", code=UNSUPPORTED_ALGORITHM) from None
    protected = cbor2.dumps({ALG: alg, **{label: value for label, value in headers.items() if label != ALG}})
    signature = signer.sign(_to_be_signed(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(SIGN1_TAG, [protected, {}, payload, signature]))


def decode(data: bytes, *, max_bytes: int) -> Sign1:
    """Parse a COSE_Sign1 (tagged 18, or untagged as RFC 9052 §2 allows where the media type says what it is);
    :class:`EnvelopeError` (``coseTooLarge``, ``malformedCose``, ``wrongCoseTag``, ``detachedPayload``)."""
    if len(data) > max_bytes:
        raise EnvelopeError(f"the COSE message is longer than {max_bytes} bytes", code=COSE_TOO_LARGE)
    message = _loads(data, "the COSE message")
    if isinstance(message, cbor2.CBORTag):
        if message.tag != SIGN1_TAG:
            raise EnvelopeError(f"CBOR tag {message.tag} is not a COSE_Sign1 (tag 18)", code=WRONG_TAG)
        message = message.value
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise EnvelopeError("a COSE_Sign1 is an array of four items", code=MALFORMED_COSE)
    protected_bytes, unprotected, payload, signature = message
    if not isinstance(protected_bytes, bytes) or not isinstance(unprotected, Mapping) \
            or not isinstance(signature, bytes):
        raise EnvelopeError("a COSE_Sign1 is [bstr, map, bstr / nil, bstr]", code=MALFORMED_COSE)
    if payload is None:
        raise EnvelopeError("detached COSE payloads are not accepted", code=DETACHED_PAYLOAD)
    if not isinstance(payload, bytes):
        raise EnvelopeError("the COSE payload is not a byte string", code=MALFORMED_COSE)
    protected = _loads(protected_bytes, "the protected header") if protected_bytes else {}
    if not isinstance(protected, Mapping):
        raise EnvelopeError("the protected header is not a CBOR map", code=MALFORMED_COSE)
    if protected_bytes and _map_size(protected_bytes) != len(protected):
        # cbor2 keeps the last of repeated labels; RFC 9052 §3 forbids them (two algs, two kids: which is meant?)
        raise EnvelopeError("the protected header repeats a label or is not a definite-length map",
                            code=MALFORMED_COSE)
    if set(protected) & set(unprotected):  # RFC 9052 §3: a label appears in one bucket only
        raise EnvelopeError("a header parameter is both protected and unprotected", code=MALFORMED_COSE)
    return Sign1(dict(protected), protected_bytes, dict(unprotected), payload, signature)


def verify(message: Sign1, key: PublicKey) -> None:
    """Check ``message``'s signature by ``key``: its ``alg`` must be protected, known and of ``key``'s type, any
    ``crit`` parameter understood; :class:`EnvelopeError` otherwise (never an exception of another kind)."""
    alg = message.protected.get(ALG)
    if alg is None:
        raise EnvelopeError("the COSE message has no protected alg", code=UNSUPPORTED_ALGORITHM)
    if not isinstance(alg, int) or isinstance(alg, bool) or alg not in ALGORITHMS:
        accepted = ", ".join(f"{name} ({ident})" for ident, (name, _) in ALGORITHMS.items())
        raise EnvelopeError(f"COSE algorithm {str(alg)[:40]!r} is not accepted (accepted: {accepted})",
                            code=UNSUPPORTED_ALGORITHM)
    name, key_type = ALGORITHMS[alg]
    if key_type != key.key_type:
        raise EnvelopeError(f"{name} needs a {key_type} key; the key is {key.key_type}",
                            code=ALGORITHM_KEY_MISMATCH)
    crit = message.protected.get(CRIT)
    if crit is not None:
        if not isinstance(crit, list | tuple) or not crit:
            raise EnvelopeError("crit is not a non-empty array of labels", code=MALFORMED_COSE)
        unknown = [label for label in crit if label not in _UNDERSTOOD]
        if unknown:
            raise EnvelopeError(f"critical header parameters not understood: {unknown[:5]!r}",
                                code=UNSUPPORTED_CRITICAL_HEADER)
    if not key.verify(_to_be_signed(message.protected_bytes, message.payload), message.signature):
        raise EnvelopeError("the COSE signature does not verify", code=INVALID_SIGNATURE)


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """The Sig_structure of RFC 9052 §4.4 (no external AAD)."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _map_size(encoded: bytes) -> int | None:
    """The item count a CBOR map's head declares (None for an indefinite-length map or not a map head)."""
    head = encoded[0]
    if head >> 5 != 5:
        return None
    info = head & 0x1F
    if info < 24:
        return info
    width = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    return int.from_bytes(encoded[1:1 + width], "big") if width else None


def _loads(data: bytes, what: str) -> Any:
    """One CBOR item filling ``data`` exactly; any decoding failure is :class:`EnvelopeError` ``malformedCose``."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except Exception as exc:  # cbor2 raises CBORDecodeError, but semantic tags (dates, …) can raise others
        raise EnvelopeError(f"{what} is not well-formed CBOR: {str(exc)[:120]}", code=MALFORMED_COSE) from None
    if stream.tell() != len(data):
        raise EnvelopeError(f"{what} has bytes after its CBOR item", code=MALFORMED_COSE)
    return value
