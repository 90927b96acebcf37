"""Test data shared by the test modules: an Open Badges 3.0 credential and throwaway did:key signers."""

from __future__ import annotations

from typing import Any

from vcnode.keys import signer
from vcnode.keys.signer import SigningKey

DEFAULT_ID = "urn:uuid:2f1a3c1e-5b8e-4c4f-9b0a-7f1e2d3c4b5a"


def did_key_signer(key_type: str = "Ed25519") -> SigningKey:
    """A fresh did:key identity's signing key (``Ed25519``, ``P-256`` or ``P-384``)."""
    pair = signer.generate(key_type)
    return SigningKey(f"did:key:{pair.public_multikey}#{pair.public_multikey}", pair)


def badge(issuer: str, credential_id: str = DEFAULT_ID) -> dict[str, Any]:
    """A valid, unsigned OB 3.0 micro-credential from ``issuer``."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Analytics Fundamentals",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Harbour City Polytechnic"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner-7", "type": ["AchievementSubject"],
                              "achievement": {"id": "https://hcp.example/achievements/daf", "type": ["Achievement"],
                                              "name": "Data Analytics Fundamentals",
                                              "description": "Descriptive statistics and dashboards.",
                                              "criteria": {"narrative": "Pass the assessed project."},
                                              "creditsAvailable": 5}},
    }


def blank_node_clique(size: int, issuer: str = "did:example:issuer") -> dict[str, Any]:
    """A credential whose subject is ``size`` blank nodes each linked to all the others and to nothing else:
    nothing tells them apart, so RDFC-1.0's N-degree hashing would try every permutation (the
    canonicalisation bomb of issue 11). About 2 KB for 8 nodes."""
    nodes = [{"id": f"_:n{i}", "knows": [{"id": f"_:n{j}"} for j in range(size) if j != i]} for i in range(size)]
    return {"@context": ["https://www.w3.org/ns/credentials/v2",
                         {"@vocab": "urn:example:vocab#", "knows": {"@type": "@id"}}],
            "type": ["VerifiableCredential"], "issuer": issuer, "credentialSubject": {"members": nodes}}
