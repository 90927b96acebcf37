"""Recognition: an employer trusting only its own regulator evaluates micro-credentials from elsewhere."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.trust_builders import ECTS, HKQF, NOW, NZQCF, World, example_world
from vcnode.trust import (
    CreditConversion,
    InMemoryStatements,
    LevelMap,
    Outcome,
    RecognitionCache,
    RecognitionOptions,
    RecognitionReport,
    Scope,
    build_accreditation,
    build_agreement,
    evaluate_recognition,
)
from vcnode.trust.build import build_framework
from vcnode.trust.examples import example_badge

ACCREDITATION = "https://vcnode.dev/examples/statements/accreditation-hk"
AGREEMENT = "https://vcnode.dev/examples/statements/agreement-nz-hk"
AQF = "https://vcnode.dev/examples/frameworks/aqf"
FROM, UNTIL = "2025-01-01T00:00:00Z", "2030-12-31T23:59:59Z"


@pytest.fixture
async def world() -> World:
    return await example_world()


def evaluate(world: World, credential: dict[str, Any], *anchors: str, **options: Any) -> RecognitionReport:
    options.setdefault("now", NOW)
    return evaluate_recognition(credential, world.index,
                                RecognitionOptions(anchors={world.did(a) for a in anchors}, **options))


def hops(report: RecognitionReport) -> list[tuple[str, str]]:
    assert report.path is not None
    return [(hop.statement, hop.result.value) for hop in report.path.hops]


def codes(report: RecognitionReport) -> list[str]:
    return [reason.code for reason in report.reasons]


async def agreement(world: World, regulator: str, recognised: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("scope", Scope())
    document = build_agreement(regulator=world.did(regulator), recognised=world.did(recognised), valid_from=FROM,
                               valid_until=fields.pop("valid_until", UNTIL), **fields)
    await world.publish(document)
    return document


async def test_recognised_directly_by_a_trusted_regulator(world: World) -> None:
    report = evaluate(world, world.badge(), "hk-regulator")
    assert report.recognised is Outcome.OK and report.reasons == ()
    assert hops(report) == [(ACCREDITATION, "ok")]
    assert report.award.framework_code == "HKQF" and report.award.level == "4"
    assert report.award.credits == 15 and report.award.credit_unit == "QF credit" and report.award.notional_hours == 150
    assert report.equivalent is not None and (report.equivalent.framework_code, report.equivalent.level) == ("HKQF",
                                                                                                          "4")


async def test_recognised_through_a_recognition_agreement_with_equivalents(world: World) -> None:
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.recognised is Outcome.OK
    assert hops(report) == [(AGREEMENT, "ok"), (ACCREDITATION, "ok")]
    assert report.path is not None and report.path.anchor == world.did("nz-regulator")
    hop = report.path.hops[0]
    assert (hop.issuer, hop.subject) == (world.did("nz-regulator"), world.did("hk-regulator"))
    equivalent = report.equivalent
    assert equivalent is not None
    assert (equivalent.framework, equivalent.framework_code, equivalent.level) == (NZQCF, "NZQCF", "6")
    assert equivalent.level_basis == f"levelMap of {AGREEMENT}"
    assert (equivalent.credit_framework, equivalent.credits) == (NZQCF, 15)
    assert equivalent.credits_basis.startswith("creditConversion x1 of")
    out = report.to_json()
    assert out["recognised"] is True and out["award"]["level"] == "4" and out["equivalent"]["level"] == "6"
    assert json.loads(json.dumps(out)) == out  # plain JSON


async def test_a_level_without_mapping_says_so_and_credits_still_convert(world: World) -> None:
    badge = world.badge(alignment=[{"type": ["Alignment"], "targetFramework": "HKQF", "targetCode": "3",
                                    "targetName": "HKQF level 3", "targetUrl": HKQF}])
    report = evaluate(world, badge, "nz-regulator")
    assert report.recognised is Outcome.OK
    assert report.equivalent is not None and report.equivalent.level is None
    assert report.equivalent.level_basis == "noMapping" and report.equivalent.credits == 15
    assert report.to_json()["equivalent"]["levelBasis"] == "noMapping"


async def test_credits_convert_by_notional_hours_when_no_agreement_converts_them(world: World) -> None:
    report = evaluate(world, world.badge(), "nz-regulator", verifier_credit_framework=ECTS)
    assert report.equivalent is not None
    assert report.equivalent.credits == round(15 * 10 / 27.5, 4)
    assert report.equivalent.credits_basis.startswith("notional hours (10 h per HKQF credit, 27.5 h per ECTS")


async def test_three_hops_compose_level_maps(world: World) -> None:
    await world.publish(build_framework(issuer=world.did("au-regulator"), framework_id=AQF, code="AQF", name="AQF",
                                        levels=[str(n) for n in range(1, 11)], valid_from=FROM))
    await agreement(world, "au-regulator", "nz-regulator", scope=Scope(NZQCF, "8"),
                    level_map=LevelMap(NZQCF, AQF, (("6", "6"), ("7", "7"))))
    report = evaluate(world, world.badge(), "au-regulator")
    assert report.recognised is Outcome.OK and len(hops(report)) == 3
    assert report.equivalent is not None and (report.equivalent.framework_code, report.equivalent.level) == ("AQF",
                                                                                                          "6")
    # No credit conversion on the top agreement and no credit unit for AQF: the credits have no mapping.
    assert report.equivalent.credits is None and report.equivalent.credits_basis == "noMapping"
    shallow = evaluate(world, world.badge(), "au-regulator", max_depth=2)
    assert shallow.recognised is Outcome.FAILED and codes(shallow) == ["depthLimit"]


async def test_a_level_above_the_accreditation_scope_is_not_recognised(world: World) -> None:
    badge = world.badge("hk-advanced-analytics")  # HKQF 5; the provider is accredited up to HKQF 4
    report = evaluate(world, badge, "nz-regulator")
    assert report.recognised is Outcome.FAILED
    assert hops(report) == [(AGREEMENT, "ok"), (ACCREDITATION, "failed")]
    reason = report.reasons[0]
    assert reason.code == "scopeMismatch" and reason.detail["aspect"] == "level"
    assert (reason.detail["awardLevel"], reason.detail["maxLevel"], reason.detail["statement"]) == ("5", "4",
                                                                                                    ACCREDITATION)
    assert "above the scope's maximum HKQF 4" in reason.message
    assert report.to_json()["recognised"] is False


async def test_scopes_are_intersected_along_the_path(world: World) -> None:
    # The provider is accredited up to HKQF 6 by the HK regulator, but NZ recognises HK only up to HKQF 5.
    await world.publish(build_accreditation(regulator=world.did("hk-regulator"), provider=world.did("hk-provider"),
                                            scope=Scope(HKQF, "6"), valid_from=FROM, valid_until=UNTIL,
                                            statement_id="urn:uuid:acc-6"))
    world.index.remove(ACCREDITATION)
    six = world.badge(alignment=[{"type": ["Alignment"], "targetFramework": "HKQF", "targetCode": "6",
                                  "targetName": "HKQF level 6", "targetUrl": HKQF}])
    assert evaluate(world, six, "hk-regulator").recognised is Outcome.OK
    report = evaluate(world, six, "nz-regulator")
    assert report.recognised is Outcome.FAILED and hops(report) == [(AGREEMENT, "failed"), ("urn:uuid:acc-6", "ok")]
    assert report.reasons[0].detail["maxLevel"] == "5" and report.reasons[0].detail["statement"] == AGREEMENT


async def test_a_level_6_limited_accreditation_never_vouches_for_level_7(world: World) -> None:
    await world.publish(build_accreditation(regulator=world.did("nz-regulator"), provider=world.did("nz-provider"),
                                            scope=Scope(NZQCF, "6"), valid_from=FROM, valid_until=UNTIL))
    seven = world.badge(issuer_role="nz-provider", alignment=[
        {"type": ["Alignment"], "targetFramework": "NZQF", "targetCode": "7", "targetName": "NZQF level 7",
         "targetUrl": "https://nzqf.example/levels/7"}])
    report = evaluate(world, seven, "nz-regulator")
    assert report.recognised is Outcome.FAILED and report.reasons[0].detail["awardLevel"] == "7"


async def test_an_award_without_a_level_in_the_scope_framework_is_outside_it(world: World) -> None:
    report = evaluate(world, world.badge(alignment=[]), "hk-regulator")
    assert report.recognised is Outcome.FAILED
    assert "has no level in HKQF" in report.reasons[0].message


async def test_a_field_outside_the_scope_is_not_recognised(world: World) -> None:
    report = evaluate(world, world.badge(fieldOfStudy="Nursing and midwifery (ISCED-F 0913)"), "nz-regulator")
    assert report.recognised is Outcome.FAILED
    reason = report.reasons[0]
    assert reason.code == "scopeMismatch" and reason.detail["aspect"] == "fieldOfStudy"
    assert reason.detail["awardField"] == "Nursing and midwifery (ISCED-F 0913)"
    # A broader ISCED-F code in the scope (06) covers the narrower one of the award (0613).
    assert evaluate(world, world.badge(), "nz-regulator").recognised is Outcome.OK


async def test_a_jurisdiction_outside_the_scope_is_not_recognised(world: World) -> None:
    badge = world.badge()
    badge["issuer"]["address"]["addressCountryCode"] = "SG"
    report = evaluate(world, badge, "nz-regulator")
    assert report.recognised is Outcome.FAILED
    assert {r.detail["aspect"] for r in report.reasons} == {"jurisdiction"}


async def test_an_expired_agreement_breaks_the_path(world: World) -> None:
    world.index.remove(AGREEMENT)
    expired = await agreement(world, "nz-regulator", "hk-regulator", scope=Scope(HKQF, "5"),
                              valid_until="2026-01-01T00:00:00Z")
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.recognised is Outcome.FAILED
    assert hops(report) == [(expired["id"], "failed"), (ACCREDITATION, "ok")]
    assert codes(report) == ["expired"] and "expired at 2026-01-01T00:00:00Z" in report.reasons[0].message
    # The same statements, evaluated at a time they were all valid.
    assert evaluate(world, world.badge(), "nz-regulator", now=datetime(2025, 6, 1, tzinfo=UTC)).recognised \
        is Outcome.OK


async def test_a_statement_not_yet_valid_breaks_the_path(world: World) -> None:
    report = evaluate(world, world.badge(), "nz-regulator", now=datetime(2024, 6, 1, tzinfo=UTC))
    assert report.recognised is Outcome.FAILED and set(codes(report)) == {"notYetValid"}


async def test_a_withdrawn_accreditation_is_not_recognised_and_the_report_says_so(world: World) -> None:
    world.index.set_status(ACCREDITATION, "withdrawn")
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.recognised is Outcome.FAILED
    assert hops(report) == [(AGREEMENT, "ok"), (ACCREDITATION, "failed")]
    assert codes(report) == ["withdrawn"]
    assert report.reasons[0].message == f"{world.did('hk-regulator')} withdrew {ACCREDITATION}"
    signal = next(s for s in report.signals if s.kind == "accreditation")
    assert signal.result is Outcome.FAILED


async def test_an_unchecked_status_is_reported_unchecked_never_false(world: World) -> None:
    world.index.set_status(AGREEMENT, "unchecked")
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.recognised is Outcome.UNCHECKED
    assert hops(report) == [(AGREEMENT, "unchecked"), (ACCREDITATION, "ok")]
    assert codes(report) == ["statusUnchecked"]
    out = report.to_json()
    assert out["recognised"] == "unchecked" and out["recognised"] is not False
    assert out["path"]["hops"][0]["result"] == "unchecked"


async def test_a_valid_path_is_preferred_to_a_withdrawn_one(world: World) -> None:
    # A second accreditation of the same provider by the same regulator, withdrawn: the valid one is used.
    await world.publish(build_accreditation(regulator=world.did("hk-regulator"), provider=world.did("hk-provider"),
                                            scope=Scope(HKQF, "4"), valid_from=FROM, statement_id="urn:uuid:old"))
    world.index.set_status("urn:uuid:old", "withdrawn")
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.recognised is Outcome.OK and hops(report)[1] == (ACCREDITATION, "ok")
    assert [p.hops[1].statement for p in report.rejected_paths] == ["urn:uuid:old"]


async def test_cycles_in_recognition_end(world: World) -> None:
    # hk and xx recognise each other, xx and yy too: nothing leads to the anchor zz.
    await agreement(world, "xx-regulator", "hk-regulator")
    await agreement(world, "hk-regulator", "xx-regulator")
    await agreement(world, "yy-regulator", "xx-regulator")
    await agreement(world, "xx-regulator", "yy-regulator")
    report = evaluate(world, world.badge(), "zz-regulator", max_depth=10)
    assert report.recognised is Outcome.FAILED and codes(report) == ["noPath"]
    # With zz recognising yy, the path runs through the cycle's members once each.
    await agreement(world, "zz-regulator", "yy-regulator")
    report = evaluate(world, world.badge(), "zz-regulator", max_depth=10)
    assert report.recognised is Outcome.OK and report.path is not None
    assert [h.issuer for h in report.path.hops] == [world.did(r) for r in ("zz-regulator", "yy-regulator",
                                                                           "xx-regulator", "hk-regulator")]


async def test_the_depth_limit_bounds_the_path(world: World) -> None:
    chain = ["hk-regulator", "r1", "r2", "r3", "r4"]
    for lower, upper in itertools.pairwise(chain):
        await agreement(world, upper, lower)
    report = evaluate(world, world.badge(), "r4")  # five statements: one more than the default limit
    assert report.recognised is Outcome.FAILED and codes(report) == ["depthLimit"]
    assert report.reasons[0].detail["maxDepth"] == 4
    assert evaluate(world, world.badge(), "r4", max_depth=5).recognised is Outcome.OK
    assert evaluate(world, world.badge(), "r3").recognised is Outcome.OK


async def test_a_forged_accreditation_is_refused(world: World) -> None:
    # Someone signs an accreditation naming the HK regulator as its issuer, for a provider it never accredited.
    forged = build_accreditation(regulator=world.did("hk-regulator"), provider=world.did("mallory-provider"),
                                 scope=Scope(HKQF, "7"), valid_from=FROM, statement_id="urn:uuid:forged")
    await world.publish(forged, forged_by="mallory-provider")
    entry = world.index.get("urn:uuid:forged")
    assert entry is not None and entry.forged
    report = evaluate(world, world.badge(issuer_role="mallory-provider"), "nz-regulator")
    assert report.recognised is Outcome.FAILED and codes(report) == ["forgedStatement"]
    assert hops(report)[1] == ("urn:uuid:forged", "failed")


async def test_a_statement_whose_proof_failed_is_forged() -> None:
    world = World()
    index = InMemoryStatements()
    index.add_document(build_accreditation(regulator=world.did("hk-regulator"), provider=world.did("hk-provider"),
                                           scope=Scope(HKQF, "4"), valid_from=FROM), proof="failed")
    report = evaluate_recognition(world.badge(), index, RecognitionOptions({world.did("hk-regulator")}, now=NOW))
    assert report.recognised is Outcome.FAILED and codes(report) == ["forgedStatement"]
    assert "does not verify" in report.reasons[0].message


async def test_a_proof_not_checked_leaves_recognition_unchecked() -> None:
    world = World()
    index = InMemoryStatements()
    index.add_document(build_accreditation(regulator=world.did("hk-regulator"), provider=world.did("hk-provider"),
                                           scope=Scope(), valid_from=FROM), proof="unchecked")
    report = evaluate_recognition(world.badge(), index, RecognitionOptions({world.did("hk-regulator")}, now=NOW))
    assert report.recognised is Outcome.UNCHECKED and codes(report) == ["proofUnchecked"]


async def test_no_path_and_no_accreditation(world: World) -> None:
    report = evaluate(world, world.badge(), "eu-regulator")
    assert report.recognised is Outcome.FAILED and codes(report) == ["noPath"]
    assert report.path is None and report.reasons[0].detail["accreditors"] == [world.did("hk-regulator")]
    stranger = evaluate(world, world.badge(issuer_role="stranger"), "nz-regulator")
    assert codes(stranger) == ["noPath"] and "no accreditation of" in stranger.reasons[0].message
    assert stranger.to_json()["path"] is None


async def test_an_issuer_that_is_an_anchor_is_recognised_without_hops(world: World) -> None:
    report = evaluate(world, world.badge(issuer_role="nz-regulator"), "nz-regulator")
    assert report.recognised is Outcome.OK and report.path is not None and report.path.hops == ()


async def test_equivocating_issuers_are_flagged(world: World) -> None:
    world.index.flag_equivocation(world.did("hk-regulator"))
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.recognised is Outcome.OK
    assert [w.code for w in report.warnings] == ["issuerEquivocated"]
    assert report.to_json()["path"]["hops"][1]["warnings"][0]["code"] == "issuerEquivocated"


async def test_the_eu_example_with_ects_credits(world: World) -> None:
    badge = world.badge("ie-ml", issuer_role="eu-provider")
    report = evaluate(world, badge, "eu-regulator", verifier_credit_framework=ECTS)
    assert report.recognised is Outcome.OK
    assert (report.award.framework_code, report.award.level) == ("EQF", "5")
    assert report.award.credit_framework == ECTS and report.award.notional_hours == 275
    assert report.equivalent is not None and report.equivalent.credits == 10


async def test_completeness_against_the_eu_mandatory_elements(world: World) -> None:
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.completeness.complete and report.completeness.missing == []
    from tests.builders import badge as bare_badge
    sparse = evaluate(world, bare_badge(world.did("hk-provider")), "nz-regulator").completeness
    assert not sparse.complete
    assert sparse.missing == ["country", "level", "participation", "qualityAssurance"]
    out = sparse.to_json()
    assert out["complete"] is False and "title" in out["present"]
    element = next(e for e in out["elements"] if e["element"] == "workload")
    assert element == {"element": "workload", "label": "Notional workload needed to achieve the learning outcomes",
                       "present": True, "where": "achievement.creditsAvailable"}


async def test_quality_signals_each_have_their_own_result(world: World) -> None:
    from vcnode.credentials.openbadges import OB_CONTEXT
    endorsement = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT], "id": "urn:uuid:endorse-1",
        "type": ["VerifiableCredential", "EndorsementCredential"], "name": "Industry endorsement",
        "issuer": {"id": world.did("industry-body"), "type": ["Profile"], "name": "Example industry body"},
        "validFrom": FROM, "credentialSubject": {"id": world.did("hk-provider"), "type": ["EndorsementSubject"],
                                                 "endorsementComment": "Graduates are job-ready."}}
    await world.publish(endorsement)
    embedded = world.sign(dict(endorsement, id="urn:uuid:endorse-2"))
    badge = world.badge(endorsement=[embedded])
    report = evaluate(world, badge, "nz-regulator")
    kinds = [(s.kind, s.statement, s.result.value) for s in report.signals]
    assert kinds == [("accreditation", ACCREDITATION, "ok"), ("endorsement", "urn:uuid:endorse-1", "ok"),
                     ("endorsement", "urn:uuid:endorse-2", "unchecked")]
    assert report.signals[1].detail["comment"] == "Graduates are job-ready."
    assert report.signals[0].detail["onTrustPath"] is True
    world.index.set_status("urn:uuid:endorse-1", "withdrawn")
    again = evaluate(world, badge, "nz-regulator")
    assert [s.result.value for s in again.signals] == ["ok", "failed", "unchecked"]
    assert again.recognised is Outcome.OK  # endorsements never decide recognition


async def test_credit_conversion_factors_apply(world: World) -> None:
    world.index.remove(AGREEMENT)
    await agreement(world, "nz-regulator", "hk-regulator", scope=Scope(HKQF, "5"),
                    level_map=LevelMap(HKQF, NZQCF, (("4", "6"),)),
                    credit_conversion=CreditConversion(HKQF, NZQCF, 0.5))
    report = evaluate(world, world.badge(), "nz-regulator")
    assert report.equivalent is not None and report.equivalent.credits == 7.5


def test_a_malformed_credential_is_reported_not_raised() -> None:
    report = evaluate_recognition("not a credential", InMemoryStatements(), RecognitionOptions({"did:example:a"}))
    assert report.recognised is Outcome.FAILED and report.reasons[0].code == "noIssuer"
    assert report.to_json()["completeness"]["complete"] is False


async def test_the_search_limit_answers_unchecked(world: World) -> None:
    for n in range(5):
        await agreement(world, f"fan-{n}", "hk-regulator")
    report = evaluate(world, world.badge(), "elsewhere", max_chains=3)
    assert report.recognised is Outcome.UNCHECKED and codes(report) == ["searchLimit"]


def test_example_badges_name_the_examples_frameworks() -> None:
    badge = example_badge("hk-cloud-data", issuer="did:example:p", learner_id="did:example:l",
                          credential_id="urn:uuid:1")
    assert badge["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"] == HKQF


async def test_the_cache_reuses_paths_until_the_index_or_the_time_changes(world: World) -> None:
    cache = RecognitionCache()
    first = evaluate(world, world.badge(learner="did:example:a"), "nz-regulator", cache=cache)
    second = evaluate(world, world.badge(learner="did:example:b"), "nz-regulator", cache=cache)
    assert (cache.misses, cache.hits) == (1, 1)
    assert first.to_json() == second.to_json() == evaluate(world, world.badge(), "nz-regulator").to_json()
    # Another level is another path evaluation.
    assert evaluate(world, world.badge("hk-advanced-analytics"), "nz-regulator", cache=cache).recognised \
        is Outcome.FAILED
    assert cache.misses == 2
    # A change in the index is seen at once.
    world.index.set_status(ACCREDITATION, "withdrawn")
    assert codes(evaluate(world, world.badge(), "nz-regulator", cache=cache)) == ["withdrawn"]
    world.index.set_status(ACCREDITATION, "valid")
    assert evaluate(world, world.badge(), "nz-regulator", cache=cache).recognised is Outcome.OK
    hits = cache.hits
    # So is the passing of a validity bound: the accreditation ends at 2029-12-31T23:59:59Z.
    late = datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert evaluate(world, world.badge(), "nz-regulator", cache=cache, now=late).recognised is Outcome.OK
    assert cache.hits == hits + 1
    after = evaluate(world, world.badge(), "nz-regulator", cache=cache, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert after.recognised is Outcome.FAILED and codes(after) == ["expired"]


@pytest.mark.parametrize("key", ["hk-cloud-data", "hk-advanced-analytics"])
async def test_cached_and_fresh_reports_are_the_same(world: World, key: str) -> None:
    cache = RecognitionCache()
    for _ in range(2):
        for anchor in ("nz-regulator", "hk-regulator", "eu-regulator"):
            cached = evaluate(world, world.badge(key), anchor, cache=cache)
            assert cached.to_json() == evaluate(world, world.badge(key), anchor).to_json()
    assert cache.hits == 3 and cache.misses == 3
