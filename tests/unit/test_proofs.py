"""The three Ed25519 cryptosuites against the W3C vectors; proof sets, chains and every named failure
(ecdsa-jcs-2019: test_ecdsa_jcs_2019.py)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.credentials.derive import derive_credential
from vcnode.did.resolver import Resolver
from vcnode.keys import multikey
from vcnode.keys.bls12381 import Bls12381G2KeyPair
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.proofs import SUITES, ProofError, suite_by_name, suite_for_proof
from vcnode.proofs.base import encode_proof_value
from vcnode.proofs.verify import ProofExpectations, verify_proofs

CASES = [("eddsa-rdfc-2022", "DataInt"), ("eddsa-jcs-2022", "JCS"), ("Ed25519Signature2020", "EdSig")]
ED25519_SUITES = [name for name, suite in SUITES.items() if "Ed25519" in suite.key_types]


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


@pytest.fixture(scope="module")
def vector_key(vectors: Path) -> Ed25519KeyPair:
    pair = json.loads((vectors / "vc-di-eddsa" / "keyPair.json").read_text())
    return Ed25519KeyPair.from_seed(multikey.decode(pair["privateKeyMultibase"]).raw)


def unsigned(vectors: Path, suite: str) -> dict[str, Any]:
    document = json.loads((vectors / "vc-di-eddsa" / "unsigned.json").read_text())
    if suite == "Ed25519Signature2020":
        document["@context"].append("https://w3id.org/security/suites/ed25519-2020/v1")
    return document


@pytest.mark.parametrize(("suite", "suffix"), CASES)
def test_create_reproduces_the_vector_byte_for_byte(vectors: Path, test_registry: Any,
                                                    vector_key: Ed25519KeyPair, suite: str, suffix: str) -> None:
    folder = vectors / "vc-di-eddsa" / suite
    config = json.loads((folder / f"proofConfig{suffix}.json").read_text())
    options = {k: v for k, v in config.items() if k not in ("@context", "type", "cryptosuite")}
    document = unsigned(vectors, suite)
    proof = SUITES[suite].create_proof(document, options, vector_key, test_registry)
    signed = json.loads((folder / f"signed{suffix}.json").read_text())
    assert proof == signed["proof"]
    hashed = SUITES[suite].hash_data(document, SUITES[suite].proof_configuration(proof, document), test_registry)
    assert hashed.hex() == (folder / f"combinedHash{suffix}.txt").read_text().strip()


@pytest.mark.parametrize(("suite", "suffix"), CASES)
async def test_signed_vectors_verify_and_tampering_is_caught(vectors: Path, test_registry: Any, resolver: Resolver,
                                                             suite: str, suffix: str) -> None:
    signed = json.loads((vectors / "vc-di-eddsa" / suite / f"signed{suffix}.json").read_text())
    [result] = await verify_proofs(signed, ProofExpectations(), resolver, test_registry)
    assert result.verified, result.error
    assert result.controller == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    [result] = await verify_proofs(tampered, ProofExpectations(), resolver, test_registry)
    assert result.error["code"] == "invalidSignature"


@pytest.mark.parametrize("name", ["signedProofSet1.json", "signedProofSet2.json", "signedProofChain1.json",
                                  "signedProofChain2.json"])
async def test_proof_sets_and_chains_verify(vectors: Path, test_registry: Any, resolver: Resolver, name: str) -> None:
    signed = json.loads((vectors / "vc-di-eddsa" / "proof-set-chain" / name).read_text())
    results = await verify_proofs(signed, ProofExpectations(), resolver, test_registry)
    expected = 1 if name.endswith("1.json") else 2
    assert len(results) >= expected and all(r.verified for r in results), [r.to_json() for r in results]


async def test_a_chained_proof_fails_when_a_covered_proof_is_removed(vectors: Path, test_registry: Any,
                                                                    resolver: Resolver) -> None:
    signed = json.loads((vectors / "vc-di-eddsa" / "proof-set-chain" / "signedProofChain2.json").read_text())
    signed["proof"] = [p for p in signed["proof"] if p.get("id") != "urn:uuid:26329423-bec9-4b2e-88cb-a7c7d9dc4544"]
    results = await verify_proofs(signed, ProofExpectations(), resolver, test_registry)
    assert "previousProofNotFound" in [r.error["code"] for r in results if r.error]


async def make_signed(suite: str = "eddsa-rdfc-2022", **options: Any) -> tuple[dict, Ed25519KeyPair | P256KeyPair]:
    key = P256KeyPair.generate() if "P-256" in SUITES[suite].key_types else Ed25519KeyPair.generate()
    if "Bls12381G2" in SUITES[suite].key_types:  # bbs-2023
        key = Bls12381G2KeyPair.generate()  # type: ignore[assignment]
    did = f"did:key:{key.public_multikey}"
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": did, "credentialSubject": {"id": "did:example:learner"}}
    if suite == "Ed25519Signature2020":
        document["@context"].append("https://w3id.org/security/suites/ed25519-2020/v1")
    defaults = {"verificationMethod": f"{did}#{key.public_multikey}", "proofPurpose": "assertionMethod",
                "created": "2026-01-01T00:00:00Z"}
    proof = suite_by_name(suite).create_proof(document, {**defaults, **options}, key)
    return {**document, "proof": proof}, key


async def first_error(document: dict, resolver: Resolver, **expect: Any) -> str | None:
    [result] = await verify_proofs(document, ProofExpectations(**expect), resolver)
    return result.error["code"] if result.error else None


@pytest.mark.parametrize("suite", list(SUITES))
async def test_round_trip_for_every_suite(resolver: Resolver, suite: str) -> None:
    document, _ = await make_signed(suite)
    if suite in ("ecdsa-sd-2023", "bbs-2023"):  # selective disclosure: verifiers take derived proofs only
        assert await first_error(document, resolver) == "baseProofNotVerifiable"
        document = derive_credential(document, ["/credentialSubject"])
    assert await first_error(document, resolver) is None


async def test_named_failures(resolver: Resolver) -> None:
    document, _ = await make_signed()
    assert await first_error(document, resolver, purpose="authentication") == "proofPurposeMismatch"
    assert await first_error({**document, "proof": {**document["proof"], "cryptosuite": "rot13-2022"}},
                             resolver) == "unknownCryptosuite"
    assert await first_error({**document, "proof": {**document["proof"], "type": "Foo"}}, resolver) \
        == "unknownProofType"
    for bad in ("not-multibase", "zzzz", "z" + "1" * 10, 42):
        assert await first_error({**document, "proof": {**document["proof"], "proofValue": bad}}, resolver) \
            == "malformedProofValue"
    assert await first_error({k: v for k, v in document.items() if k != "proof"}, resolver) == "noProof"
    assert await first_error({**document, "proof": "nope"}, resolver) == "malformedProof"
    other, _ = await make_signed()
    swapped = {**document, "proof": {**document["proof"], "verificationMethod":
                                     other["proof"]["verificationMethod"]}}
    assert await first_error(swapped, resolver) == "invalidSignature"
    assert await first_error(document, resolver, controller="did:example:someone-else") == "controllerMismatch"
    unknown = {**document, "proof": {**document["proof"], "verificationMethod": "https://x.example/keys#1"}}
    assert await first_error(unknown, resolver) == "verificationMethodNotFound"
    missing = {**document, "proof": {**document["proof"], "verificationMethod":
                                     document["proof"]["verificationMethod"] + "x"}}
    assert await first_error(missing, resolver) == "verificationMethodNotFound"


async def test_wrong_key_type(resolver: Resolver) -> None:
    document, _ = await make_signed()
    p256 = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
    wrong = {**document, "proof": {**document["proof"], "verificationMethod": f"{p256}#{p256[8:]}"}}
    assert await first_error(wrong, resolver) == "wrongKeyType"


@pytest.mark.parametrize("suite", ED25519_SUITES)
def test_ed25519_suites_refuse_a_p256_signer(suite: str) -> None:
    key = P256KeyPair.generate()
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/suites/ed25519-2020/v1"],
                "type": ["VerifiableCredential"], "issuer": f"did:key:{key.public_multikey}",
                "credentialSubject": {"id": "did:example:learner"}}
    options = {"verificationMethod": f"did:key:{key.public_multikey}#{key.public_multikey}",
               "proofPurpose": "assertionMethod", "created": "2026-01-01T00:00:00Z"}
    with pytest.raises(ProofError) as refused:
        suite_by_name(suite).create_proof(document, options, key)
    assert refused.value.code == "keyTypeMismatch" and refused.value.status == 400


async def test_a_p256_signature_in_an_eddsa_proof_is_a_wrong_key_type(resolver: Resolver) -> None:
    """An eddsa proof whose verification method is a P-256 key is refused before any signature check, even when
    the proofValue is a valid ES256 signature over the hashed data."""
    key = P256KeyPair.generate()
    did = f"did:key:{key.public_multikey}"
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": did, "credentialSubject": {"id": "did:example:learner"}}
    suite = suite_by_name("eddsa-jcs-2022")
    proof = {**suite.proof_fields(), "verificationMethod": f"{did}#{key.public_multikey}",
             "proofPurpose": "assertionMethod", "created": "2026-01-01T00:00:00Z"}
    signature = key.sign(suite.hash_data(document, suite.proof_configuration(proof, document), None))
    signed = {**document, "proof": {**suite.stored_proof(proof, suite.proof_configuration(proof, document)),
                                    "proofValue": encode_proof_value(signature)}}
    assert await first_error(signed, resolver) == "wrongKeyType"


async def test_time_checks(resolver: Resolver) -> None:
    expired, _ = await make_signed(expires="2026-02-01T00:00:00Z")
    assert await first_error(expired, resolver, now=datetime(2026, 3, 1, tzinfo=UTC)) == "proofExpired"
    assert await first_error(expired, resolver, now=datetime(2026, 1, 15, tzinfo=UTC)) is None
    future, _ = await make_signed(created="2099-01-01T00:00:00Z")
    assert await first_error(future, resolver) == "proofNotYetValid"
    garbage, _ = await make_signed(created="yesterday")
    assert await first_error(garbage, resolver) == "malformedProof"


async def test_challenge_and_domain(resolver: Resolver) -> None:
    document, _ = await make_signed(proofPurpose="authentication", challenge="abc", domain="verifier.example")
    ok = {"purpose": "authentication", "challenge": "abc", "domain": "verifier.example"}
    assert await first_error(document, resolver, **ok) is None
    assert await first_error(document, resolver, **{**ok, "challenge": "xyz"}) == "challengeMismatch"
    assert await first_error(document, resolver, **{**ok, "domain": "evil.example"}) == "domainMismatch"


async def test_jcs_context_must_prefix_the_document_context(resolver: Resolver) -> None:
    document, _ = await make_signed("eddsa-jcs-2022")
    changed = {**document, "@context": ["https://www.w3.org/2018/credentials/v1"]}
    assert await first_error(changed, resolver) == "contextMismatch"


async def test_old_open_badges_spelling_is_accepted_on_input() -> None:
    assert suite_for_proof({"type": "DataIntegrityProof", "cryptosuite": "eddsa-2022"}).name == "eddsa-rdfc-2022"
    assert suite_for_proof({"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdf-2022"}).name == \
        "eddsa-rdfc-2022"
    with pytest.raises(ProofError) as unknown:
        suite_by_name("eddsa-2022")  # accepted on input only, never used to create
    assert unknown.value.code == "unknownCryptosuite"
