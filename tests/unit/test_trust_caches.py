"""What recognition reuses between evaluations (walks, their award and equivalents, JSON built once, alignments
and completeness by content) is never served for an input that changed, and reports stay independent."""

from __future__ import annotations

import itertools
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.trust_builders import ECTS, HKQF, NOW, NZQCF, World, example_world
from vcnode.trust import (
    InMemoryStatements,
    Outcome,
    RecognitionCache,
    RecognitionOptions,
    RecognitionReport,
    build_framework,
    evaluate_recognition,
)
from vcnode.trust.award import AwardFacts, read_award
from vcnode.trust.completeness import check_completeness
from vcnode.trust.evaluate import _Walk

ACCREDITATION = "https://vcnode.dev/examples/statements/accreditation-hk"
AGREEMENT = "https://vcnode.dev/examples/statements/agreement-nz-hk"


@pytest.fixture
async def world() -> World:
    return await example_world()


def evaluate(world: World, credential: dict[str, Any], anchor: str = "nz-regulator",
             **options: Any) -> RecognitionReport:
    options.setdefault("now", NOW)
    return evaluate_recognition(credential, world.index, RecognitionOptions(anchors={world.did(anchor)}, **options))


def hkqf(level: str) -> list[dict[str, Any]]:
    return [{"type": ["Alignment"], "targetFramework": "HKQF", "targetCode": level, "targetName": f"HKQF level {level}",
             "targetUrl": HKQF}]


def test_read_award_fills_every_field_as_the_constructor_would() -> None:
    from tests.trust_builders import LEARNER
    from vcnode.trust.examples import example_badge
    badge = example_badge("hk-cloud-data", issuer="did:example:p", learner_id=LEARNER, credential_id="urn:uuid:1")
    facts = read_award(badge)
    assert set(vars(facts)) == {f.name for f in fields(AwardFacts)}
    assert facts == AwardFacts(**{f.name: getattr(facts, f.name) for f in fields(AwardFacts)})
    assert read_award("not a credential") == AwardFacts(None, None, None, None, None, None, None, None, None, None, ())


def test_alignments_read_by_content_are_equal_and_a_changed_one_is_not() -> None:
    def badge(**alignment: Any) -> dict[str, Any]:
        return {"issuer": "did:example:p", "credentialSubject": {"achievement": {"alignment": [
            {"targetFramework": "HKQF", "targetCode": "4", **alignment}]}}}

    first, same = read_award(badge()).alignments, read_award(badge()).alignments
    assert first == same and hash(first) == hash(same)
    for change in ({"targetCode": "5"}, {"targetFramework": "NZQCF"}, {"targetName": "x"}, {"targetUrl": HKQF},
                   {"targetType": ["ceasn:Competency"]}, {"targetCode": 4}):
        other = read_award(badge(**change)).alignments
        assert other != first, change
    assert read_award(badge(targetCode=4)).alignments[0].code is None  # not a string: not read, as before


async def test_a_cached_walk_is_not_reused_for_other_award_facts(world: World) -> None:
    cache = RecognitionCache()
    base = evaluate(world, world.badge(), cache=cache)
    assert base.recognised is Outcome.OK and base.award.credits == 15
    variants: list[tuple[dict[str, Any], Any]] = [
        (world.badge(alignment=hkqf("5")), lambda r: r.recognised is Outcome.FAILED and r.award.level == "5"),
        (world.badge(alignment=hkqf("3")), lambda r: r.equivalent.level is None),
        (world.badge(creditsAvailable=20), lambda r: r.award.credits == 20 and r.equivalent.credits == 20),
        (world.badge(fieldOfStudy="Law (ISCED-F 0421)"), lambda r: r.recognised is Outcome.FAILED),
        (world.badge(fieldOfStudy="Database and network design (ISCED-F 0612)"),
         lambda r: r.award.field_of_study.startswith("Database")),
    ]
    for badge, expected in variants:
        cached = evaluate(world, badge, cache=cache)
        assert expected(cached), badge["credentialSubject"]["achievement"]
        assert cached.to_json() == evaluate(world, badge).to_json()
    assert cache.hits == 0
    # Another issuer country is another walk too.
    moved = world.badge()
    moved["issuer"]["address"]["addressCountryCode"] = "NZ"
    assert evaluate(world, moved, cache=cache).recognised is Outcome.FAILED and cache.hits == 0


async def test_a_reused_walk_gives_each_verifier_framework_its_own_equivalent(world: World) -> None:
    cache = RecognitionCache()
    chosen = [evaluate(world, world.badge(), cache=cache, **options) for options in
              ({}, {"verifier_framework": HKQF}, {"verifier_credit_framework": ECTS}, {})]
    assert cache.misses == 1 and cache.hits == 3
    assert [(r.equivalent.framework, r.equivalent.level, r.equivalent.credit_framework) for r in chosen
            if r.equivalent is not None] == [(NZQCF, "6", NZQCF), (HKQF, "4", NZQCF), (NZQCF, "6", ECTS),
                                             (NZQCF, "6", NZQCF)]
    for report, options in zip(chosen, ({}, {"verifier_framework": HKQF}, {"verifier_credit_framework": ECTS}, {}),
                               strict=True):
        assert report.to_json() == evaluate(world, world.badge(), **options).to_json()


async def test_index_changes_reach_reports_whose_parts_were_built_before(world: World) -> None:
    cache = RecognitionCache()
    before = evaluate(world, world.badge(), cache=cache).to_json()
    assert [hop["result"] for hop in before["path"]["hops"]] == ["ok", "ok"]
    world.index.set_status(ACCREDITATION, "withdrawn")
    after = evaluate(world, world.badge(), cache=cache).to_json()
    assert after["recognised"] is False and [hop["result"] for hop in after["path"]["hops"]] == ["ok", "failed"]
    assert after["path"]["hops"][1]["reasons"][0]["code"] == "withdrawn"
    assert after["qualitySignals"][0]["result"] == "failed"
    world.index.set_status(ACCREDITATION, "valid")
    world.index.flag_equivocation(world.did("nz-regulator"))
    flagged = evaluate(world, world.badge(), cache=cache).to_json()
    assert flagged["recognised"] is True and [w["code"] for w in flagged["warnings"]] == ["issuerEquivocated"]
    assert flagged["path"]["hops"][0]["warnings"][0]["code"] == "issuerEquivocated"
    assert flagged == evaluate(world, world.badge()).to_json()


async def test_report_json_is_new_containers_every_time(world: World) -> None:
    cache = RecognitionCache()
    first = evaluate(world, world.badge(), cache=cache).to_json()
    expected = evaluate(world, world.badge()).to_json()
    # A caller that edits its copy (redacting, adding members) changes nothing for the next report.
    first["anchors"].clear()
    hop = first["path"]["hops"][0]
    hop["statement"] = "changed"
    hop["evidence"]["proof"] = "changed"
    hop["evidence"]["scope"]["jurisdiction"].append("XX")
    first["path"]["hops"].clear()
    first["award"]["statedAlignments"][0]["targetCode"] = "9"
    first["award"]["level"] = "9"
    first["equivalent"]["level"] = "9"
    first["completeness"]["elements"][0]["where"] = "changed"
    first["completeness"]["present"].clear()
    first["qualitySignals"][0]["result"] = "changed"
    second = evaluate(world, world.badge(learner="did:example:other"), cache=cache)
    assert cache.hits == 1
    assert second.to_json() == expected and second.to_json() is not second.to_json()


async def test_a_failed_hop_json_copies_its_reasons(world: World) -> None:
    cache = RecognitionCache()
    badge = world.badge("hk-advanced-analytics")
    first = evaluate(world, badge, cache=cache).to_json()
    assert first["reasons"][0]["code"] == "scopeMismatch"
    first["path"]["hops"][1]["reasons"][0]["code"] = "changed"
    first["reasons"][0]["code"] = "changed"
    again = evaluate(world, badge, cache=cache).to_json()
    assert cache.hits == 1 and again == evaluate(world, badge).to_json()
    assert again["path"]["hops"][1]["reasons"][0]["code"] == "scopeMismatch"


def test_completeness_json_follows_the_credential() -> None:
    full = {"issuer": {"id": "did:example:p", "name": "P"}, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:l", "achievement": {"name": "A", "creditsAvailable": 5}}}
    sparse = {"credentialSubject": {"achievement": {"name": "A"}}}
    one, other = check_completeness(full).to_json(), check_completeness(sparse).to_json()
    assert "learner" in one["present"] and "learner" in other["missing"]
    assert {e["element"]: e["where"] for e in one["elements"]}["workload"] == "achievement.creditsAvailable"
    assert {e["element"]: e["where"] for e in other["elements"]}["workload"] is None
    one["elements"][0]["where"] = "changed"
    one["present"].append("changed")
    again = check_completeness(full).to_json()
    assert again["elements"][0]["where"] == "credentialSubject.id" and "changed" not in again["present"]


async def test_completeness_levels_follow_the_index_version(world: World) -> None:
    scale = "https://example.org/frameworks/skills-scale"
    document = build_framework(issuer=world.did("scale-owner"), framework_id=scale, code="SKS",
                               name="Example skills scale", levels=["1", "2", "3"], valid_from="2025-01-01T00:00:00Z",
                               statement_id="https://example.org/statements/skills-scale")
    badge = world.badge(alignment=[{"type": ["Alignment"], "targetFramework": "Example skills scale",
                                    "targetCode": "3", "targetName": "Band 3"}])
    cache = RecognitionCache()
    assert "level" in evaluate(world, badge, cache=cache).completeness.missing
    await world.publish(document)
    assert "level" not in evaluate(world, badge, cache=cache).completeness.missing
    world.index.set_status("https://example.org/statements/skills-scale", "withdrawn")
    assert "level" in evaluate(world, badge, cache=cache).completeness.missing


def test_holds_at_agrees_with_checking_every_bound() -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [base + timedelta(days=d) for d in range(0, 6)]
    options: list[datetime | None] = [None, *moments[1:5]]

    def reference(at: datetime, bounds: tuple[tuple[datetime | None, datetime | None], ...], now: datetime) -> bool:
        return all((s is None or (now < s) == (at < s)) and (e is None or (now > e) == (at > e)) for s, e in bounds)

    pairs = list(itertools.product(options, repeat=2))
    checked = 0
    for first, second in itertools.product(pairs, repeat=2):
        bounds = (first, second)
        for at in moments:
            walk = _Walk((), Outcome.OK, None, None, (), (), (), at, bounds)
            for now in moments:
                assert walk.holds_at(now) == reference(at, bounds, now), (bounds, at, now)
                checked += 1
    assert checked > 10_000


@pytest.mark.parametrize("issuer", [{"id": ["did:example:a"]}, {"id": {"id": "x"}}, ["did:example:a"], 3])
def test_an_issuer_that_is_not_a_string_is_reported_with_a_warm_cache(issuer: Any) -> None:
    index = InMemoryStatements()
    options = RecognitionOptions(anchors={"did:example:anchor"}, cache=RecognitionCache())
    report = evaluate_recognition({"issuer": issuer, "credentialSubject": {}}, index, options)
    assert report.issuer is None and report.reasons[0].code == "noIssuer"
