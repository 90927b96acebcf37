"""did:key — Multikey-form documents per the did:key specification (Ed25519 with its derived X25519
keyAgreement key, X25519, and the NIST curves P-256/P-384/P-521, whose keys also do key agreement).

Errors are the specification's: ``invalidDid`` for an identifier that is not ``did:key:z…`` base58btc,
``unsupportedPublicKeyType`` for a key type not implemented here, ``invalidPublicKeyType`` for a multicodec
that names no public key type, ``invalidPublicKeyLength`` for key bytes of the wrong length for their type,
and ``invalidPublicKey`` for bytes that are not a key of that type (not a point on its curve).

Resolution options (the specification's "Document Creation Algorithm"): ``publicKeyFormat`` (the verification
method type: ``Multikey`` by default, ``JsonWebKey``/``JsonWebKey2020``, ``Ed25519VerificationKey2020``,
``X25519KeyAgreementKey2020``; with ``enableExperimentalPublicKeyTypes`` also ``Ed25519VerificationKey2018`` and
``X25519KeyAgreementKey2019``) and ``enableEncryptionKeyDerivation`` (default true: an Ed25519 DID lists its
derived X25519 key). An unknown format is ``unsupportedPublicKeyType``; a format not allowed for a key is
``invalidPublicKeyType``."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import base58
from cryptography.hazmat.primitives.asymmetric import ec

from did_methods._documents import DID_V1, JWS_2020_V1, MULTIKEY_V1, SIGNING_RELATIONSHIPS, multikey_method
from vcnode.bbs.ciphersuite import BbsError, octets_to_pubkey
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import (
    INVALID_DID,
    INVALID_OPTIONS,
    INVALID_PUBLIC_KEY,
    INVALID_PUBLIC_KEY_LENGTH,
    INVALID_PUBLIC_KEY_TYPE,
    UNSUPPORTED_PUBLIC_KEY_TYPE,
    DriverResult,
    ResolutionError,
)
from vcnode.did.syntax import DidUrl
from vcnode.keys import multikey
from vcnode.keys.ed25519 import x25519_from_ed25519
from vcnode.keys.jwk import multikey_to_jwk

_SIGNING_CODECS = frozenset({multikey.ED25519_PUB}) | multikey.EC_CODECS
_ALLOWED = _SIGNING_CODECS | {multikey.X25519_PUB, multikey.BLS12381_G2_PUB}
_CURVES = {multikey.P256_PUB: ec.SECP256R1(), multikey.P384_PUB: ec.SECP384R1(), multikey.P521_PUB: ec.SECP521R1()}
# Decoding failures the specification names; anything else (bad base58btc, an unreadable varint) is invalidDid.
_SPEC_CODES = {multikey.UNSUPPORTED_KEY_TYPE: UNSUPPORTED_PUBLIC_KEY_TYPE,
               multikey.INVALID_KEY_TYPE: INVALID_PUBLIC_KEY_TYPE,
               multikey.INVALID_KEY_LENGTH: INVALID_PUBLIC_KEY_LENGTH}

MULTIKEY = "Multikey"
# Every publicKeyFormat this driver implements, with the context that defines its type.
_FORMAT_CONTEXTS = {
    MULTIKEY: MULTIKEY_V1,
    "JsonWebKey": "https://www.w3.org/ns/cid/v1",
    "JsonWebKey2020": JWS_2020_V1,
    "Ed25519VerificationKey2020": "https://w3id.org/security/suites/ed25519-2020/v1",
    "X25519KeyAgreementKey2020": "https://w3id.org/security/suites/x25519-2020/v1",
    "Ed25519VerificationKey2018": "https://w3id.org/security/suites/ed25519-2018/v1",
    "X25519KeyAgreementKey2019": "https://w3id.org/security/suites/x25519-2019/v1",
}
# The formats the specification allows for signature and for encryption verification methods, then those it
# allows only with enableExperimentalPublicKeyTypes (JsonWebKey2020 is the older drafts' name for JsonWebKey).
_SIGNATURE_FORMATS = frozenset({MULTIKEY, "JsonWebKey", "JsonWebKey2020", "Ed25519VerificationKey2020"})
_ENCRYPTION_FORMATS = frozenset({MULTIKEY, "JsonWebKey", "JsonWebKey2020", "X25519KeyAgreementKey2020"})
_EXPERIMENTAL_SIGNATURE = frozenset({"Ed25519VerificationKey2018"})
_EXPERIMENTAL_ENCRYPTION = frozenset({"X25519KeyAgreementKey2019"})
# Key-type-specific formats: the only key they describe, and the encryption format of an Ed25519 key's
# derived X25519 key when the signature key has that format.
_FORMAT_CODEC = {"Ed25519VerificationKey2020": multikey.ED25519_PUB, "Ed25519VerificationKey2018": multikey.ED25519_PUB,
                 "X25519KeyAgreementKey2020": multikey.X25519_PUB, "X25519KeyAgreementKey2019": multikey.X25519_PUB}
_DERIVED_FORMAT = {"Ed25519VerificationKey2020": "X25519KeyAgreementKey2020",
                   "Ed25519VerificationKey2018": "X25519KeyAgreementKey2019"}
OPTIONS = frozenset({"publicKeyFormat", "enableExperimentalPublicKeyTypes", "enableEncryptionKeyDerivation"})


def _flag(options: dict[str, Any], name: str, default: bool) -> bool:
    """A boolean option: JSON true/false, or the strings an HTTP query carries."""
    value = options.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ResolutionError(INVALID_OPTIONS, f"did:key option {name} must be true or false")


def _check_format(fmt: str, codec: int, encryption: bool, experimental: bool) -> None:
    """The specification's checks of publicKeyFormat for one verification method."""
    if fmt not in _FORMAT_CONTEXTS:
        raise ResolutionError(UNSUPPORTED_PUBLIC_KEY_TYPE, f"publicKeyFormat {fmt[:100]!r} is not supported")
    allowed = _ENCRYPTION_FORMATS if encryption else _SIGNATURE_FORMATS
    if experimental:
        allowed = allowed | (_EXPERIMENTAL_ENCRYPTION if encryption else _EXPERIMENTAL_SIGNATURE)
    if fmt not in allowed or _FORMAT_CODEC.get(fmt, codec) != codec:
        role = "an encryption" if encryption else "a signature"
        raise ResolutionError(INVALID_PUBLIC_KEY_TYPE, f"publicKeyFormat {fmt} is not allowed for {role} "
                              f"verification method of a {multikey.CODEC_NAMES[codec]} key"
                              + ("" if experimental else " (enableExperimentalPublicKeyTypes is false)"),
                              error_type="INVALID_OPTIONS")


def _method(did: str, encoded: str, fmt: str) -> dict[str, Any]:
    """The verification method of the Multikey ``encoded`` in the format ``fmt`` (already checked)."""
    method = multikey_method(did, encoded, encoded)
    if fmt == MULTIKEY:
        return method
    method["type"] = fmt
    del method["publicKeyMultibase"]
    if fmt in ("JsonWebKey", "JsonWebKey2020"):
        method["publicKeyJwk"] = multikey_to_jwk(encoded)
    elif fmt.endswith("2018") or fmt.endswith("2019"):
        method["publicKeyBase58"] = base58.b58encode(multikey.decode(encoded).raw).decode()
    else:
        method["publicKeyMultibase"] = encoded
    return method


def _with_options(document: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Re-express the Multikey document per the resolution options (the document was checked already)."""
    fmt = options.get("publicKeyFormat", MULTIKEY)
    if not isinstance(fmt, str):
        raise ResolutionError(INVALID_OPTIONS, "did:key option publicKeyFormat must be a string")
    experimental = _flag(options, "enableExperimentalPublicKeyTypes", False)
    derive = _flag(options, "enableEncryptionKeyDerivation", True)
    did = document["id"]
    out: dict[str, Any] = {"@context": [DID_V1], "id": did, "verificationMethod": []}
    for method in document["verificationMethod"]:
        codec = multikey.decode(method["publicKeyMultibase"]).codec
        encryption = codec == multikey.X25519_PUB
        _check_format(fmt, codec, encryption, experimental)
        out["verificationMethod"].append(_method(did, method["publicKeyMultibase"], fmt))
    first = out["verificationMethod"][0]
    for relationship in SIGNING_RELATIONSHIPS:
        if relationship in document:
            out[relationship] = [first["id"]]
    agreement = document["keyAgreement"][0]
    if isinstance(agreement, str):  # the key itself (X25519, NIST curves)
        out["keyAgreement"] = [agreement]
    elif derive:  # Ed25519: the derived X25519 key, in the matching encryption format
        derived = _DERIVED_FORMAT.get(fmt, fmt)
        _check_format(derived, multikey.X25519_PUB, True, experimental)
        out["keyAgreement"] = [_method(did, agreement["publicKeyMultibase"], derived)]
    formats = [m["type"] for m in out["verificationMethod"] + [k for k in out.get("keyAgreement", [])
                                                                 if isinstance(k, dict)]]
    for fmt_used in formats:
        if _FORMAT_CONTEXTS[fmt_used] not in out["@context"]:
            out["@context"].append(_FORMAT_CONTEXTS[fmt_used])
    return out


def document_for(did: str, encoded: str) -> dict:
    """Build the did:key document for the Multikey ``encoded`` (already checked by :func:`decode`)."""
    key = multikey.decode(encoded, allowed=_ALLOWED)
    document: dict = {"@context": [DID_V1, MULTIKEY_V1], "id": did}
    if key.codec == multikey.X25519_PUB:
        method = multikey_method(did, encoded, encoded)
        document["verificationMethod"] = [method]
        document["keyAgreement"] = [method["id"]]
        return document
    method = multikey_method(did, encoded, encoded)
    document["verificationMethod"] = [method]
    for relationship in SIGNING_RELATIONSHIPS:
        document[relationship] = [method["id"]]
    if key.codec == multikey.BLS12381_G2_PUB:  # a BBS key (bbs-2023) signs; there is no key agreement with it
        try:
            octets_to_pubkey(key.raw)
        except BbsError:
            raise ResolutionError(INVALID_PUBLIC_KEY, "the BLS12-381 G2 key is not a point of the group") from None
        return document
    if key.codec == multikey.ED25519_PUB:
        try:
            x25519 = multikey.encode(multikey.X25519_PUB, x25519_from_ed25519(key.raw))
        except Exception:  # pynacl rejects bytes that are not a point on the curve
            raise ResolutionError(INVALID_PUBLIC_KEY, "the Ed25519 key is not a valid curve point") from None
        document["keyAgreement"] = [multikey_method(did, x25519, x25519)]
    else:  # ECDH on the same NIST-curve key, as the did:key test vectors list it
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[key.codec], key.raw)
        except ValueError:
            raise ResolutionError(INVALID_PUBLIC_KEY, f"the {key.codec_name} key is not a point on its curve") \
                from None
        document["keyAgreement"] = [method["id"]]
    return document


class KeyDriver:
    """Resolves did:key; documents never change, so they are cached forever."""

    method: ClassVar[str] = "key"
    offline: ClassVar[bool] = True
    resolution_options: ClassVar[frozenset[str]] = OPTIONS

    def __init__(self, context: DriverContext | None = None) -> None:
        self._context = context

    async def resolve(self, did: DidUrl, options: dict[str, Any] | None = None) -> DriverResult:
        """Build the document from the key encoded in the DID itself, in the form the options ask for."""
        encoded = did.method_specific_id
        if ":" in encoded or not encoded.startswith("z"):
            raise ResolutionError(INVALID_DID, "did:key must be 'did:key:z' followed by a base58btc Multikey")
        try:
            document = document_for(did.did, encoded)
        except multikey.MultikeyError as exc:
            code = _SPEC_CODES.get(exc.code, INVALID_DID)
            raise ResolutionError(code, f"did:key: {exc.detail}") from None
        if options:
            document = _with_options(document, options)
        return DriverResult(document, {}, cache_ttl=math.inf)
