"""ecdsa-jcs-2019 and ecdsa-rdfc-2019 interop with Digital Bazaar's @digitalbazaar/ecdsa-jcs-2019-cryptosuite,
ecdsa-rdfc-2019-cryptosuite and ecdsa-multikey (npm, through tests/interop/dbvc.mjs), both ways, with P-256
(``zDn…``, SHA-256, ES256) and P-384 (``z82…``, SHA-384, ES384) did:key issuers."""

from __future__ import annotations

import copy
from typing import Any

import base58
import pytest

from tests.builders import badge
from tests.builders import did_key_signer as signer
from tests.interop.harness import run_harness, tampered
from vcnode.credentials import issue_credential, verify_credential
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey

#: Each ECDSA suite, and the EdDSA suite of the same canonicalization that its proofs are relabelled as.
RELABELLED = {"ecdsa-jcs-2019": "eddsa-jcs-2022", "ecdsa-rdfc-2019": "eddsa-rdfc-2022"}
#: The key types both suites sign with, and the did:key prefix of each.
KEY_TYPES = {"P-256": "did:key:zDn", "P-384": "did:key:z82"}
pytestmark = [pytest.mark.interop, pytest.mark.parametrize("suite", sorted(RELABELLED)),
              pytest.mark.parametrize("key_type", sorted(KEY_TYPES))]


#: Bytes of an ``r ‖ s`` signature per curve.
SIGNATURE_SIZES = {"P-256": 64, "P-384": 96}


def digital_bazaar(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run jobs through Digital Bazaar's libraries (see dbvc.mjs)."""
    return run_harness("dbvc.mjs", jobs)


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#")[0]


def test_digital_bazaar_verifies_what_vcnode_signed_and_refuses_tampering(suite: str, key_type: str) -> None:
    key = signer(key_type)
    assert did_of(key).startswith(KEY_TYPES[key_type])
    ours = issue_credential(badge(did_of(key)), key, suite=suite)
    assert isinstance(ours["proof"], list)  # an Open Badge: a proof array, which Digital Bazaar reads too
    relabelled = copy.deepcopy(ours)  # the same ECDSA signature presented as an eddsa proof
    relabelled["proof"][0]["cryptosuite"] = RELABELLED[suite]
    other_key = copy.deepcopy(ours)  # the signature checked against another key of the same curve
    other = signer(key_type).verification_method
    other_key["proof"][0]["verificationMethod"] = other
    results = digital_bazaar([{"op": "verify", "credential": document}
                              for document in (ours, tampered(ours), relabelled, other_key)])
    assert results[0]["verified"], results[0]
    assert [r["verified"] for r in results[1:]] == [False, False, False], results[1:]
    assert [results[1]["error"], results[3]["error"]] == ["Invalid signature."] * 2, results


async def test_vcnode_verifies_what_digital_bazaar_signed_and_refuses_tampering(
        resolver: Resolver, suite: str, key_type: str) -> None:
    key = signer(key_type)
    [result] = digital_bazaar([{"op": "sign", "suite": suite, "credential": badge(did_of(key)),
                                "secretKeyMultibase": key.signer.secret_multikey,
                                "publicKeyMultibase": key.signer.public_multikey}])
    theirs = result["document"]
    assert theirs["proof"]["cryptosuite"] == suite and theirs["proof"]["verificationMethod"] == \
        key.verification_method
    assert len(base58.b58decode(theirs["proof"]["proofValue"][1:])) == SIGNATURE_SIZES[key_type]
    report = (await verify_credential(theirs, resolver)).to_json()
    assert report["verified"], report["errors"]
    [proof] = report["results"]["proof"]["proofs"]
    assert (proof["cryptosuite"], proof["controller"]) == (suite, did_of(key))
    bad = (await verify_credential(tampered(theirs), resolver)).to_json()
    assert bad["errors"][0]["code"] == "invalidSignature", bad["errors"]
    relabelled = copy.deepcopy(theirs)
    relabelled["proof"]["cryptosuite"] = RELABELLED[suite]
    wrong = (await verify_credential(relabelled, resolver)).to_json()
    assert wrong["errors"][0]["code"] == "wrongKeyType", wrong["errors"]


async def test_each_side_signs_and_the_other_verifies_the_same_credential(resolver: Resolver, suite: str,
                                                                         key_type: str) -> None:
    """Signed by both with one key over one credential: ECDSA is randomised, so the proofs differ, yet each
    side verifies both."""
    key = signer(key_type)
    credential = badge(did_of(key))
    ours = issue_credential(credential, key, suite=suite)
    [signed] = digital_bazaar([{"op": "sign", "suite": suite, "credential": credential,
                                "secretKeyMultibase": key.signer.secret_multikey,
                                "publicKeyMultibase": key.signer.public_multikey}])
    theirs = signed["document"]
    assert ours["proof"][0]["proofValue"] != theirs["proof"]["proofValue"]
    assert [r["verified"] for r in digital_bazaar([{"op": "verify", "credential": d} for d in (ours, theirs)])] \
        == [True, True]
    for document in (ours, theirs):
        assert (await verify_credential(document, resolver)).verified


def rich_badge(issuer: str, n: int) -> dict[str, Any]:
    """A badge with several blank nodes (criteria, results, alignments) whose canonical labels depend on the hash
    RDFC-1.0 runs with: SHA-384 for a P-384 key (vc-di-ecdsa §2.3), which orders them differently than SHA-256
    for most such documents."""
    credential = badge(issuer, f"urn:uuid:00000000-0000-4000-8000-{n:012d}")
    credential["credentialSubject"]["id"] = f"did:example:learner-{n}"
    credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": grade} for grade in ("B+", f"{n}")]
    credential["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": f"EQF level {level}", "targetUrl": f"https://eqf.example/{level}",
         "targetFramework": "EQF"} for level in (4, 5)]
    return credential


async def test_documents_with_many_blank_nodes_both_ways(resolver: Resolver, suite: str, key_type: str) -> None:
    """Eight badges with several blank nodes each, signed by each side and verified by the other: with a P-384
    key, ecdsa-rdfc-2019 canonicalizes with SHA-384 as its RDFC-1.0 hash, so the blank node labels (and the
    signature) are Digital Bazaar's only when vcnode labels with the same hash."""
    key = signer(key_type)
    credentials = [rich_badge(did_of(key), n) for n in range(8)]
    ours = [issue_credential(credential, key, suite=suite) for credential in credentials]
    assert [r["verified"] for r in digital_bazaar([{"op": "verify", "credential": d} for d in ours])] == [True] * 8
    theirs = digital_bazaar([{"op": "sign", "suite": suite, "credential": credential,
                              "secretKeyMultibase": key.signer.secret_multikey,
                              "publicKeyMultibase": key.signer.public_multikey} for credential in credentials])
    reports = [(await verify_credential(signed["document"], resolver)).to_json() for signed in theirs]
    assert all(report["verified"] for report in reports), [report["errors"] for report in reports]
