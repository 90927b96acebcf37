"""Interop with Digital Bazaar's @digitalbazaar/vc and eddsa / Ed25519Signature2020 suites (npm), both ways
(ecdsa-jcs-2019: test_ecdsa.py).

tests/interop/dbvc.mjs runs their libraries with a static document loader built from vcnode's pinned
contexts, so both sides see exactly the same contexts and neither fetches anything.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import badge
from tests.builders import did_key_signer as signer
from tests.interop.harness import run_harness, tampered
from vcnode.credentials import VerifyOptions, create_presentation, issue_credential, sign, verify_credential
from vcnode.credentials import verify_presentation as vcnode_verify_presentation
from vcnode.did.resolver import Resolver
from vcnode.proofs import SUITES as ALL_SUITES

pytestmark = pytest.mark.interop
#: The suites of Ed25519 keys (ecdsa-jcs-2019, of P-256 keys: test_ecdsa.py).
SUITES = {name: suite for name, suite in ALL_SUITES.items() if "Ed25519" in suite.key_types}


def digital_bazaar(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run jobs through Digital Bazaar's libraries (see dbvc.mjs)."""
    return run_harness("dbvc.mjs", jobs)


def test_digital_bazaar_verifies_what_vcnode_issued_and_rejects_tampering() -> None:
    key = signer()
    issuer = key.verification_method.split("#")[0]
    issued = [issue_credential(badge(issuer), key, suite=suite) for suite in SUITES]
    results = digital_bazaar([{"op": "verify", "credential": c} for c in issued]
                             + [{"op": "verify", "credential": tampered(c)} for c in issued])
    assert [r["verified"] for r in results[:3]] == [True, True, True], results[:3]
    assert [r["verified"] for r in results[3:]] == [False, False, False], results[3:]


async def test_vcnode_verifies_what_digital_bazaar_signed_and_rejects_tampering(resolver: Resolver) -> None:
    key = signer()
    issuer = key.verification_method.split("#")[0]
    signed = digital_bazaar([{"op": "sign", "suite": suite, "secretKeyMultibase": key.key_pair.secret_multikey,
                              "credential": badge(issuer)} for suite in SUITES])
    for suite, result in zip(SUITES, signed, strict=True):
        document = result["document"]
        report = (await verify_credential(document, resolver)).to_json()
        assert report["verified"], (suite, report["errors"])
        assert report["results"]["proof"]["proofs"][0]["type"] == SUITES[suite].proof_type
        bad = (await verify_credential(tampered(document), resolver)).to_json()
        assert bad["errors"][0]["code"] == "invalidSignature", (suite, bad["errors"])


def test_same_key_same_document_same_proof_byte_for_byte() -> None:
    """Ed25519 is deterministic: with the same key, credential and `created`, both produce identical proofs."""
    key = signer()
    issuer = key.verification_method.split("#")[0]
    theirs = digital_bazaar([{"op": "sign", "suite": suite, "secretKeyMultibase": key.key_pair.secret_multikey,
                              "credential": badge(issuer)} for suite in SUITES])
    for suite, result in zip(SUITES, theirs, strict=True):
        created = result["document"]["proof"]["created"]
        ours = sign(badge(issuer), key, suite=suite, created=created)
        assert json.dumps(ours, sort_keys=True) == json.dumps(result["document"], sort_keys=True), suite


async def test_presentations_both_ways(resolver: Resolver) -> None:
    issuer_key, holder_key = signer(), signer()
    holder = holder_key.verification_method.split("#")[0]
    awarded = badge(issuer_key.verification_method.split("#")[0])
    awarded["credentialSubject"]["id"] = holder  # the holder presents its own credential (holder binding)
    credential = issue_credential(awarded, issuer_key)
    ours = create_presentation([credential], holder_key, challenge="ch-1", domain="employer.example")
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                "holder": holder, "verifiableCredential": [credential]}
    results = digital_bazaar([
        {"op": "verifyPresentation", "presentation": ours, "challenge": "ch-1", "domain": "employer.example"},
        {"op": "verifyPresentation", "presentation": ours, "challenge": "other", "domain": "employer.example"},
        {"op": "signPresentation", "suite": "eddsa-rdfc-2022", "presentation": unsigned, "challenge": "ch-2",
         "domain": "employer.example", "secretKeyMultibase": holder_key.key_pair.secret_multikey},
    ])
    assert results[0]["verified"], results[0]
    assert not results[1]["verified"]
    theirs = results[2]["document"]
    options = VerifyOptions(challenge="ch-2", domain="employer.example")
    report = (await vcnode_verify_presentation(theirs, resolver, options)).to_json()
    assert report["verified"], report["errors"]
    wrong = (await vcnode_verify_presentation(theirs, resolver, VerifyOptions(challenge="nope"))).to_json()
    assert wrong["errors"][0]["code"] == "challengeMismatch"
