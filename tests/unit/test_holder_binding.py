"""Holder binding: the pure rule (``bind_holder``) and what it does to a presentation's report."""

from __future__ import annotations

from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.builders import badge, did_key_signer
from vcnode.credentials import VerifyOptions, create_presentation, issue_credential, sign, verify_presentation
from vcnode.credentials.holder import bind_holder, subject_ids
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey

ALICE = "did:example:alice"


def about(*subjects: Any) -> dict[str, Any]:
    return {"type": ["VerifiableCredential"], "credentialSubject": list(subjects) if len(subjects) != 1
            else subjects[0]}


@pytest.mark.parametrize(("credential", "holder"), [
    (about({"id": ALICE}), ALICE),
    (about({"id": f"{ALICE}#key-1"}), ALICE),                      # a DID URL of the holder's DID
    (about({"id": f"{ALICE}/profile"}), ALICE),
    (about({"id": f"{ALICE}?service=files"}), ALICE),
    (about({"id": "did:example:bob"}, {"id": ALICE}), ALICE),      # several subjects: one is enough
    (about({"id": "https://alice.example/me"}), "https://alice.example/me"),  # not a DID: equal only
])
def test_a_subject_that_is_the_proven_holder_passes(credential: dict[str, Any], holder: str) -> None:
    binding = bind_holder(credential, holder, holder_proven=True)
    assert binding.outcome == "passed" and binding.code is None and binding.subject is not None


@pytest.mark.parametrize(("credential", "holder"), [
    (about({"id": "did:example:bob"}), ALICE),
    (about({"id": f"{ALICE}x"}), ALICE),                          # a longer DID is another DID
    (about({"id": "did:example:bob#alice"}), ALICE),
    (about({"id": f"{ALICE}#key-1"}), f"{ALICE}#key-2"),           # the holder is a DID URL: equal only
    (about({"id": "https://alice.example/me#x"}), "https://alice.example/me"),
    (about({"id": "did:example:bob"}, {"id": "did:example:carol"}), ALICE),
    (about({"id": ALICE}), None),                                  # no holder named
])
def test_no_subject_is_the_holder_is_a_mismatch(credential: dict[str, Any], holder: str | None) -> None:
    for proven in (True, False):
        binding = bind_holder(credential, holder, holder_proven=proven)
        assert binding.outcome == "failed" and binding.code == "holderMismatch", binding


def test_a_subject_that_is_an_unproven_holder_is_not_bound() -> None:
    binding = bind_holder(about({"id": ALICE}), ALICE, holder_proven=False)
    assert (binding.outcome, binding.code, binding.subject) == ("failed", "holderNotProven", ALICE)


@pytest.mark.parametrize("credential", [
    about({"name": "no id"}), about({"identifier": [{"type": "IdentityObject"}]}), about({"id": 5}),
    {"type": ["VerifiableCredential"]}, about([]), "not a credential", None,
])
def test_a_credential_naming_no_subject_id_is_not_applicable(credential: Any) -> None:
    assert subject_ids(credential) == ()
    for proven in (True, False):
        assert bind_holder(credential, ALICE, holder_proven=proven).outcome == "notApplicable"


# --- in a presentation's report ---------------------------------------------------------------------------


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#")[0]


def awarded(issuer: SigningKey, learner: SigningKey, credential_id: str) -> dict[str, Any]:
    credential = badge(did_of(issuer), credential_id)
    credential["credentialSubject"]["id"] = did_of(learner)
    return issue_credential(credential, issuer)


async def test_one_credential_of_someone_else_fails_the_presentation() -> None:
    resolver = Resolver([KeyDriver()])
    issuer, holder, other = did_key_signer(), did_key_signer(), did_key_signer()
    own = awarded(issuer, holder, "urn:uuid:00000000-0000-4000-8000-0000000000a1")
    foreign = awarded(issuer, other, "urn:uuid:00000000-0000-4000-8000-0000000000a2")
    presentation = create_presentation([own, foreign], holder, challenge="c")
    report = await verify_presentation(presentation, resolver, VerifyOptions(challenge="c"))
    assert not report.verified
    assert [(e.code, e.path) for e in report.errors] == [("holderMismatch", "verifiableCredential[1]")]
    subs = report.results["credentials"]["credentials"]
    assert [s["results"]["holderBinding"]["outcome"] for s in subs] == ["passed", "failed"]
    assert subs[0]["verified"] and not subs[1]["verified"]
    allowed = await verify_presentation(presentation, resolver, VerifyOptions(challenge="c",
                                                                             holder_binding="allowMismatch"))
    assert allowed.verified and [w.code for w in allowed.warnings] == []  # the warning is the credential's
    assert [w["code"] for w in allowed.results["credentials"]["credentials"][1]["warnings"]] == ["holderMismatch"]


async def test_a_holder_whose_proof_fails_is_not_proven() -> None:
    resolver = Resolver([KeyDriver()])
    issuer, holder, thief = did_key_signer(), did_key_signer(), did_key_signer()
    own = awarded(issuer, holder, "urn:uuid:00000000-0000-4000-8000-0000000000a3")
    # The thief names the holder but can only sign with its own key.
    unsigned = {k: v for k, v in create_presentation([own], holder, challenge="c").items() if k != "proof"}
    forged = sign(unsigned, thief, purpose="authentication", challenge="c")
    report = await verify_presentation(forged, resolver, VerifyOptions(challenge="c"))
    sub = report.results["credentials"]["credentials"][0]
    assert sub["results"]["holderBinding"]["outcome"] == "failed"
    assert [e["code"] for e in sub["errors"]] == ["holderNotProven"]
