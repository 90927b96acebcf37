"""Compact JWS (RFC 7515) signed by a :class:`~vcnode.keys.signer.Signer` and verified against a public key.

joserfc does all serialisation and parsing; this module decides what is accepted: the size limit, the
algorithm (by the key, see :mod:`vcnode.jose.algorithms`), and no unencoded payloads (``b64``) or critical
extensions, which nothing here understands.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from joserfc import jws
from joserfc._rfc7515.compact import sign_compact as _joserfc_sign_compact
from joserfc._rfc7515.compact import verify_compact as _joserfc_verify_compact
from joserfc.errors import ExceededSizeError
from joserfc.errors import JoseError as _JoserfcError
from joserfc.jwa import JWSAlgModel

from vcnode.jose.algorithms import ALGORITHMS, check_algorithm
from vcnode.jose.errors import (
    ALGORITHM_KEY_MISMATCH,
    INVALID_JWS,
    INVALID_SIGNATURE,
    JWS_TOO_LARGE,
    UNSUPPORTED_ALGORITHM,
    JoseError,
)
from vcnode.keys.jwk import JwkError
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import Signer

#: Default limit on a compact JWS, in bytes. An Open Badges credential with an embedded image can be large;
#: callers with a tighter bound (a proof-of-possession JWT) pass ``max_bytes``.
DEFAULT_MAX_BYTES = 256 * 1024
MAX_HEADER_BYTES = 8 * 1024  # base64url of the protected header: kid, jwk, x5c fit easily


@dataclass(frozen=True)
class VerifiedJws:
    """A JWS whose signature verified: its protected header, payload bytes and the key that verified it (with
    the DID verification method and its controller when the key came from a DID)."""

    header: dict[str, Any]
    payload: bytes
    key: PublicKey
    verification_method: str | None = None
    controller: str | None = None

    def claims(self) -> dict[str, Any]:
        """The payload as a JSON object (a JWT's claims set); :class:`JoseError` ``invalidJws`` otherwise."""
        try:
            value = orjson.loads(self.payload)
        except orjson.JSONDecodeError:
            raise JoseError("the JWS payload is not JSON", code=INVALID_JWS) from None
        if not isinstance(value, dict):
            raise JoseError("the JWS payload is not a JSON object", code=INVALID_JWS)
        return value


class _KeyAlgorithm(JWSAlgModel):
    """joserfc's algorithm interface over vcnode's keys: a :class:`Signer` signs (its secret stays with the
    identity service) and a :class:`PublicKey` verifies (pynacl for Ed25519, OpenSSL ECDSA with the loaded point
    cached: what the Data Integrity proofs use, and about twice as fast as joserfc's own Ed25519 through
    ``cryptography``). joserfc still does every parse, base64url decoding and serialisation."""

    def __init__(self, alg: str) -> None:
        self.name = alg
        self.description = f"{alg} by a vcnode key"

    def sign(self, msg: bytes, key: Signer) -> bytes:
        return key.sign(msg)

    def verify(self, msg: bytes, sig: bytes, key: PublicKey) -> bool:
        return key.verify(msg, sig)


class _Registry(jws.JWSRegistry):
    """A registry allowing exactly one algorithm, sized by the caller's limit. Headers outside the JWS registry
    (``trust_chain``, ``x5c`` profiles, OpenID4VC's own) are allowed; the registered ones are type-checked."""

    def __init__(self, alg: str, max_bytes: int) -> None:
        super().__init__(algorithms=[alg], strict_check_header=False)
        self.max_header_length = MAX_HEADER_BYTES
        self.max_payload_length = max_bytes
        self.max_signature_length = 1024

    def get_alg(self, name: str) -> JWSAlgModel:
        # joserfc warns on every use of EdDSA (deprecated by RFC 9864 for "Ed25519"); it is what wallets and the
        # Node jose library send, and which key it takes is fixed by check_algorithm, so no warning here.
        if name not in self.algorithms or name not in (self.allowed or ()):
            raise JoseError(f"JWS algorithm {name[:40]!r} is not accepted", code=UNSUPPORTED_ALGORITHM)
        return self.algorithms[name]


@lru_cache(maxsize=64)
def _registry(alg: str, max_bytes: int) -> _Registry:
    return _Registry(alg, max_bytes)


_ALGORITHM_MODELS: dict[str, _KeyAlgorithm] = {alg: _KeyAlgorithm(alg) for alg in ALGORITHMS}


def sign_compact(payload: bytes | str | dict[str, Any], signer: Signer, *, kid: str | None = None,
                 header: dict[str, Any] | None = None) -> str:
    """A compact JWS of ``payload`` (a dict is serialised as compact JSON) signed by ``signer`` with its
    algorithm; ``kid`` and other ``header`` members go into the protected header."""
    if signer.alg not in ALGORITHMS:
        raise JoseError(f"JWS algorithm {signer.alg!r} is not supported", code=UNSUPPORTED_ALGORITHM)
    if header and header.get("alg", signer.alg) != signer.alg:
        raise JoseError(f"a {signer.key_type} key signs {signer.alg}, not {str(header['alg'])[:40]}",
                        code=ALGORITHM_KEY_MISMATCH)
    protected: dict[str, Any] = {"alg": signer.alg, **(header or {})}
    if kid is not None:
        protected["kid"] = kid
    data = orjson.dumps(payload) if isinstance(payload, dict) else payload.encode() if isinstance(payload, str) \
        else bytes(payload)
    try:
        _registry(signer.alg, DEFAULT_MAX_BYTES).check_header(protected)
    except _JoserfcError as exc:
        raise JoseError(f"invalid JWS header: {exc.description or exc.error}", code=INVALID_JWS) from None
    # joserfc's public serialize_compact takes only its own key objects; its compact serialiser (the code behind
    # it) takes an algorithm model, through which the Signer signs without handing its secret to anyone.
    signed = _joserfc_sign_compact(jws.CompactSignature(protected, data), _ALGORITHM_MODELS[signer.alg], signer)
    return signed.decode("ascii")


def _as_bytes(token: object, max_bytes: int) -> bytes:
    if isinstance(token, str):
        if len(token) > max_bytes:
            raise JoseError(f"the JWS is longer than {max_bytes} bytes", code=JWS_TOO_LARGE)
        try:
            return token.encode("ascii")
        except UnicodeEncodeError:
            raise JoseError("a compact JWS is ASCII only", code=INVALID_JWS) from None
    if isinstance(token, bytes | bytearray):
        if len(token) > max_bytes:
            raise JoseError(f"the JWS is longer than {max_bytes} bytes", code=JWS_TOO_LARGE)
        return bytes(token)
    raise JoseError("a compact JWS must be a string", code=INVALID_JWS)


def _extract(data: bytes, max_bytes: int) -> jws.CompactSignature:
    """Parse (joserfc) and apply the header rules; no signature check."""
    try:
        obj = jws.extract_compact(data, registry=_registry("ES256", max_bytes))  # its sizes only
    except ExceededSizeError as exc:
        raise JoseError(f"the JWS is too large: {exc.description}", code=JWS_TOO_LARGE) from None
    except (_JoserfcError, ValueError, TypeError) as exc:
        raise JoseError(f"not a valid compact JWS: {getattr(exc, 'description', None) or exc}",
                        code=INVALID_JWS) from None
    header = obj.headers()
    if not isinstance(header, dict):
        raise JoseError("the JWS header is not a JSON object", code=INVALID_JWS)
    if "b64" in header:  # RFC 7797 unencoded payloads: not used by any format vcnode reads
        raise JoseError("unencoded-payload JWS (b64) are not accepted", code=INVALID_JWS)
    if "crit" in header:
        raise JoseError(f"critical header extensions {str(header['crit'])[:80]} are not understood",
                        code=INVALID_JWS)
    return obj


def read_header(token: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The protected header of a compact JWS, *before* any signature check (to find its ``kid``);
    :class:`JoseError` when the token is malformed or too large."""
    return dict(_extract(_as_bytes(token, max_bytes), max_bytes).headers())


def verify_compact(token: str | bytes, key: PublicKey | dict[str, Any], *,
                   algorithms: Collection[str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> VerifiedJws:
    """Verify a compact JWS with ``key`` (a :class:`PublicKey` or a public JWK). ``algorithms`` narrows the
    accepted ones (default: EdDSA/Ed25519, ES256, ES384, ES512, each only with its key type). Raises
    :class:`JoseError` with the reason's code; returns the verified header and payload."""
    data = _as_bytes(token, max_bytes)
    if isinstance(key, dict):
        try:
            key = PublicKey.from_jwk(key)
        except JwkError as exc:
            raise JoseError(f"the verification key is not a usable public JWK: {exc.detail}", code=exc.code) \
                from None
    return verify_extracted(_extract(data, max_bytes), key, algorithms=algorithms, max_bytes=max_bytes)


def extract(token: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> jws.CompactSignature:
    """A compact JWS parsed (joserfc) and its header checked, *before* any signature check: for a caller that
    must read the header to find the key, then verify with :func:`verify_extracted` without parsing twice."""
    return _extract(_as_bytes(token, max_bytes), max_bytes)


def verify_extracted(obj: jws.CompactSignature, key: PublicKey, *, algorithms: Collection[str] | None = None,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> VerifiedJws:
    """:func:`verify_compact` of a JWS :func:`extract` parsed."""
    header = obj.headers()
    alg = check_algorithm(header.get("alg"), key, algorithms)  # first: alg none comes without a signature
    if not obj.segments.get("signature"):
        raise JoseError("the JWS has no signature", code=INVALID_JWS)
    try:
        _registry(alg, max_bytes).check_header(header)  # joserfc's type checks of the registered headers
        ok = _joserfc_verify_compact(obj, _ALGORITHM_MODELS[alg], key)  # joserfc decodes, the key verifies
    except JoseError:
        raise
    except _JoserfcError as exc:
        raise JoseError(f"the JWS was refused: {exc.description or exc.error}", code=INVALID_JWS) from None
    if not ok:
        raise JoseError("the JWS signature does not verify", code=INVALID_SIGNATURE)
    return VerifiedJws(dict(header), obj.payload, key)
