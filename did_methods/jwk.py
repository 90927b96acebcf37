"""did:jwk — the DID is the base64url of a public JWK (Ed25519 OKP or P-256/P-384 EC)."""

from __future__ import annotations

import math
from typing import ClassVar

import orjson

from did_methods._documents import DID_V1, JWS_2020_V1
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import INVALID_DID, DriverResult, ResolutionError
from vcnode.did.self_certifying import did_jwk_for
from vcnode.did.syntax import DidUrl
from vcnode.keys.jwk import JwkError, b64url_decode, jwk_to_multikey

_ALL = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation", "keyAgreement")


__all__ = ["JwkDriver", "did_jwk_for"]


class JwkDriver:
    """Resolves did:jwk per the did:jwk specification; documents never change."""

    method: ClassVar[str] = "jwk"
    offline: ClassVar[bool] = True

    def __init__(self, context: DriverContext | None = None) -> None:
        self._context = context

    async def resolve(self, did: DidUrl) -> DriverResult:
        """Decode the JWK from the DID, check it is a valid public key, and build the document."""
        try:
            jwk = orjson.loads(b64url_decode(did.method_specific_id))
            jwk_to_multikey(jwk)  # validates key type, lengths and (for EC) that the point is on the curve
        except (JwkError, orjson.JSONDecodeError) as exc:
            raise ResolutionError(INVALID_DID, f"invalid did:jwk: {getattr(exc, 'detail', exc)}") from None
        use = jwk.get("use")
        if use == "sig":
            relationships = _ALL[:4]
        elif use == "enc":
            relationships = ("keyAgreement",)
        else:
            relationships = _ALL
        method_id = f"{did.did}#0"
        document = {
            "@context": [DID_V1, JWS_2020_V1],
            "id": did.did,
            "verificationMethod": [{"id": method_id, "type": "JsonWebKey2020", "controller": did.did,
                                    "publicKeyJwk": jwk}],
        }
        for relationship in relationships:
            document[relationship] = [method_id]
        return DriverResult(document, {}, cache_ttl=math.inf)
