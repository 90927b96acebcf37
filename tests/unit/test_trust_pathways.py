"""Pathways: a learner's verified micro-credentials stack into a certificate, and the provider issues it."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
from dataclasses import replace
from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.trust_builders import LEARNER, World
from vcnode.credentials import issue_credential, verify_credential
from vcnode.did.resolver import Resolver
from vcnode.errors import VcnodeError
from vcnode.jsonld import canonicalize_jcs
from vcnode.trust import (
    CreditUnit,
    FrameworkLookup,
    HeldCredential,
    InMemoryStatements,
    Pathway,
    PathwayNotSatisfied,
    PathwayResult,
    build_framework,
    build_stacked_award,
    component_digest,
    evaluate_pathway,
    evaluate_pathways,
    parse_statement,
)
from vcnode.trust.examples import example_documents
from vcnode.trust.pathways import ComponentStatus

CREDITS = {"daf": 5, "dviz": 5, "sql": 5, "ml": 10, "stats": 7.5, "ethics": 5}
FIVE = ["daf", "dviz", "sql", "ml", "stats"]  # 32.5 ECTS
AWARD_ID = "urn:uuid:7c0e4f8a-0000-4000-8000-00000000a0a0"
_SERIAL = itertools.count(1)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def pathway(world: World) -> Pathway:
    document = example_documents({"eu-provider": world.did("eu-provider")}, ["pathways"])[0]
    parsed = parse_statement(document)
    assert isinstance(parsed, Pathway)
    return parsed


def component(world: World, key: str, *, learner: str = LEARNER, valid_from: str = "2026-03-01T00:00:00Z",
              issuer_role: str = "eu-provider", credits: float | None = None) -> dict[str, Any]:
    """A signed example component credential for achievement ``key``."""
    badge = world.badge(f"ie-{key}", issuer_role=issuer_role, learner=learner, valid_from=valid_from,
                        credential_id=f"urn:uuid:00000000-0000-4000-8000-{next(_SERIAL):012d}")
    if credits is not None:
        badge["credentialSubject"]["creditsEarned"] = credits
    return issue_credential(badge, world.keys[issuer_role], suite="eddsa-jcs-2022")


def held(*credentials: dict[str, Any], status: ComponentStatus = "valid") -> list[HeldCredential]:
    return [HeldCredential(c, verified=True, status=status) for c in credentials]


def excluded(result: PathwayResult) -> list[tuple[str | None, str]]:
    return [(e.achievement_id.rsplit("/", 1)[-1] if e.achievement_id else None, e.code) for e in result.excluded]


async def test_a_satisfied_pathway_is_issued_as_a_stacked_award_that_verifies(world: World, pathway: Pathway) -> None:
    resolver = Resolver([KeyDriver()])
    credentials = [component(world, key) for key in FIVE]
    presented = [HeldCredential.from_report(c, await verify_credential(c, resolver)) for c in credentials]
    assert all(h.verified and h.status == "none" for h in presented)
    result = evaluate_pathway(pathway, LEARNER, presented)
    assert result.outcome == "satisfied" and result.satisfied
    assert len(result.counted) == 5 and result.credits == 32.5 and result.credits_short == 0
    assert result.components_short == 0 and result.missing_achievements == ("https://hcp.example/achievements/ethics",)
    out = result.to_json()
    assert out["outcome"] == "satisfied" and out["missing"]["windowExceeded"] is False
    assert out["requires"] == {"components": 4, "of": list(pathway.components), "credits": 30.0,
                               "creditFramework": pathway.credit_framework, "windowYears": 5.0}

    provider = {"id": world.did("eu-provider"), "name": "Harbour City Polytechnic (example)"}
    award = build_stacked_award(result, credential_id=AWARD_ID, issuer=provider, valid_from="2026-06-01T00:00:00Z")
    signed = issue_credential(award, world.keys["eu-provider"])  # eddsa-rdfc-2022: every term defined
    report = await verify_credential(signed, resolver)
    assert report.verified, report.to_json()["errors"]
    assert signed["credentialSubject"]["id"] == LEARNER and signed["credentialSubject"]["creditsEarned"] == 32.5
    assert signed["credentialSubject"]["achievement"]["id"] == pathway.award.id
    related = {r["id"]: r["digestMultibase"] for r in signed["relatedResource"]}
    assert related == {c["id"]: component_digest(c) for c in credentials}
    assert all(r["mediaType"] == "application/vc" for r in signed["relatedResource"])
    # A digest is a sha2-256 multihash, base64url: a changed component no longer matches.
    raw = base64.urlsafe_b64decode(related[credentials[0]["id"]][1:] + "==")
    assert raw == bytes([0x12, 0x20]) + hashlib.sha256(canonicalize_jcs(credentials[0])).digest()
    tampered = copy.deepcopy(credentials[0])
    tampered["credentialSubject"]["creditsEarned"] = 50
    assert component_digest(tampered) != related[credentials[0]["id"]]


async def test_one_credit_short(world: World, pathway: Pathway) -> None:
    credentials = [component(world, key, credits=credits) for key, credits in
                   (("daf", 10), ("dviz", 10), ("sql", 5), ("ml", 4))]
    result = evaluate_pathway(pathway, LEARNER, held(*credentials))
    assert result.outcome == "partly" and result.credits == 29 and result.credits_short == 1
    assert result.components_short == 0
    assert result.to_json()["missing"]["credits"] == 1
    with pytest.raises(PathwayNotSatisfied):
        build_stacked_award(result, credential_id=AWARD_ID, issuer={"id": world.did("eu-provider")},
                            valid_from="2026-06-01T00:00:00Z")


async def test_a_revoked_component_does_not_count(world: World, pathway: Pathway) -> None:
    credentials = [component(world, key) for key in FIVE]
    presented = held(*credentials[:3], credentials[4]) + held(credentials[3], status="revoked")
    result = evaluate_pathway(pathway, LEARNER, presented)
    assert result.outcome == "partly" and result.credits == 22.5 and result.credits_short == 7.5
    assert excluded(result) == [("ml", "revoked")]
    assert "https://hcp.example/achievements/ml" in result.missing_achievements


async def test_a_component_of_another_learner_does_not_count(world: World, pathway: Pathway) -> None:
    credentials = [component(world, key, learner="did:example:someone-else" if key == "ml" else LEARNER)
                   for key in FIVE]
    result = evaluate_pathway(pathway, LEARNER, held(*credentials))
    assert result.outcome == "partly" and excluded(result) == [("ml", "otherLearner")]
    assert "did:example:someone-else" in result.excluded[0].message


async def test_the_window_exceeded(world: World, pathway: Pathway) -> None:
    dates = {"daf": "2019-06-01", "dviz": "2020-01-15", "sql": "2024-09-01", "ml": "2025-03-01", "stats": "2025-06-01"}
    credentials = [component(world, key, valid_from=f"{dates[key]}T00:00:00Z") for key in FIVE]
    result = evaluate_pathway(pathway, LEARNER, held(*credentials))
    assert result.outcome == "partly"
    assert result.window is not None and result.window["exceeded"] is True and result.window["spanYears"] == 6.0
    assert [c.achievement_id.rsplit("/", 1)[-1] for c in result.counted] == ["sql", "ml", "stats"]
    assert {code for _, code in excluded(result)} == {"outsideWindow"}
    assert result.to_json()["missing"]["windowExceeded"] is True
    # Within five years of the first award, the same components satisfy the pathway.
    recent = [component(world, key, valid_from=f"202{n}-01-01T00:00:00Z") for n, key in enumerate(FIVE)]
    assert evaluate_pathway(pathway, LEARNER, held(*recent)).outcome == "satisfied"


async def test_a_component_with_an_unchecked_status_leaves_the_outcome_unchecked(world: World,
                                                                                  pathway: Pathway) -> None:
    credentials = [component(world, key) for key in ["daf", "dviz", "ml", "stats"]]  # 27.5 of 30 credits
    extra = component(world, "sql")
    result = evaluate_pathway(pathway, LEARNER, held(*credentials) + held(extra, status="unchecked"))
    assert result.outcome == "unchecked" and not result.satisfied
    # With enough components whose status was checked, the unchecked one is not needed.
    more = held(*credentials, component(world, "ethics")) + held(extra, status="unchecked")
    assert evaluate_pathway(pathway, LEARNER, more).outcome == "satisfied"


async def test_duplicates_other_issuers_and_unverified_credentials(world: World, pathway: Pathway) -> None:
    credentials = [component(world, key) for key in FIVE]
    again = component(world, "daf", credits=1)
    mallory = component(world, "ethics", issuer_role="mallory")
    unverified = component(world, "ethics")
    presented = [*held(*credentials, again, mallory), HeldCredential(unverified, verified=False)]
    result = evaluate_pathway(pathway, LEARNER, presented)
    assert result.outcome == "satisfied"
    assert sorted(excluded(result)) == [("daf", "duplicate"), ("ethics", "notVerified"), ("ethics", "wrongIssuer")]


async def test_from_report_reads_verification_failures(world: World) -> None:
    resolver = Resolver([KeyDriver()])
    credential = component(world, "daf")
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["creditsEarned"] = 60
    assert not HeldCredential.from_report(tampered, await verify_credential(tampered, resolver)).verified


async def test_nothing_presented_is_not_started(world: World, pathway: Pathway) -> None:
    result = evaluate_pathway(pathway, LEARNER, [])
    assert result.outcome == "notStarted" and result.components_short == 4 and result.credits_short == 30


async def test_credits_in_another_unit_are_converted_by_notional_hours(world: World, pathway: Pathway) -> None:
    index = InMemoryStatements()
    index.add_all(example_documents({"eu-regulator": world.did("eu-regulator")}, ["frameworks"]))
    index.add_document(build_framework(issuer=world.did("uk-body"), framework_id="https://uk.example/credits",
                                       code="UKCREDIT", name="UK credit", credit_unit=CreditUnit("credit", 10),
                                       valid_from="2025-01-01T00:00:00Z"))
    badge = world.badge("ie-ml", issuer_role="eu-provider", learner=LEARNER)
    badge["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetFramework": "UKCREDIT", "targetCode": "20", "targetName": "20 UK credits",
         "targetUrl": "https://uk.example/credits"}]
    badge["credentialSubject"]["achievement"]["creditsAvailable"] = 20
    result = evaluate_pathway(pathway, LEARNER, held(badge), FrameworkLookup(index))
    assert result.counted[0].credits == round(20 * 10 / 27.5, 4)
    assert result.counted[0].note == "converted from 20 UKCREDIT credits by notional hours"


async def test_several_pathways_satisfied_first(world: World, pathway: Pathway) -> None:
    strict = replace(pathway, id="urn:uuid:strict", min_components=6)
    results = evaluate_pathways([strict, pathway], LEARNER, held(*[component(world, key) for key in FIVE]))
    assert [(r.pathway.id, r.outcome) for r in results] == [(pathway.id, "satisfied"), ("urn:uuid:strict", "partly")]


async def test_the_stacked_award_is_issued_by_the_pathway_provider_only(world: World, pathway: Pathway) -> None:
    result = evaluate_pathway(pathway, LEARNER, held(*[component(world, key) for key in FIVE]))
    with pytest.raises(VcnodeError) as caught:
        build_stacked_award(result, credential_id=AWARD_ID, issuer={"id": world.did("someone")},
                            valid_from="2026-06-01T00:00:00Z")
    assert caught.value.code == "issuerMismatch"
