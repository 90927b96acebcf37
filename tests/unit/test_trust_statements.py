"""Trust statements: the pinned context, builders and parsers, the in-memory index and the example data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from tests.trust_builders import ECTS, EQF, HKQF, NZQCF, World, did_of
from vcnode.credentials import issue_credential, verify_credential
from vcnode.did.resolver import Resolver
from vcnode.jsonld import default_registry
from vcnode.trust import (
    TRUST_CONTEXT,
    Accreditation,
    CreditConversion,
    CreditUnit,
    Endorsement,
    FrameworkDescriptor,
    InMemoryStatements,
    Level,
    LevelMap,
    Pathway,
    PathwayAward,
    RecognitionAgreement,
    Scope,
    StatementError,
    build_accreditation,
    build_agreement,
    build_framework,
    build_pathway,
    is_statement,
    parse_statement,
)
from vcnode.trust.examples import ROLES, example_achievement_keys, example_badge, example_documents, example_statements

FROM = "2025-01-01T00:00:00Z"


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def _statements(issuer: str, other: str) -> list[dict[str, Any]]:
    return [
        build_framework(issuer=issuer, framework_id=HKQF, code="HKQF", name="HKQF", aliases=["QF"],
                        levels=[Level("1", "Level 1"), "2", "3"], credit_unit=CreditUnit("QF credit", 10),
                        valid_from=FROM),
        build_accreditation(regulator=issuer, provider=other, provider_name="Provider",
                            scope=Scope(HKQF, "3", ("ICT (ISCED-F 06)",), ("HK",)), valid_from=FROM,
                            valid_until="2030-01-01T00:00:00Z"),
        build_agreement(regulator=issuer, recognised=other, scope=Scope(HKQF, "5"),
                        level_map=LevelMap(HKQF, NZQCF, (("4", "6"), ("5", "7"))),
                        credit_conversion=CreditConversion(HKQF, NZQCF, 1.0), valid_from=FROM),
        build_pathway(provider=issuer, pathway_id="https://p.example/pathways/cert", name="Certificate",
                      components=["https://p.example/a/1", "https://p.example/a/2"], min_components=1,
                      min_credits=10, credit_framework=ECTS, window_years=5,
                      award=PathwayAward("https://p.example/a/cert", "Certificate", "Both parts."), valid_from=FROM),
    ]


def test_the_trust_context_is_pinned_and_defined_here() -> None:
    assert TRUST_CONTEXT in default_registry()
    index = json.loads((Path(__file__).parents[2] / "src/vcnode/jsonld/contexts/index.json").read_text())
    assert index[TRUST_CONTEXT]["source"] == "vcnode: defined here"
    script = (Path(__file__).parents[2] / "scripts/update_contexts.py").read_text()
    assert TRUST_CONTEXT in script  # re-creating the folder keeps it


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
async def test_every_statement_kind_signs_and_verifies_in_safe_mode(resolver: Resolver, suite: str) -> None:
    key = did_key_signer()
    for document in _statements(did_of(key), "did:example:other"):
        report = await verify_credential(issue_credential(document, key, suite=suite), resolver)
        assert report.verified, (document["type"], report.to_json()["errors"])


def test_builders_and_parsers_agree() -> None:
    framework, accreditation, agreement, pathway = (parse_statement(d) for d in _statements("did:example:r",
                                                                                          "did:example:p"))
    assert isinstance(framework, FrameworkDescriptor)
    assert framework.levels[0] == Level("1", "Level 1") and framework.rank("3") == 2 and framework.rank("9") is None
    assert framework.matches("qf") and framework.matches(HKQF) and not framework.matches("EQF")
    assert framework.credit_unit == CreditUnit("QF credit", 10.0)
    assert isinstance(accreditation, Accreditation)
    assert accreditation.provider == "did:example:p" and accreditation.scope == Scope(HKQF, "3", ("ICT (ISCED-F 06)",),
                                                                                      ("HK",))
    assert accreditation.valid_until is not None and accreditation.valid_until.year == 2030
    assert isinstance(agreement, RecognitionAgreement)
    assert agreement.level_map is not None and agreement.level_map.map("4") == "6" and agreement.level_map.map("3") \
        is None
    assert agreement.credit_conversion == CreditConversion(HKQF, NZQCF, 1.0)
    assert isinstance(pathway, Pathway)
    assert pathway.min_components == 1 and pathway.window_years == 5.0 and pathway.issuers() == ("did:example:r",)


def _broken(index: int, change: Any) -> dict[str, Any]:
    document = copy.deepcopy(_statements("did:example:r", "did:example:p")[index])
    change(document)
    return document


@pytest.mark.parametrize(("index", "change", "path"), [
    (1, lambda d: d["@context"].remove(TRUST_CONTEXT), "@context"),
    (1, lambda d: d.update(type=["VerifiableCredential"]), "type"),
    (1, lambda d: d.pop("id"), "id"),
    (1, lambda d: d.update(issuer="not a url"), "issuer"),
    (1, lambda d: d.update(validUntil="soon"), "validUntil"),
    (1, lambda d: d.update(credentialSubject=[d["credentialSubject"], d["credentialSubject"]]), "credentialSubject"),
    (1, lambda d: d["credentialSubject"].update(id="did:example:r"), "credentialSubject.id"),
    (1, lambda d: d["credentialSubject"]["scope"].pop("framework"), "credentialSubject.scope"),
    (1, lambda d: d["credentialSubject"]["scope"].update(fieldOfStudy=[""]), "credentialSubject.scope.fieldOfStudy[0]"),
    (0, lambda d: d["credentialSubject"].pop("frameworkCode"), "credentialSubject.frameworkCode"),
    (0, lambda d: d["credentialSubject"]["creditUnit"].update(notionalHours=0),
     "credentialSubject.creditUnit.notionalHours"),
    (0, lambda d: d["credentialSubject"]["frameworkLevel"].append({"levelCode": "1"}),
     "credentialSubject.frameworkLevel"),
    (2, lambda d: d["credentialSubject"]["levelMap"].update(fromFramework=EQF),
     "credentialSubject.levelMap.fromFramework"),
    (2, lambda d: d["credentialSubject"]["creditConversion"].update(factor=-1),
     "credentialSubject.creditConversion.factor"),
    (2, lambda d: d["credentialSubject"]["levelMap"]["levelMapping"].append({"fromLevel": "4", "toLevel": "7"}),
     "credentialSubject.levelMap"),
    (3, lambda d: d["credentialSubject"].update(minComponents=3), "credentialSubject.minComponents"),
    (3, lambda d: d["credentialSubject"].pop("creditFramework"), "credentialSubject.creditFramework"),
    (3, lambda d: d["credentialSubject"]["award"].pop("name"), "credentialSubject.award.name"),
])
def test_malformed_statements_are_refused_with_the_member_named(index: int, change: Any, path: str) -> None:
    with pytest.raises(StatementError) as caught:
        parse_statement(_broken(index, change))
    assert caught.value.path == path, caught.value.detail
    assert caught.value.code == "invalidStatement" and caught.value.status == 422


def test_builders_refuse_what_the_parser_would() -> None:
    with pytest.raises(StatementError, match="maxLevel needs"):
        build_accreditation(regulator="did:example:r", provider="did:example:p", scope=Scope(None, "4"),
                            valid_from=FROM)


def test_open_badges_endorsements_are_read(vectors: Path) -> None:
    sample = json.loads((vectors / "ob3" / "endorsement-valid.json").read_text())
    assert is_statement(sample)
    endorsement = parse_statement(sample)
    assert isinstance(endorsement, Endorsement)
    assert (endorsement.issuer, endorsement.subject) == ("https://state.gov/issuers/565049",
                                                         "https://1edtech.edu/issuers/565049")
    assert endorsement.comment == "1EdTech University is in good standing"


def test_a_credential_that_is_not_a_statement_is_refused() -> None:
    badge = example_badge("hk-cloud-data", issuer="did:example:p", learner_id="did:example:l",
                          credential_id="urn:uuid:1")
    assert not is_statement(badge)
    with pytest.raises(StatementError, match="exactly one of"):
        parse_statement(badge)


def test_the_index_replaces_removes_and_finds_frameworks_by_any_name() -> None:
    index = InMemoryStatements()
    framework, accreditation, agreement, _ = _statements("did:example:r", "did:example:p")
    for document in (framework, accreditation, agreement):
        index.add_document(document)
    assert len(index) == 3
    assert [e.statement.id for e in index.accreditations_of("did:example:p")] == [accreditation["id"]]
    assert [e.statement.id for e in index.agreements_recognising("did:example:p")] == [agreement["id"]]
    for name in ("HKQF", "hkqf", "qf", HKQF):
        found = index.framework(name)
        assert found is not None and found.statement.code == "HKQF"
    index.set_status(accreditation["id"], "withdrawn")
    assert index.accreditations_of("did:example:p")[0].status == "withdrawn"
    index.flag_equivocation("did:example:r")
    assert all(entry.equivocated for entry in index)
    index.remove(accreditation["id"])
    assert index.accreditations_of("did:example:p") == () and index.get(accreditation["id"]) is None


def test_a_forged_framework_descriptor_does_not_shadow_the_real_one() -> None:
    index = InMemoryStatements()
    real = _statements("did:example:owner", "did:example:p")[0]
    fake = copy.deepcopy(real) | {"id": "urn:uuid:fake"}
    fake["credentialSubject"]["frameworkLevel"] = [{"levelCode": "7"}, {"levelCode": "1"}]
    index.add_document(fake, proof="failed")
    index.add_document(real)
    found = index.framework("HKQF")
    assert found is not None and found.statement.id == real["id"]


async def test_the_examples_are_marked_signed_by_their_parties_and_verify(resolver: Resolver) -> None:
    folder = Path(__file__).parents[2] / "src/vcnode/trust/examples"
    for path in folder.glob("*.json"):
        assert json.loads(path.read_text())["_note"].startswith("EXAMPLE DATA, NOT OFFICIAL"), path.name
    world = World()
    signed = example_statements(world.keys)
    assert len(signed) == len(example_documents({role: world.did(role) for role in ROLES}))
    assert len({s["id"] for s in signed}) == len(signed) == 8
    for statement in signed:
        report = await verify_credential(statement, resolver)
        assert report.verified, report.to_json()["errors"]
        parse_statement(statement)
    # Only the parties given take part, whatever their DIDs look like.
    for hk in (world.did("hk-regulator"), "did:example:hk"):
        documents = example_documents({"hk-regulator": hk})
        assert {d["type"][1] for d in documents} == {"FrameworkDescriptorCredential", "AccreditationCredential"}
        assert {d["issuer"]["id"] for d in documents} == {hk}


@pytest.mark.parametrize("key", example_achievement_keys())
async def test_example_micro_credentials_issue_and_verify(resolver: Resolver, key: str) -> None:
    provider = did_key_signer()
    badge = example_badge(key, issuer=did_of(provider), learner_id="did:example:learner",
                          credential_id="urn:uuid:5b0f6a58-0000-4000-8000-000000000001")
    report = await verify_credential(issue_credential(badge, provider), resolver)
    assert report.verified, report.to_json()["errors"]


@pytest.mark.parametrize("kind", [{}, [{}], [["AccreditationCredential"]], 7, None])
def test_a_type_that_is_not_a_string_is_refused_not_raised(kind: Any) -> None:
    assert is_statement({"type": kind}) is False
    with pytest.raises(StatementError):
        parse_statement({"type": kind})
