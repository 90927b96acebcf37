"""Pure construction of the DID documents the node publishes for its did:web identities."""

from __future__ import annotations

from typing import Any

from vcnode.identity.records import KeyRecord
from vcnode.keys.public import BLS12381_G2

DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"


def web_document(did: str, keys: list[KeyRecord]) -> dict[str, Any]:
    """The DID document of a did:web identity.

    Every key the identity ever had is listed, newest first, with its validity period (``validFrom``,
    and ``validUntil`` once retired) so credentials signed before a rotation still verify. Only the active
    key may authenticate or invoke capabilities; every key stays an ``assertionMethod``. A BLS12-381 G2 key signs
    bbs-2023 credentials only, never a presentation or a capability: it is an ``assertionMethod`` and nothing else.
    """
    ordered = [key for key in keys if key.active] + sorted(
        (key for key in keys if not key.active), key=lambda key: key.valid_from, reverse=True)
    methods = []
    for key in ordered:
        method: dict[str, Any] = {"id": key.id, "type": "Multikey", "controller": did,
                                  "publicKeyMultibase": key.public_multikey, "validFrom": key.valid_from}
        if key.valid_until:
            method["validUntil"] = key.valid_until
        methods.append(method)
    active = [key.id for key in ordered if key.active and key.key_type != BLS12381_G2]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "authentication": active,
        "assertionMethod": [key.id for key in ordered],
        "capabilityInvocation": active,
        "capabilityDelegation": active,
    }
