"""What a replica may vouch for (issue 11, item 2): a verifier cut off from its peers holds an old replica of
an issuer's list; the issuer revoked since. The replica must not say "valid" once it is older than
``replica_max_age`` or once the node knows the issuer's log went further (an announced head it has not pulled):
``statusStale``, with its age and anchor in the report; with ``prefer_replicas`` the issuer is asked instead.

In-process but real: the issuer's anchor log and status lists are signed with its did:key, the verifier takes
them in through ``AnchorLog.ingest`` (as gossip does), and the lists are verified as on a node. Only the HTTP
hop to the issuer is a function (online: it serves the issuer's current list; offline: it fails).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from did_methods.key import KeyDriver
from tests.builders import badge, did_key_signer
from tests.unit.test_anchor import copy_of, did_of, node_log
from vcnode.anchor.cid import cid_for_bytes
from vcnode.anchor.entries import entry_cid, make_entry, make_head, published_statement
from vcnode.anchor.lists import AnchoredFetch
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.statements import STATUS_LIST_PUBLISHED
from vcnode.anchor.store import MemoryAnchorStore, StoredEntry
from vcnode.credentials import VerifyOptions, issue_credential
from vcnode.credentials.report import Report
from vcnode.credentials.verify import verify_status_list
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey
from vcnode.status.bitstring import MIN_ENTRIES, encode_list, new_bitstring, set_entry
from vcnode.status.check import FetchedList, StatusChecker, StatusListError
from vcnode.status.replicas import ReplicaBounds
from vcnode.store.anchors import SqlAnchorStore
from vcnode.store.sqlite import SqliteStore

URL = "https://issuer.example/status/1"
INDEX = 7


def status_list(key: SigningKey, revoked: bool) -> bytes:
    """The issuer's signed list credential, with entry ``INDEX`` set when ``revoked``."""
    bits = new_bitstring(MIN_ENTRIES)
    if revoked:
        set_entry(bits, INDEX, 1)
    did = did_of(key)
    return orjson.dumps(issue_credential({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "id": URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": did,
        "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2099-01-01T00:00:00Z",
        "credentialSubject": {"id": f"{URL}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode_list(bits)}}, key))


def credential(key: SigningKey) -> dict[str, Any]:
    return issue_credential({**badge(did_of(key)), "credentialStatus": {
        "id": f"{URL}#{INDEX}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": str(INDEX), "statusListCredential": URL}}, key)


async def anchor_at(log: AnchorLog, key: SigningKey, version: int, document: bytes, time: str) -> None:
    """The issuer anchors a publication with the signed time ``time`` (what AnchorLog.append does, dated)."""
    did = did_of(key)
    head = await log.store.head(did)
    seq, prev = (head["seq"] + 1, head["entry"] if head.get("type") == "AnchorHead" else entry_cid(head)) \
        if head else (1, None)
    cid = cid_for_bytes(document)
    entry = make_entry(key, did, seq, prev, published_statement(STATUS_LIST_PUBLISHED, URL, version, cid,
                                                                len(document)), time=time)
    await log.store.append([StoredEntry(did, seq, entry_cid(entry), entry)],
                           make_head(key, did, seq, entry_cid(entry), time=time), {cid: document})


def stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Scenario:
    """The issuer's log and lists, and a verifier's anchor log holding a copy of the issuer's log."""

    def __init__(self, verifier: AnchorLog) -> None:
        self.key = did_key_signer()
        self.did = did_of(self.key)
        self.issuer = node_log(self.key)
        self.verifier = verifier
        self.current = b""  # what the issuer serves now
        self.online = True
        self.pulls = 0

    async def publish(self, revoked: bool, time: datetime) -> None:
        self.current = status_list(self.key, revoked)
        head = await self.issuer.store.head(self.did)
        await anchor_at(self.issuer, self.key, (head["seq"] if head else 0) + 1, self.current, stamp(time))

    async def gossip(self) -> None:
        """The verifier takes in the issuer's log (what a pull from a peer does)."""
        held = await self.verifier.store.head(self.did)
        await copy_of(self.issuer, self.did, self.verifier, from_seq=held["seq"] if held else 1)

    async def direct(self, url: str) -> FetchedList:
        if not self.online:
            raise StatusListError("statusUnavailable", f"cannot fetch the status list {url}: connection refused")
        return FetchedList(self.current, None, {"source": "issuer"})

    async def pull_log(self, origin: str, log: str) -> None:
        self.pulls += 1
        await self.gossip()  # the issuer's own node answers with its newest entries

    def checker(self, **bounds: Any) -> tuple[StatusChecker, AnchoredFetch]:
        prefer = bounds.pop("prefer_replicas", False)
        replicas = ReplicaBounds(lag=self.verifier.lag, **bounds)
        fetch = AnchoredFetch(self.verifier, self.direct, prefer_replicas=prefer, replicas=replicas,
                              pull_log=self.pull_log)
        resolver = Resolver([KeyDriver()])
        checker = StatusChecker(fetch, lambda doc: verify_status_list(doc, resolver, VerifyOptions()),
                                replicas=replicas)
        return checker, fetch

    async def check(self, checker: StatusChecker, now: datetime | None = None) -> tuple[Report, dict[str, Any]]:
        report = Report()
        await checker.check(credential(self.key), report, now or datetime.now(UTC))
        [entry] = report.results["status"]["entries"]
        return report, entry


def codes(report: Report) -> list[str]:
    return [e.code for e in report.errors]


@pytest.fixture
async def scenario() -> Scenario:
    """Published (not revoked) two hours ago, gossiped to the verifier; then revoked, and the verifier was cut
    off: it never heard of the revocation."""
    cut_off = Scenario(node_log())
    await cut_off.publish(False, datetime.now(UTC) - timedelta(hours=2))
    await cut_off.gossip()
    await cut_off.publish(True, datetime.now(UTC) - timedelta(minutes=5))
    return cut_off


async def test_an_old_replica_is_stale_once_the_issuer_is_offline(scenario: Scenario) -> None:
    scenario.online = False
    checker, _ = scenario.checker(max_age=3600)
    report, entry = await scenario.check(checker)
    assert codes(report) == ["statusStale"] and not report.verified, report.to_json()
    assert "status" not in entry and entry["error"] == "statusStale" and entry["source"] == "replica"
    anchor = entry["anchor"]
    assert (anchor["log"], anchor["seq"], anchor["maxAgeSeconds"]) == (scenario.did, 1, 3600)
    assert 7190 <= anchor["ageSeconds"] <= 7300, anchor
    assert "anchored 72" in report.errors[0].message and report.errors[0].path == "credentialStatus"


async def test_a_young_replica_still_vouches_and_its_age_is_reported(scenario: Scenario) -> None:
    scenario.online = False
    checker, _ = scenario.checker(max_age=3 * 3600)
    report, entry = await scenario.check(checker)
    assert report.verified and entry["status"] == 0 and entry["source"] == "replica", report.to_json()
    assert entry["anchor"]["ageSeconds"] >= 7190 and "maxAgeSeconds" not in entry["anchor"]
    # … until it is older than the bound: checked on every check, not only when the list is fetched.
    report, entry = await scenario.check(checker, datetime.now(UTC) + timedelta(hours=2))
    assert codes(report) == ["statusStale"] and "status" not in entry


async def test_a_replica_behind_an_announced_head_is_stale_whatever_its_age(scenario: Scenario) -> None:
    scenario.online = False
    checker, _ = scenario.checker(max_age=3 * 3600)
    assert (await scenario.check(checker))[0].verified  # fresh enough, and nothing says it is behind
    # A peer announces entry 2 of the issuer's log; forged gossip stops this node pulling it.
    await scenario.verifier.store.note_announced([(scenario.did, 2, "bafyannounced")], "did:example:peer")
    report, entry = await scenario.check(checker)
    assert codes(report) == ["statusStale"], report.to_json()
    anchor = entry["anchor"]
    assert (anchor["heldSeq"], anchor["announcedSeq"]) == (1, 2) and anchor["announcedAt"], anchor
    assert "announced entry 2" in report.errors[0].message
    # Once the node catches up, the note is gone and the replica is the revoked list.
    await scenario.gossip()
    assert await scenario.verifier.store.announced(scenario.did) == []
    checker, _ = scenario.checker(max_age=3 * 3600)
    report, entry = await scenario.check(checker)
    assert codes(report) == ["revoked"] and entry["anchor"]["seq"] == 2 and entry["source"] == "replica"


async def test_prefer_replicas_asks_the_online_issuer_when_the_replica_is_stale(scenario: Scenario) -> None:
    checker, _ = scenario.checker(max_age=3600, prefer_replicas=True)
    report, entry = await scenario.check(checker)
    assert codes(report) == ["revoked"], report.to_json()
    assert entry["source"] == "issuer" and entry["anchor"]["seq"] == 2 and scenario.pulls == 1


async def test_prefer_replicas_asks_the_issuer_when_a_newer_head_was_announced(scenario: Scenario) -> None:
    checker, _ = scenario.checker(max_age=3 * 3600, prefer_replicas=True)
    await scenario.verifier.store.note_announced([(scenario.did, 2, "bafyannounced")], "did:example:peer")
    report, entry = await scenario.check(checker)
    assert codes(report) == ["revoked"] and entry["source"] == "issuer", report.to_json()


async def test_prefer_replicas_uses_a_fresh_replica_without_asking_the_issuer(scenario: Scenario) -> None:
    await scenario.gossip()  # the verifier holds the newest version, anchored five minutes ago
    scenario.current = b"the issuer must not be asked"
    checker, _ = scenario.checker(max_age=3600, prefer_replicas=True)
    report, entry = await scenario.check(checker)
    assert codes(report) == ["revoked"] and entry["source"] == "replica" and scenario.pulls == 0


async def test_failing_open_makes_a_stale_replica_a_warning(scenario: Scenario) -> None:
    scenario.online = False
    checker, _ = scenario.checker(max_age=3600, fail_open=True)
    report, entry = await scenario.check(checker)
    assert report.verified and [w.code for w in report.warnings] == ["statusStale"], report.to_json()
    assert entry["status"] == 0 and entry["stale"] is True and entry["anchor"]["maxAgeSeconds"] == 3600


async def test_an_anchoring_time_in_the_future_is_not_believed() -> None:
    scenario = Scenario(node_log())
    await scenario.publish(False, datetime.now(UTC) + timedelta(days=365))
    await scenario.gossip()
    scenario.online = False
    report, _ = await scenario.check(scenario.checker(max_age=3600)[0])
    assert codes(report) == ["statusStale"] and "future" in report.errors[0].message


@pytest.fixture(params=["memory", "sqlite"])
async def store_log(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        yield AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), lambda _: None)
        return
    store = SqliteStore(tmp_path / "a.sqlite3")
    await store.open()
    try:
        yield AnchorLog(SqlAnchorStore(store), Resolver([KeyDriver()]), lambda _: None)
    finally:
        await store.close()


async def test_lag_reports_announced_heads_beyond_a_held_log(store_log: AnchorLog) -> None:
    scenario = Scenario(store_log)
    store, did = store_log.store, scenario.did
    now = datetime.now(UTC)
    await store.note_announced([(did, 5, "bafy5")], "did:example:a")  # a log this node does not hold
    assert await store.announced(did) == [] and await store_log.lag(did) is None
    await scenario.publish(False, now)
    await scenario.gossip()
    await store.note_announced([(did, 1, "bafy1")], "did:example:a")  # not beyond the held head
    assert await store_log.lag(did) is None
    await store.note_announced([(did, 3, "bafy3")], "did:example:a")
    await store.note_announced([(did, 4, "bafy4")], "did:example:b")
    lag = await store_log.lag(did)
    assert lag is not None and (lag["heldSeq"], lag["announcedSeq"], lag["announcers"]) == (1, 4, 2), lag
    # An announcer that cannot serve its claim is forgotten: only the other claim is left.
    await store.forget_announced("did:example:b", did)
    assert (await store_log.lag(did))["announcedSeq"] == 3
    for _ in range(2):  # the node pulls up to the claim: no longer behind
        await scenario.publish(False, now)
    await scenario.gossip()
    assert await store_log.lag(did) is None
