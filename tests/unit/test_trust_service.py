"""The node's trust service, in process: statements anchored by their issuers' logs and taken in by a
verifier's node as gossip delivers them (real signatures, real anchor logs, real status lists), then
evaluated with their status confirmed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from did_methods.key import KeyDriver
from tests.trust_builders import NOW, World
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.credentials import issue_credential
from vcnode.credentials.verify import VerifyOptions, verify_status_list
from vcnode.did.resolver import Resolver
from vcnode.errors import InvalidInput
from vcnode.status.bitstring import encode_list, new_bitstring, set_entry
from vcnode.status.check import FetchedList, StatusChecker
from vcnode.trust.examples import example_documents
from vcnode.trust.service import (
    RecognitionRequest,
    TrustService,
    TrustSettings,
    complete_statement,
    recognition_request,
)

ACCREDITATION = "https://vcnode.dev/examples/statements/accreditation-hk"
AGREEMENT = "https://vcnode.dev/examples/statements/agreement-nz-hk"
LIST_URL = "https://hk-regulator.example/status/1"
INDEX = 41


class Scenario:
    """The example parties, each with its own anchor log, and an employer node taking their logs in."""

    def __init__(self) -> None:
        self.world = World()
        self.resolver = Resolver([KeyDriver()])
        self.logs: dict[str, AnchorLog] = {}
        self.lists: dict[str, bytes] = {}
        self.bits = new_bitstring(131_072)
        self.employer = AnchorLog(MemoryAnchorStore(), self.resolver, lambda _did: None)
        self.checker = StatusChecker(self.fetch, lambda doc: verify_status_list(doc, self.resolver, VerifyOptions()))
        self.trust = TrustService(self.employer, self.resolver, self.checker,
                                  TrustSettings(anchors=(self.world.did("nz-regulator"),)))
        self.publish_list()

    async def fetch(self, url: str) -> FetchedList:
        if url not in self.lists:
            raise OSError(f"connection refused: {url}")
        return FetchedList(self.lists[url])

    def publish_list(self) -> None:
        """The HK regulator's revocation list, signed, at LIST_URL."""
        document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": LIST_URL,
                    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                    "issuer": self.world.did("hk-regulator"),
                    "credentialSubject": {"id": f"{LIST_URL}#list", "type": "BitstringStatusList",
                                          "statusPurpose": "revocation", "encodedList": encode_list(self.bits)}}
        self.lists[LIST_URL] = orjson.dumps(issue_credential(document, self.world.keys["hk-regulator"]))
        self.checker.invalidate()
        self.trust.invalidate_status()

    def documents(self) -> dict[str, dict[str, Any]]:
        dids = {role: self.world.did(role) for role in ("hk-regulator", "hk-provider", "nz-regulator")}
        docs = {d["id"]: d for d in example_documents(dids, ("frameworks", "accreditations", "agreements"))}
        docs[ACCREDITATION]["credentialStatus"] = {
            "id": f"{LIST_URL}#{INDEX}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(INDEX), "statusListCredential": LIST_URL}
        return docs

    async def anchor(self, role: str, signed: dict[str, Any]) -> None:
        """``role``'s node anchors a signed document in its own log, and the employer takes the log in."""
        did = self.world.did(role)
        if role not in self.logs:
            self.logs[role] = AnchorLog(MemoryAnchorStore(), self.resolver, {did: self.world.keys[role]}.get)
        await self.logs[role].publish_trust_statement(did, signed["id"], orjson.dumps(signed))
        await self.deliver(role)

    async def deliver(self, role: str) -> None:
        did = self.world.did(role)
        store = self.logs[role].store
        head = await store.head(did)
        entries = [e.document for e in await store.entries(did, 1, 1000)]
        blobs = {e["statement"]["payload"]: await store.blob(e["statement"]["payload"]) for e in entries}
        await self.employer.ingest(head, entries, {cid: data for cid, data in blobs.items() if data is not None})
        await self.trust.sync(did)

    async def publish_examples(self) -> None:
        for document in self.documents().values():
            await self.anchor(_role(self.world, document), self.world.sign(document))


def _role(world: World, document: dict[str, Any]) -> str:
    issuer = document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"]
    return next(role for role in world.keys if world.did(role) == issuer)


@pytest.fixture
async def scenario() -> Scenario:
    built = Scenario()
    await built.publish_examples()
    return built


def _badge(scenario: Scenario) -> dict[str, Any]:
    return scenario.world.badge()


async def test_statements_replicated_through_anchor_logs_are_verified_and_recognise_the_provider(
        scenario: Scenario) -> None:
    held = {s["id"]: s for s in scenario.trust.statements()}
    assert len(held) == 4 and all(s["proof"] == "verified" for s in held.values())
    assert held[ACCREDITATION]["anchor"]["log"] == scenario.world.did("hk-regulator")
    report = await scenario.trust.recognise(_badge(scenario), now=NOW)
    assert report.recognised.value == "ok", report.to_json()
    assert [hop.statement for hop in report.path.hops] == [AGREEMENT, ACCREDITATION]
    hop = report.path.hops[1].to_json()
    assert hop["evidence"]["status"] == "valid" and hop["evidence"]["source"] == "replica"
    assert hop["evidence"]["anchor"]["log"] == scenario.world.did("hk-regulator")
    assert (report.equivalent.framework_code, report.equivalent.level) == ("NZQCF", "6")


async def test_a_withdrawal_is_seen_once_the_status_list_changes_and_an_unreachable_list_is_unchecked(
        scenario: Scenario) -> None:
    assert (await scenario.trust.recognise(_badge(scenario), now=NOW)).recognised.value == "ok"
    set_entry(scenario.bits, INDEX, 1)
    scenario.publish_list()
    report = await scenario.trust.recognise(_badge(scenario), now=NOW)
    assert report.recognised.value == "failed"
    assert [(r.code, r.detail.get("statement")) for r in report.reasons] == [("withdrawn", ACCREDITATION)]
    # The list cannot be fetched any more: the status is not known, which is never reported as withdrawn or ok.
    del scenario.lists[LIST_URL]
    scenario.checker.invalidate()
    scenario.trust.invalidate_status()
    report = await scenario.trust.recognise(_badge(scenario), now=NOW)
    assert report.to_json()["recognised"] == "unchecked"
    assert report.reasons[0].code == "statusUnchecked"
    assert report.path.hops[1].to_json()["evidence"]["statusCheck"]["code"] == "statusUnavailable"


async def test_a_statement_anchored_by_a_log_that_is_not_its_issuer_is_ignored(scenario: Scenario) -> None:
    # Mallory replays the HK accreditation in her own log, and anchors her own statement under its id.
    genuine = scenario.trust.document(ACCREDITATION)
    await scenario.anchor("mallory", genuine)
    squatter = copy.deepcopy(scenario.documents()[ACCREDITATION])
    squatter["issuer"] = scenario.world.did("mallory")
    squatter["credentialSubject"]["scope"]["maxLevel"] = "7"
    await scenario.anchor("mallory", scenario.world.sign(squatter))
    assert scenario.trust.document(ACCREDITATION) == genuine
    assert [s["issuer"] for s in scenario.trust.statements() if s["id"] == ACCREDITATION] == \
        [scenario.world.did("hk-regulator")]


async def test_a_tampered_statement_in_its_issuers_own_log_is_reported_forged(scenario: Scenario) -> None:
    tampered = scenario.world.sign(scenario.documents()[ACCREDITATION])
    tampered["credentialSubject"]["scope"]["maxLevel"] = "7"  # after signing
    await scenario.anchor("hk-regulator", tampered)
    held = {s["id"]: s for s in scenario.trust.statements()}
    assert held[ACCREDITATION]["proof"] == "failed" and held[ACCREDITATION]["proofError"] == "invalidSignature"
    report = await scenario.trust.recognise(_badge(scenario), now=NOW)
    assert report.recognised.value == "failed"
    assert report.reasons[0].code == "forgedStatement"


async def test_statements_of_an_issuer_that_equivocated_are_flagged(scenario: Scenario) -> None:
    did = scenario.world.did("hk-regulator")
    first = (await scenario.employer.store.entry(did, 1)).document
    # The HK regulator's node signs a different entry 1 (a forked log) and shows it to a peer.
    forked = AnchorLog(MemoryAnchorStore(), scenario.resolver, {did: scenario.world.keys["hk-regulator"]}.get)
    other = await forked.publish_trust_statement(did, "https://hk.example/other", b"{}")
    assert await scenario.employer.take_equivocation({"documents": [first, other]}) is not None
    await scenario.trust.sync(did)
    report = await scenario.trust.recognise(_badge(scenario), now=NOW)
    assert [(w.code, w.detail["statement"]) for w in report.warnings] == [("issuerEquivocated", ACCREDITATION)]
    hops = report.to_json()["path"]["hops"]
    assert "warnings" not in hops[0] and hops[1]["warnings"][0]["code"] == "issuerEquivocated"


def test_recognition_options_are_parsed_strictly() -> None:
    assert recognition_request({}, False) is None
    assert recognition_request({}, True) == RecognitionRequest()
    assert recognition_request({"recognition": False}, True) is None
    assert recognition_request({"recognition": {"framework": "NZQCF"}}, False) == RecognitionRequest("NZQCF")
    for bad in ("yes", 1, {"framework": 3}, {"anchors": []}, {"framework": ""}):
        with pytest.raises(InvalidInput):
            recognition_request({"recognition": bad}, False)


def test_complete_statement_fills_only_what_is_missing() -> None:
    now = datetime(2026, 11, 23, 10, 0, 0, 123, tzinfo=UTC)
    filled = complete_statement({"type": ["VerifiableCredential"]}, issuer="did:key:z", base_url="http://n", now=now)
    assert filled["issuer"] == "did:key:z" and filled["validFrom"] == "2026-11-23T10:00:00Z"
    assert filled["id"].startswith("http://n/trust/statements/")
    written = {"issuer": "did:key:other", "id": "https://x.example/s", "validFrom": "2025-01-01T00:00:00Z"}
    assert complete_statement(written, issuer="did:key:z", base_url="http://n", now=now) == written


async def test_an_open_badges_endorsement_replicated_through_a_log_is_a_verified_quality_signal(
        scenario: Scenario) -> None:
    from vcnode.credentials.openbadges import OB_CONTEXT
    world = scenario.world
    endorsement = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT], "id": "https://industry.example/e/1",
        "type": ["VerifiableCredential", "EndorsementCredential"], "name": "Industry endorsement",
        "issuer": {"id": world.did("industry-body"), "type": ["Profile"], "name": "Example industry body"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": world.did("hk-provider"), "type": ["EndorsementSubject"],
                              "endorsementComment": "Graduates are job-ready."}}
    await scenario.anchor("industry-body", world.sign(endorsement))
    report = await scenario.trust.recognise(_badge(scenario), now=NOW)
    signals = [(s.kind, s.statement, s.result.value) for s in report.signals]
    assert ("endorsement", "https://industry.example/e/1", "ok") in signals
    assert report.recognised.value == "ok"  # a weaker signal: reported, never deciding recognition
