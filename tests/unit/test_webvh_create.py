"""Building did:webvh logs: SCID and versionIds of new entries, version times, the parallel did:web document
and witness proofs as a witness makes them."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tests.webvh_builders import LogBuilder, at, key
from vcnode.identity.webvh import next_version_time, parallel_web_document, web_did_of
from vcnode.webvh.hashing import derive_scid, entry_hash
from vcnode.webvh.identifier import parse_webvh_did
from vcnode.webvh.log import apply_witnesses, verify_log
from vcnode.webvh.versions import resolve_version
from vcnode.webvh.witness import witness_did, witness_proof


def test_a_new_log_has_its_scid_everywhere_and_chained_version_ids() -> None:
    log = LogBuilder("example.com", ("issuers", "law")).create(key(1)).update(key(1))
    first, second = log.entries
    scid = first["parameters"]["scid"]
    assert "{SCID}" not in orjson.dumps(first).decode()
    assert first["state"]["id"] == f"did:webvh:{scid}:example.com:issuers:law"
    assert first["state"]["alsoKnownAs"] == ["did:web:example.com:issuers:law"]
    assert derive_scid(first, scid) == scid
    assert first["versionId"] == f"1-{entry_hash(first, scid)}"
    assert second["versionId"] == f"2-{entry_hash(second, first['versionId'])}"
    assert first["proof"][0]["verificationMethod"] == f"did:key:{key(1).public_multikey}#{key(1).public_multikey}"
    assert log.jsonl().count(b"\n") == 2 and b"\n " not in log.jsonl()


@pytest.mark.parametrize(("previous", "now", "expected"), [
    (None, "2025-01-01T10:00:00.700000+00:00", "2025-01-01T10:00:00Z"),       # the first entry: rounded down
    ("2025-01-01T09:00:00Z", "2025-01-01T10:00:00.200000+00:00", "2025-01-01T10:00:01Z"),  # later: rounded up
    ("2025-01-01T09:00:00Z", "2025-01-01T10:00:00+00:00", "2025-01-01T10:00:00Z"),
    ("2025-01-01T10:00:00Z", "2025-01-01T10:00:00+00:00", "2025-01-01T10:00:01Z"),  # strictly after previous
    ("2025-01-01T10:00:05Z", "2025-01-01T10:00:00+00:00", "2025-01-01T10:00:06Z"),
    (None, "2025-01-01T11:00:00+01:00", "2025-01-01T10:00:00Z"),
])
def test_next_version_time(previous: str | None, now: str, expected: str) -> None:
    assert next_version_time(previous, datetime.fromisoformat(now)) == expected


def test_the_parallel_did_web_document() -> None:
    log = LogBuilder("example.com").create(key(1))
    scid = log.entries[0]["parameters"]["scid"]
    verified = verify_log(log.jsonl(), parse_webvh_did(log.did), now=datetime.now(UTC))
    resolved = resolve_version(verified, {}).document
    assert resolved is not None
    web = parallel_web_document(resolved, scid)
    assert web["id"] == "did:web:example.com" == web_did_of(log.did)
    assert web["alsoKnownAs"] == [log.did]  # the did:web itself is not listed as its own alias
    assert web["verificationMethod"][0]["id"] == f"did:web:example.com#{key(1).public_multikey}"
    assert web["verificationMethod"][0]["controller"] == "did:web:example.com"
    assert [service["id"] for service in web["service"]] == ["#files", "#whois"]
    assert scid not in orjson.dumps({k: v for k, v in web.items() if k != "alsoKnownAs"}).decode()


def test_a_witness_approves_a_version_and_the_resolver_counts_it() -> None:
    rule = {"threshold": 1, "witnesses": [{"id": witness_did(key(10))}]}
    log = LogBuilder().create(key(1), {"witness": rule})
    item = witness_proof(log.entries[0]["versionId"], key(10), at(0))
    assert item["versionId"] == log.entries[0]["versionId"]
    [proof] = item["proof"]
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof", "eddsa-jcs-2022", "assertionMethod")
    verified = verify_log(log.jsonl(), parse_webvh_did(log.did), now=datetime.now(UTC))
    assert apply_witnesses(verified, [item]).error is None


def test_a_witness_approves_only_a_candidate_that_verifies_and_names_it() -> None:
    from vcnode.webvh.approve import approve
    from vcnode.webvh.errors import WebvhError

    rule = {"threshold": 1, "witnesses": [{"id": witness_did(key(10))}]}
    log = LogBuilder().create(key(1), {"witness": rule}).update(key(1))
    now = datetime(2025, 6, 1, tzinfo=UTC)
    first = approve(b"", log.entries[0], key(10), now=now, created=at(0))
    second = approve(LogBuilder.jsonl_of(log.entries[:1]), log.entries[1], key(10), now=now, created=at(1))
    verified = verify_log(log.jsonl(), parse_webvh_did(log.did), now=now)
    assert apply_witnesses(verified, [first, second]).error is None
    with pytest.raises(WebvhError) as caught:
        approve(b"", log.entries[0], key(11), now=now, created=at(0))
    assert caught.value.code == "notAWitness"
    tampered = {**log.entries[1], "state": {**log.entries[1]["state"], "alsoKnownAs": []}}
    with pytest.raises(WebvhError) as caught:
        approve(LogBuilder.jsonl_of(log.entries[:1]), tampered, key(10), now=now, created=at(1))
    assert caught.value.code == "entryHashMismatch"
    with pytest.raises(WebvhError) as caught:  # a candidate that is not the next entry of the witness's copy
        approve(b"", log.entries[1], key(10), now=now, created=at(1))
    assert caught.value.code in {"invalidVersionId", "invalidParameters"}
