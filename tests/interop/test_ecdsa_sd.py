"""ecdsa-sd-2023 interop with Digital Bazaar's @digitalbazaar/ecdsa-sd-2023-cryptosuite 3.4.1 (npm, through
tests/interop/dbvc.mjs), both ways: base proofs made by one side, proofs derived by either, verified by both."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.builders import badge
from tests.builders import did_key_signer as signer
from tests.interop.harness import run_harness
from vcnode.credentials import issue_credential, verify_credential
from vcnode.credentials.derive import derive_credential
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey

pytestmark = pytest.mark.interop
SUITE = "ecdsa-sd-2023"
MANDATORY = ["/issuer", "/validFrom"]
REVEAL = ["/credentialSubject/achievement"]


def digital_bazaar(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run jobs through Digital Bazaar's libraries (see dbvc.mjs)."""
    results = run_harness("dbvc.mjs", jobs)
    for result in results:
        assert "document" in result or "verified" in result, result
    return results


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#")[0]


def learner_badge(key: SigningKey) -> dict[str, Any]:
    """An OB 3.0 badge with a grade the learner will hide."""
    credential = badge(did_of(key))
    credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": "B+"}]
    credential["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": f"Outcome {n}", "targetUrl": f"https://hcp.example/outcomes/{n}"}
        for n in range(3)]
    return credential


async def _verified(document: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    return (await verify_credential(document, resolver)).to_json()


async def test_digital_bazaar_base_proof_vcnode_derives_digital_bazaar_and_vcnode_verify(resolver: Resolver) -> None:
    key = signer("P-256")
    [signed] = digital_bazaar([{"op": "sign", "suite": SUITE, "credential": learner_badge(key),
                                "mandatoryPointers": MANDATORY, "secretKeyMultibase": key.signer.secret_multikey,
                                "publicKeyMultibase": key.signer.public_multikey}])
    theirs = signed["document"]
    assert theirs["proof"]["proofValue"].startswith("u2V0A")  # a base proof (d9 5d 00)
    derived = derive_credential(theirs, REVEAL)
    assert "result" not in derived["credentialSubject"]
    assert derived["credentialSubject"]["achievement"] == theirs["credentialSubject"]["achievement"]
    tampered = copy.deepcopy(derived)
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Data Privacy"
    mandatory_changed = copy.deepcopy(derived)
    mandatory_changed["validFrom"] = "2020-01-01T00:00:00Z"
    results = digital_bazaar([{"op": "verify", "credential": doc} for doc in (derived, tampered, mandatory_changed)])
    assert [r["verified"] for r in results] == [True, False, False], results
    report = await _verified(derived, resolver)
    assert report["verified"], report["errors"]
    assert (await _verified(tampered, resolver))["errors"][0]["code"] == "invalidDisclosure"
    assert (await _verified(mandatory_changed, resolver))["errors"][0]["code"] == "invalidSignature"


async def test_vcnode_base_proof_digital_bazaar_derives_vcnode_verifies(resolver: Resolver) -> None:
    key = signer("P-256")
    ours = issue_credential(learner_badge(key), key, suite=SUITE, mandatory_pointers=MANDATORY)
    [proof] = ours["proof"]  # an Open Badges credential: proof as an array, as 1EdTech's schema wants
    assert proof["cryptosuite"] == SUITE and proof["proofValue"].startswith("u2V0A")
    # Selections through arrays (elements left out, the rest compacted) and blank nodes: both sides derive the
    # same bytes from one base proof.
    sparse = ["/credentialSubject/achievement/alignment/2/targetName", "/credentialSubject/result/0/value"]
    derived, through_arrays = digital_bazaar([{"op": "derive", "credential": ours, "selectivePointers": pointers}
                                              for pointers in (REVEAL, sparse)])
    assert derive_credential(ours, sparse) == through_arrays["document"]
    assert through_arrays["document"]["credentialSubject"]["achievement"]["alignment"] == [
        {"type": ["Alignment"], "targetName": "Outcome 2"}]
    assert (await _verified(through_arrays["document"], resolver))["results"]["proof"]["verified"]
    theirs = derived["document"]
    assert "result" not in theirs["credentialSubject"] and theirs["validFrom"] == ours["validFrom"]
    report = await _verified(theirs, resolver)
    assert report["verified"], report["errors"]
    # The same derivation made by vcnode is byte-identical: derivation is deterministic.
    assert derive_credential(ours, REVEAL) == theirs
    base = await _verified(ours, resolver)
    assert base["errors"][0]["code"] == "baseProofNotVerifiable", base["errors"]


async def test_vcnode_derived_proofs_verify_with_digital_bazaar(resolver: Resolver) -> None:
    key = signer("P-256")
    ours = issue_credential(learner_badge(key), key, suite=SUITE)  # default mandatory pointers
    reveals = [REVEAL, ["/credentialSubject/result/0/value"], ["/credentialSubject/id"],
               ["/name", "/credentialSubject/achievement/name"]]
    derived = [derive_credential(ours, reveal) for reveal in reveals]
    results = digital_bazaar([{"op": "verify", "credential": doc} for doc in derived])
    assert all(r["verified"] for r in results), results
    for doc in derived:  # the proof verifies; an Open Badge hiding its achievement fails the OB checks only
        report = await _verified(doc, resolver)
        [proof] = report["results"]["proof"]["proofs"]
        assert proof["verified"], report["errors"]
        assert report["verified"] or {e["check"] for e in report["errors"]} == {"openBadges"}, report["errors"]
