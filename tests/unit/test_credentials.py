"""Credentials and presentations: the 1EdTech Open Badges 3.0 samples, issuing, and presentations."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from did_methods.key import KeyDriver
from tests.builders import badge, did_key_signer
from vcnode.credentials import (
    InvalidCredential,
    VerifyOptions,
    create_presentation,
    issue_credential,
    sign,
    verify_credential,
    verify_presentation,
)
from vcnode.credentials.derive import derive_credential
from vcnode.did.resolver import Resolver
from vcnode.proofs import SUITES
from vcnode.proofs.sd_suite import SelectiveDisclosureSuite

# Samples that are self-contained (did:key or the key in the verification method id) and valid.
VALID = ["simple.json", "complete.json", "simple-context-alias.json", "simple-context-version.json",
         "simple-did-web-method.json", "simple-eddsa-2022.json", "simple-multiple-proofs.json", "simple_v1.json",
         "endorsement-valid.json"]
# Each invalid sample and the reason it must be rejected for.
INVALID = {
    "simple-err-context.json": "invalidContext",
    "simple-err-credential-subject-achievement-result-description-type.json": "invalidResultDescription",
    "simple-err-credential-subject-identifier-type.json": "invalidIdentityObject",
    "simple-err-credential-subject-profile-type.json": "invalidProfile",
    "simple-err-credential-subject-result-type.json": "invalidResult",
    "simple-err-credential-subject-type.json": "invalidAchievementSubject",
    "simple-err-evidence-type.json": "invalidEvidence",
    "simple-err-expired.json": "expired",
    "simple-err-issued.json": "notYetValid",
    "simple-err-issuer-otheridentifier-type.json": "invalidIdentifierEntry",
    "simple-err-issuer-parentorg-type.json": "invalidProfile",
    "simple-err-issuer-type.json": "invalidProfile",
    "simple-err-issuer.json": "invalidIssuer",
    "simple-err-proof-method-no-scheme.json": "invalidVerificationMethod",
    "simple-err-proof-method-unknown-did-method.json": "verificationMethodNotFound",
    "simple-err-proof-method-unknown-scheme.json": "verificationMethodNotFound",
    "simple-err-proof-method.json": "invalidPublicKey",
    "simple-err-proof-value.json": "invalidSignature",
    "simple-err-type.json": "invalidType",
    "simple-noproof.json": "noProof",
    # Signed by a did:key, but the issuer is urn:uuid:…: authentic, not bound to its issuer.
    "simple-did-key-method.json": "issuerMismatch",
}
OPTIONS = VerifyOptions(allow_embedded_keys=True)


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


@pytest.mark.parametrize("name", VALID)
async def test_valid_open_badges_samples_verify(vectors: Path, resolver: Resolver, name: str) -> None:
    report = (await verify_credential(json.loads((vectors / "ob3" / name).read_text()), resolver, OPTIONS)).to_json()
    assert report["verified"], report["errors"]
    assert report["errors"] == [] and "proof" in report["checks"]


@pytest.mark.parametrize(("name", "reason"), sorted(INVALID.items()))
async def test_each_invalid_sample_is_rejected_for_its_own_reason(vectors: Path, resolver: Resolver, name: str,
                                                                  reason: str) -> None:
    report = (await verify_credential(json.loads((vectors / "ob3" / name).read_text()), resolver, OPTIONS)).to_json()
    assert not report["verified"]
    assert reason in [error["code"] for error in report["errors"]], report["errors"]


async def test_embedded_keys_are_refused_unless_allowed(vectors: Path, resolver: Resolver) -> None:
    sample = json.loads((vectors / "ob3" / "simple.json").read_text())
    strict = (await verify_credential(sample, resolver)).to_json()
    assert not strict["verified"] and strict["errors"][0]["code"] == "verificationMethodNotFound"
    lenient = (await verify_credential(sample, resolver, OPTIONS)).to_json()
    assert lenient["verified"] and lenient["warnings"][0]["code"] == "keyNotResolved"


def _clr(vectors: Path, name: str) -> dict:
    return json.loads((vectors / "clr2" / name).read_text())


async def test_a_clr_record_verifies_with_every_credential_it_carries(vectors: Path, resolver: Resolver) -> None:
    report = (await verify_credential(_clr(vectors, "simple.json"), resolver, OPTIONS)).to_json()
    assert report["verified"], report["errors"]
    [inner] = report["results"]["credentials"]["credentials"]
    assert inner["verified"] and inner["results"]["proof"]["proofs"][0]["verified"]


async def test_a_tampered_credential_inside_a_clr_fails_the_record(vectors: Path, resolver: Resolver) -> None:
    record = _clr(vectors, "simple.json")
    record["credentialSubject"]["verifiableCredential"][0]["name"] = "Leadership Badge"
    report = (await verify_credential(record, resolver, OPTIONS)).to_json()
    # The record's own proof covers what it carries, so both fail.
    assert [e["code"] for e in report["errors"]] == ["invalidSignature", "credentialNotVerified"]
    [inner] = report["results"]["credentials"]["credentials"]
    assert inner["errors"][0]["code"] == "invalidSignature"


@pytest.mark.parametrize("name", ["complex.json", "simple_v1.json"])
async def test_clr_samples_signed_by_a_key_not_their_issuers_are_authentic_but_unbound(
        vectors: Path, resolver: Resolver, name: str) -> None:
    # Every signature in these samples is good; the embedded badges are signed by a did:key while naming
    # an https issuer, so they are not bound to that issuer.
    report = (await verify_credential(_clr(vectors, name), resolver, OPTIONS)).to_json()
    assert not report["verified"]
    inner = report["results"]["credentials"]["credentials"]
    assert all(p["verified"] for c in inner for p in c["results"]["proof"]["proofs"])
    assert {e["code"] for c in inner for e in c["errors"]} == {"issuerMismatch"}


@pytest.mark.parametrize(("name", "reason"), [("simple-noproof.json", "noProof"),
                                              ("simple_old_safesigned.json", "unknownContext")])
async def test_invalid_clr_samples_are_rejected_for_their_reason(vectors: Path, resolver: Resolver, name: str,
                                                                 reason: str) -> None:
    report = (await verify_credential(_clr(vectors, name), resolver, OPTIONS)).to_json()
    assert reason in [e["code"] for e in report["errors"]], report["errors"]


async def test_a_clr_must_have_a_clr_subject_carrying_credentials(vectors: Path, resolver: Resolver) -> None:
    record = _clr(vectors, "simple.json")
    record["credentialSubject"]["verifiableCredential"] = []
    report = (await verify_credential(record, resolver, OPTIONS)).to_json()
    assert report["errors"][0]["code"] == "invalidClrSubject"
    record["credentialSubject"]["type"] = ["AchievementSubject"]
    report = (await verify_credential(record, resolver, OPTIONS)).to_json()
    assert report["errors"][0]["code"] == "invalidClrSubject"


# bbs-2023 signs with BLS12-381 keys, which are not Signers: its round trip is in tests/unit/test_bbs_2023.py.
@pytest.mark.parametrize("suite", [name for name in SUITES if name != "bbs-2023"])
async def test_issue_then_verify_round_trip(resolver: Resolver, suite: str) -> None:
    signer = did_key_signer("P-256" if "P-256" in SUITES[suite].key_types else "Ed25519")
    did = signer.verification_method.split("#")[0]
    signed = issue_credential(badge(did), signer, suite=suite)
    if isinstance(SUITES[suite], SelectiveDisclosureSuite):  # verifiers take what the holder derives
        signed = derive_credential(signed, ["/credentialSubject"])
    report = (await verify_credential(signed, resolver)).to_json()
    assert report["verified"], report["errors"]
    assert report["results"]["issuer"]["issuer"] == did
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Data Analytics"
    # A tampered disclosed field of a derived proof is a disclosure its signature does not cover.
    expected = "invalidDisclosure" if isinstance(SUITES[suite], SelectiveDisclosureSuite) else "invalidSignature"
    assert (await verify_credential(tampered, resolver)).to_json()["errors"][0]["code"] == expected


async def test_issuing_checks_the_data_model_and_the_issuer() -> None:
    signer = did_key_signer()
    did = signer.verification_method.split("#")[0]
    broken = badge(did)
    broken["credentialSubject"]["type"] = ["Learner"]
    with pytest.raises(InvalidCredential) as invalid:
        issue_credential(broken, signer)
    assert invalid.value.extra["errors"][0]["code"] == "invalidAchievementSubject"
    with pytest.raises(Exception) as foreign:
        issue_credential(badge("did:example:someone-else"), signer)
    assert getattr(foreign.value, "code", None) == "issuerMismatch"
    undefined = badge(did)
    undefined["credentialSubject"]["favouriteColour"] = "teal"
    with pytest.raises(Exception) as dropped:
        issue_credential(undefined, signer)
    assert getattr(dropped.value, "code", None) == "undefinedTerm"


async def test_presentation_round_trip_and_holder_binding(resolver: Resolver) -> None:
    issuer, holder, stranger = did_key_signer(), did_key_signer(), did_key_signer()
    awarded = badge(issuer.verification_method.split("#")[0])
    awarded["credentialSubject"]["id"] = holder.verification_method.split("#")[0]
    credential = issue_credential(awarded, issuer)
    presentation = create_presentation([credential], holder, challenge="c-123", domain="employer.example")
    options = VerifyOptions(challenge="c-123", domain="employer.example")
    report = (await verify_presentation(presentation, resolver, options)).to_json()
    assert report["verified"], report["errors"]
    assert report["results"]["credentials"]["credentials"][0]["verified"]
    wrong_challenge = (await verify_presentation(presentation, resolver, VerifyOptions(challenge="other"))).to_json()
    assert wrong_challenge["errors"][0]["code"] == "challengeMismatch"
    # Signed by someone other than the holder it names.
    forged = create_presentation([credential], stranger, challenge="c-123", domain="employer.example")
    forged = {**forged, "holder": holder.verification_method.split("#")[0]}
    codes = [e["code"] for e in (await verify_presentation(forged, resolver, options)).to_json()["errors"]]
    assert "controllerMismatch" in codes or "invalidSignature" in codes
    # A tampered embedded credential fails the presentation.
    bad = copy.deepcopy(credential)
    bad["name"] = "Something else"
    tampered = create_presentation([bad], holder, challenge="c-123", domain="employer.example")
    report = (await verify_presentation(tampered, resolver, options)).to_json()
    assert not report["verified"] and report["errors"][0]["code"] == "credentialNotVerified"


@pytest.mark.parametrize("junk", [None, 42, "text", [], {}, {"@context": 5}, {"@context": ["x"], "type": 1}])
async def test_junk_is_reported_not_raised(resolver: Resolver, junk: object) -> None:
    assert not (await verify_credential(junk, resolver)).verified
    assert not (await verify_presentation(junk, resolver)).verified


V1_CREDENTIAL = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
                 "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:learner"}}


@pytest.mark.parametrize(("suite", "added"), [
    ("eddsa-rdfc-2022", "https://w3id.org/security/data-integrity/v2"),
    ("eddsa-jcs-2022", "https://w3id.org/security/data-integrity/v2"),
    ("Ed25519Signature2020", "https://w3id.org/security/suites/ed25519-2020/v1")])
async def test_the_suite_context_is_added_when_missing(resolver: Resolver, suite: str, added: str) -> None:
    signer = did_key_signer()
    signed = issue_credential({**V1_CREDENTIAL, "issuer": signer.verification_method.split("#")[0]}, signer,
                              suite=suite)
    assert signed["@context"][-1] == added
    assert (await verify_credential(signed, resolver)).verified
    v2 = issue_credential(badge(signer.verification_method.split("#")[0]), signer)
    assert "https://w3id.org/security/data-integrity/v2" not in v2["@context"]  # VC 2.0 defines it


async def test_requested_checks_limit_what_is_checked(resolver: Resolver) -> None:
    signer, other = did_key_signer(), did_key_signer()
    credential = {**badge(other.verification_method.split("#")[0])}
    signed = sign(credential, signer)  # signed by a key its issuer does not control
    full = (await verify_credential(signed, resolver)).to_json()
    assert full["errors"][0]["code"] == "issuerMismatch"
    proof_only = (await verify_credential(signed, resolver, VerifyOptions(checks=frozenset({"proof"})))).to_json()
    assert proof_only["verified"] and "issuer" not in proof_only["checks"]


async def test_a_presentation_without_holder_is_verified_with_a_warning(resolver: Resolver) -> None:
    holder = did_key_signer()
    presentation = create_presentation([], holder, challenge="c")
    presentation.pop("holder")
    resigned = sign({k: v for k, v in presentation.items() if k != "proof"}, holder, purpose="authentication",
                    challenge="c")
    report = (await verify_presentation(resigned, resolver, VerifyOptions(challenge="c"))).to_json()
    assert report["verified"] and report["warnings"][0]["code"] == "holderNotNamed"


@pytest.mark.parametrize("related", [["https://www.w3.org/ns/credentials/v2"], [{"id": "https://a.example/x"}],
                                     [{"id": "https://a.example/x", "digestSRI": "sha384-abc"},
                                      {"id": "https://a.example/x", "digestSRI": "sha384-abc"}]])
async def test_related_resource_rules(resolver: Resolver, related: list) -> None:
    signer = did_key_signer()
    with pytest.raises(InvalidCredential) as invalid:
        issue_credential({**badge(signer.verification_method.split("#")[0]), "relatedResource": related}, signer)
    assert invalid.value.extra["errors"][0]["code"] == "invalidRelatedResource"


def test_malformed_context_is_a_422_not_a_crash() -> None:
    from vcnode.jsonld import canonicalize_rdfc
    from vcnode.jsonld.canonical import CanonicalizationError

    with pytest.raises(CanonicalizationError):
        canonicalize_rdfc({"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": None}],
                           "type": ["VerifiableCredential", "ExampleTestCredential"]})
