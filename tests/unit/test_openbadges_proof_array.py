"""Open Badges 3.0 credentials vcnode issues carry ``proof`` as an array, the shape 1EdTech's JSON schemas
(AchievementCredential, EndorsementCredential: ``"proof": {"type": "array", "items": {"$ref": "#/$defs/Proof"}}``)
accept; other VC 2.0 credentials keep one proof object. No copy of the 1EdTech schemas is available here (none in
the repository, its fixtures or node_modules), so the shape that schema checks is asserted. Verification, the
EUDI learning-credential mapping and a second proof accept both shapes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.builders import badge, did_key_signer
from vcnode.credentials import issue_credential, sign, verify_credential
from vcnode.did.resolver import Resolver
from vcnode.sdjwt.learning import learning_credential_claims

#: One proof per suite family and key type a node issues with.
CASES = [("Ed25519", "eddsa-rdfc-2022"), ("Ed25519", "eddsa-jcs-2022"), ("Ed25519", "Ed25519Signature2020"),
         ("P-256", "ecdsa-rdfc-2019"), ("P-384", "ecdsa-jcs-2019")]


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def did_of(key: Any) -> str:
    return key.verification_method.split("#")[0]


def assert_schema_proof_shape(credential: dict[str, Any]) -> None:
    """What the 1EdTech schema checks of ``proof``: an array of objects, each with a string ``type``."""
    assert isinstance(credential["proof"], list) and credential["proof"], credential.get("proof")
    assert all(isinstance(p, dict) and isinstance(p.get("type"), str) for p in credential["proof"])


@pytest.mark.parametrize(("key_type", "suite"), CASES)
async def test_an_issued_open_badge_carries_a_proof_array_and_verifies(resolver: Resolver, key_type: str,
                                                                       suite: str) -> None:
    key = did_key_signer(key_type)
    issued = issue_credential(badge(did_of(key)), key, suite=suite)
    assert_schema_proof_shape(issued)
    [proof] = issued["proof"]
    assert proof["verificationMethod"] == key.verification_method
    assert (await verify_credential(issued, resolver)).verified
    # The same proof as a single object (how others, and vcnode before, write it) verifies just as well.
    single = {**issued, "proof": proof}
    assert (await verify_credential(single, resolver)).verified
    tampered = copy.deepcopy(issued)
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    assert not (await verify_credential(tampered, resolver)).verified


@pytest.mark.parametrize("kind", ["AchievementCredential", "EndorsementCredential"])
async def test_every_open_badges_credential_type_gets_the_array(resolver: Resolver, kind: str) -> None:
    key = did_key_signer()
    credential = badge(did_of(key))
    credential["type"] = ["VerifiableCredential", kind]
    if kind == "EndorsementCredential":
        credential["credentialSubject"] = {"id": "https://hcp.example/achievements/daf",
                                           "type": ["EndorsementSubject"], "endorsementComment": "Well run."}
    issued = issue_credential(credential, key)
    assert_schema_proof_shape(issued)
    assert (await verify_credential(issued, resolver)).verified


async def test_other_credentials_keep_a_single_proof_object(resolver: Resolver) -> None:
    key = did_key_signer()
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": did_of(key), "credentialSubject": {"id": "did:example:learner"}}
    issued = issue_credential(credential, key)
    assert isinstance(issued["proof"], dict)
    assert (await verify_credential(issued, resolver)).verified


async def test_a_second_proof_joins_the_array_and_both_verify(resolver: Resolver) -> None:
    first, second = did_key_signer(), did_key_signer("P-384")
    issued = issue_credential(badge(did_of(first)), first)
    both = sign(issued, second, suite="ecdsa-rdfc-2019")
    assert [p["verificationMethod"] for p in both["proof"]] == [first.verification_method,
                                                                 second.verification_method]
    report = (await verify_credential(both, resolver)).to_json()
    assert len(report["results"]["proof"]["proofs"]) == 2 and all(
        p["verified"] for p in report["results"]["proof"]["proofs"]), report


def test_the_learning_credential_mapping_reads_either_shape() -> None:
    key = did_key_signer()
    issued = issue_credential(badge(did_of(key)), key)
    single = {**issued, "proof": issued["proof"][0]}
    assert learning_credential_claims(issued) == learning_credential_claims(single)
    assert learning_credential_claims(issued)["achievement_title"] == "Data Analytics Fundamentals"
