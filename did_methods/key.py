"""did:key — Multikey-form documents per the did:key specification (Ed25519 with its derived X25519
keyAgreement key, X25519, and the NIST curves P-256/P-384/P-521, whose keys also do key agreement).

Errors are the specification's: ``invalidDid`` for an identifier that is not ``did:key:z…`` base58btc,
``unsupportedPublicKeyType`` for a key type not implemented here, ``invalidPublicKeyType`` for a multicodec
that names no public key type, ``invalidPublicKeyLength`` for key bytes of the wrong length for their type,
and ``invalidPublicKey`` for bytes that are not a key of that type (not a point on its curve)."""

from __future__ import annotations

import math
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric import ec

from did_methods._documents import DID_V1, MULTIKEY_V1, SIGNING_RELATIONSHIPS, multikey_method
from vcnode.bbs.ciphersuite import BbsError, octets_to_pubkey
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import (
    INVALID_DID,
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

_SIGNING_CODECS = frozenset({multikey.ED25519_PUB}) | multikey.EC_CODECS
_ALLOWED = _SIGNING_CODECS | {multikey.X25519_PUB, multikey.BLS12381_G2_PUB}
_CURVES = {multikey.P256_PUB: ec.SECP256R1(), multikey.P384_PUB: ec.SECP384R1(), multikey.P521_PUB: ec.SECP521R1()}
# Decoding failures the specification names; anything else (bad base58btc, an unreadable varint) is invalidDid.
_SPEC_CODES = {multikey.UNSUPPORTED_KEY_TYPE: UNSUPPORTED_PUBLIC_KEY_TYPE,
               multikey.INVALID_KEY_TYPE: INVALID_PUBLIC_KEY_TYPE,
               multikey.INVALID_KEY_LENGTH: INVALID_PUBLIC_KEY_LENGTH}


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

    def __init__(self, context: DriverContext | None = None) -> None:
        self._context = context

    async def resolve(self, did: DidUrl) -> DriverResult:
        """Build the document from the key encoded in the DID itself."""
        encoded = did.method_specific_id
        if ":" in encoded or not encoded.startswith("z"):
            raise ResolutionError(INVALID_DID, "did:key must be 'did:key:z' followed by a base58btc Multikey")
        try:
            document = document_for(did.did, encoded)
        except multikey.MultikeyError as exc:
            code = _SPEC_CODES.get(exc.code, INVALID_DID)
            raise ResolutionError(code, f"did:key: {exc.detail}") from None
        return DriverResult(document, {}, cache_ttl=math.inf)
