"""Test data for the trust package: the example parties with did:key keys, their signed statements in an
index filled the way a node fills it (each statement verified first), and micro-credentials."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from vcnode.credentials import issue_credential, sign, verify_credential
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey
from vcnode.trust import InMemoryStatements
from vcnode.trust.examples import FRAMEWORKS, ROLES, example_badge, example_statements

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HKQF, NZQCF, EQF, ECTS = (FRAMEWORKS[code] for code in ("HKQF", "NZQCF", "EQF", "ECTS"))
LEARNER = "did:example:learner-aroha"


def did_of(key: SigningKey) -> str:
    """The DID a signing key belongs to."""
    return key.verification_method.split("#", 1)[0]


async def index_checked(documents: Iterable[dict[str, Any]], index: InMemoryStatements | None = None,
                        resolver: Resolver | None = None) -> InMemoryStatements:
    """Verify each signed statement as a node does before indexing it, and record what was found: the
    proof's result and the DID that signed it."""
    index = index if index is not None else InMemoryStatements()
    resolver = resolver or Resolver([KeyDriver()])
    for document in documents:
        report = await verify_credential(document, resolver)
        proofs = report.results.get("proof", {}).get("proofs", [])
        signer = next((p["controller"] for p in proofs if p.get("verified")), None)
        proof_ok = report.results.get("proof", {}).get("verified", False)
        index.add_document(document, proof="verified" if proof_ok else "failed", signer=signer)
    return index


@dataclass
class World:
    """The example parties (plus any added), their keys, and an index of their verified statements."""

    keys: dict[str, SigningKey] = field(default_factory=lambda: {role: did_key_signer() for role in ROLES})
    index: InMemoryStatements = field(default_factory=InMemoryStatements)

    def did(self, role: str) -> str:
        """The DID playing ``role`` (a key is made for a new role)."""
        if role not in self.keys:
            self.keys[role] = did_key_signer()
        return did_of(self.keys[role])

    def sign(self, document: dict[str, Any], role: str | None = None) -> dict[str, Any]:
        """``document`` signed by its issuer's key (or by ``role``'s key, to forge)."""
        if role is not None:  # a forgery: issuer_credential would refuse a key its issuer does not control
            return sign(document, self.keys[role], suite="eddsa-jcs-2022")
        issuer = document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"]
        role = next(r for r in self.keys if self.did(r) == issuer)
        return issue_credential(document, self.keys[role], suite="eddsa-jcs-2022")

    async def publish(self, *documents: dict[str, Any], forged_by: str | None = None) -> None:
        """Sign (by the issuer, or forge with another role's key) and index statements."""
        await index_checked([self.sign(d, forged_by) for d in documents], self.index)

    def badge(self, key: str = "hk-cloud-data", *, issuer_role: str = "hk-provider", learner: str = LEARNER,
              credential_id: str = "urn:uuid:6a1d3c1e-0000-4000-8000-000000000001",
              valid_from: str = "2026-03-01T00:00:00Z", **changes: Any) -> dict[str, Any]:
        """An example micro-credential (unsigned); ``changes`` update its achievement."""
        badge = example_badge(key, issuer=self.did(issuer_role), learner_id=learner, credential_id=credential_id,
                              valid_from=valid_from)
        badge["credentialSubject"]["achievement"].update(changes)
        return badge


async def example_world() -> World:
    """The bundled example statements, signed by their parties and indexed."""
    world = World()
    await index_checked(example_statements(world.keys, suite="eddsa-jcs-2022"), world.index)
    return world
