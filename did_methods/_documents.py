"""Document-building helpers shared by the drivers."""

from __future__ import annotations

from typing import Any

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
JWS_2020_V1 = "https://w3id.org/security/suites/jws-2020/v1"

SIGNING_RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityDelegation", "capabilityInvocation")


def multikey_method(did: str, fragment: str, public_multikey: str) -> dict[str, Any]:
    """A ``Multikey`` verification method controlled by ``did``."""
    return {"id": f"{did}#{fragment}", "type": "Multikey", "controller": did,
            "publicKeyMultibase": public_multikey}
