"""did:webvh log verification: logs the node builds verify, and each kind of tampering is rejected by name."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.webvh_builders import LogBuilder, at, key
from vcnode.identity.webvh import to_jsonl
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.hashing import key_hash
from vcnode.webvh.identifier import parse_webvh_did
from vcnode.webvh.log import VerifiedLog, apply_witnesses, verify_log
from vcnode.webvh.versions import Selected, resolve_version
from vcnode.webvh.witness import witness_did, witness_proof

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def verify(log: LogBuilder | list[dict[str, Any]], did: str | None = None, witnesses: Any = None,
           now: datetime = NOW) -> VerifiedLog:
    entries = log.entries if isinstance(log, LogBuilder) else log
    text = to_jsonl(entries)
    verified = verify_log(text, parse_webvh_did(did or entries[0]["state"]["id"]), now=now)
    return apply_witnesses(verified, witnesses)


def resolve(log: LogBuilder | list[dict[str, Any]], query: dict[str, str] | None = None, **kwargs: Any) -> Selected:
    return resolve_version(verify(log, **kwargs), query or {})


def rejection(log: LogBuilder | list[dict[str, Any]], query: dict[str, str] | None = None, **kwargs: Any
              ) -> WebvhError:
    with pytest.raises(WebvhError) as caught:
        resolve(log, query, **kwargs)
    return caught.value


def rotated_twice() -> LogBuilder:
    """Created with key 1, rotated to key 2 (signed by key 1), then to key 3 (signed by key 2)."""
    log = LogBuilder().create(key(1))
    log.update(key(1), {"updateKeys": [key(2).public_multikey]}, document_key=key(2))
    return log.update(key(2), {"updateKeys": [key(3).public_multikey]}, document_key=key(3))


def test_a_created_and_rotated_log_verifies() -> None:
    log = rotated_twice()
    verified = verify(log)
    assert verified.error is None and [v.number for v in verified.versions] == [1, 2, 3]
    latest = resolve(log)
    assert latest.document is not None and latest.document["id"] == log.did
    assert latest.document["verificationMethod"][0]["publicKeyMultibase"] == key(3).public_multikey
    assert latest.metadata["versionNumber"] == 3 and latest.metadata["scid"] == log.did.split(":")[2]
    assert latest.metadata["created"] == at(0) and latest.metadata["updated"] == at(2)
    assert (latest.metadata["ttl"], latest.metadata["witness"], latest.metadata["deactivated"]) == ("3600", {}, False)
    first = resolve(log, {"versionNumber": "1"})
    assert first.document is not None
    assert first.document["verificationMethod"][0]["publicKeyMultibase"] == key(1).public_multikey
    services = {service["id"]: service["serviceEndpoint"] for service in first.document["service"]}
    assert services == {"#files": "https://example.com", "#whois": "https://example.com/whois.vp"}


# --- the hash chain -----------------------------------------------------------------------------------------

def test_an_edited_entry_breaks_the_hash_chain() -> None:
    log = rotated_twice()
    log.entries[1]["state"]["alsoKnownAs"] = ["did:web:attacker.example"]
    error = rejection(log)
    assert error.code == "entryHashMismatch" and error.detail.startswith("entry 2")
    assert error.resolution_error == "invalidDid"
    assert resolve(log, {"versionNumber": "1"}).metadata["versionNumber"] == 1  # the prefix stays usable


def test_an_entry_from_another_chain_breaks_the_hash_chain() -> None:
    log = rotated_twice()
    # A validly signed second entry of another log (same key, another first entry): it hashes onto that
    # log's first versionId, not this one's.
    other = LogBuilder().create(key(1), {"ttl": 60}).update(key(1), {"updateKeys": [key(2).public_multikey]},
                                                              document_key=key(2))
    log.entries[1] = other.entries[1]
    error = rejection(log)
    assert error.code == "entryHashMismatch" and "entry 2" in error.detail


def test_a_missing_entry_is_a_gap_in_the_version_numbers() -> None:
    log = rotated_twice()
    del log.entries[1]
    assert rejection(log).code == "invalidVersionId"


@pytest.mark.parametrize("version_id", ["2", "2-", "02-Qm", "2-Qm-x", "two-Qm", "2-QmNotAMultihash"])
def test_malformed_version_ids(version_id: str) -> None:
    log = rotated_twice()
    log.entries[1]["versionId"] = version_id
    assert rejection(log).code == "invalidVersionId"


# --- the SCID -----------------------------------------------------------------------------------------------

def test_a_log_for_another_scid_is_rejected() -> None:
    log = rotated_twice()
    other = "did:webvh:QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p:example.com"
    assert rejection(log, did=other).code == "scidMismatch"


def test_a_tampered_scid_parameter_is_rejected() -> None:
    log = rotated_twice()
    log.entries[0]["parameters"]["scid"] = "QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p"
    assert rejection(log).code == "scidMismatch"


def test_a_state_id_with_another_scid_is_rejected_even_when_signed() -> None:
    log = LogBuilder().create(key(1))
    other = log.did.replace(log.did.split(":")[2], "QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p")
    log.update(key(1), state={**log.entries[0]["state"], "id": other})
    error = rejection(log)
    assert error.code == "scidMismatch" and "entry 2" in error.detail


def test_the_resolved_did_must_be_named_by_the_log() -> None:
    log = rotated_twice()
    elsewhere = log.did.replace("example.com", "example.org")
    assert rejection(log, did=elsewhere).code == "didNotInLog"


# --- proofs and authorised keys -----------------------------------------------------------------------------

def test_an_update_signed_by_an_unknown_key_is_rejected() -> None:
    log = LogBuilder().create(key(1)).update(key(9))
    error = rejection(log)
    assert error.code == "unauthorizedKey" and "entry 2" in error.detail


def test_a_rotated_out_key_can_no_longer_sign() -> None:
    log = LogBuilder().create(key(1))
    log.update(key(1), {"updateKeys": [key(2).public_multikey]}, document_key=key(2))
    log.update(key(1), {"ttl": 60}, document_key=key(2))
    assert rejection(log).code == "unauthorizedKey"


def test_a_first_entry_signed_by_a_key_it_does_not_authorise() -> None:
    log = LogBuilder().create(key(1), {"updateKeys": [key(2).public_multikey]})
    assert rejection(log).code == "unauthorizedKey"


@pytest.mark.parametrize(("field", "value"), [
    ("cryptosuite", "ecdsa-jcs-2019"), ("type", "Ed25519Signature2020"), ("proofPurpose", "authentication"),
    ("proofValue", "z" + "1" * 86),
])
def test_proofs_that_are_not_valid_eddsa_jcs_2022_assertions(field: str, value: str) -> None:
    log = rotated_twice()
    log.entries[1]["proof"][0][field] = value
    assert rejection(log).code == "invalidProof"


def test_a_did_key_whose_fragment_names_another_key() -> None:
    log = LogBuilder().create(key(1))
    proof = log.entries[0]["proof"][0]
    proof["verificationMethod"] = f"did:key:{key(1).public_multikey}#{key(2).public_multikey}"
    assert rejection(log).code == "invalidProof"


@pytest.mark.parametrize("proof", [[], None, "z123"])
def test_missing_or_empty_proofs(proof: Any) -> None:
    log = rotated_twice()
    if proof is None:
        del log.entries[2]["proof"]
    else:
        log.entries[2]["proof"] = proof
    assert rejection(log).code == "invalidProof"


# --- versionTime --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("time", "code"), [
    (at(0), "versionTimeNotIncreasing"),          # equal to the previous entry's
    ("2024-12-31T00:00:00Z", "versionTimeNotIncreasing"),  # before it
    ("2025-06-01T00:10:00Z", "versionTimeInFuture"),  # ten minutes after NOW
    ("2025-01-02T00:00:00", "invalidVersionTime"),  # no zone
    ("2025-01-02T01:00:00+01:00", "invalidVersionTime"),  # not UTC
    ("yesterday", "invalidVersionTime"),
])
def test_version_time_rules(time: str, code: str) -> None:
    log = LogBuilder().create(key(1)).update(key(1), version_time=time)  # validly signed, wrong time
    assert rejection(log).code == code


def test_a_version_time_within_the_tolerance_is_accepted() -> None:
    log = LogBuilder().create(key(1)).update(key(1), version_time="2025-06-01T00:04:00Z")
    assert resolve(log).metadata["versionNumber"] == 2


# --- parameters and pre-rotation ----------------------------------------------------------------------------

@pytest.mark.parametrize("parameters", [
    {"unknown": 1}, {"scid": "QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p"}, {"portable": True},
    {"ttl": -1}, {"ttl": "60"}, {"updateKeys": "z6Mk"}, {"updateKeys": ["z6MkNotAKey"]},
    {"witness": {"threshold": 0, "witnesses": [{"id": f"did:key:{key(5).public_multikey}"}]}},
    {"witness": {"threshold": 2, "witnesses": [{"id": f"did:key:{key(5).public_multikey}"}]}},
    {"witness": {"threshold": 1, "witnesses": [{"id": key(5).public_multikey}]}},
    {"witness": {"threshold": 1, "witnesses": [{"id": f"did:key:{key(5).public_multikey}"},
                                               {"id": f"did:key:{key(5).public_multikey}"}]}},
    {"witness": {"threshold": True, "witnesses": [{"id": f"did:key:{key(5).public_multikey}"}]}},
    {"deactivated": "yes"}, {"watchers": ["https://w.example", "https://w.example"]},
])
def test_invalid_parameters_in_an_update(parameters: dict[str, Any]) -> None:
    log = LogBuilder().create(key(1)).update(key(1), parameters)
    assert rejection(log).code == "invalidParameters"


@pytest.mark.parametrize("method", ["did:webvh:0.5", "did:webvh:99.0", "did:webvh:1.0-rc1", "didwebvh:1.0"])
def test_unknown_method_versions_are_rejected(method: str) -> None:
    log = LogBuilder().create(key(1), {"method": method})
    assert rejection(log).code == "unsupportedMethodVersion"


def prerotated() -> LogBuilder:
    return LogBuilder().create(key(1), {"nextKeyHashes": [key_hash(key(2).public_multikey)]})


def test_prerotation_consumed_by_the_committed_key() -> None:
    log = prerotated()
    log.update(key(2), {"updateKeys": [key(2).public_multikey],
                        "nextKeyHashes": [key_hash(key(3).public_multikey)]}, document_key=key(2))
    log.update(key(3), {"updateKeys": [key(3).public_multikey], "nextKeyHashes": []}, document_key=key(3))
    log.update(key(3), {"ttl": 60})  # pre-rotation is off again: the previous update keys sign
    assert resolve(log).metadata["versionNumber"] == 4


@pytest.mark.parametrize(("signer", "parameters", "code"), [
    (4, {"updateKeys": ["K4"], "nextKeyHashes": []}, "preRotationViolation"),  # not committed to
    (2, {"nextKeyHashes": []}, "preRotationViolation"),  # updateKeys must be explicit
    (2, {"updateKeys": ["K2"]}, "preRotationViolation"),  # nextKeyHashes must be explicit
    (1, {"updateKeys": ["K2"], "nextKeyHashes": []}, "unauthorizedKey"),  # the old key may not sign
    (2, {"updateKeys": ["K2", "K1"], "nextKeyHashes": []}, "preRotationViolation"),  # every key committed
])
def test_prerotation_violations(signer: int, parameters: dict[str, Any], code: str) -> None:
    resolved = {name: [key(int(k[1:])).public_multikey if isinstance(k, str) and k.startswith("K") else k
                       for k in value] if isinstance(value, list) else value for name, value in parameters.items()}
    log = prerotated().update(key(signer), resolved, document_key=key(2))
    assert rejection(log).code == code


# --- deactivation and portability ---------------------------------------------------------------------------

def test_a_deactivated_did_has_no_current_document() -> None:
    log = rotated_twice().update(key(3), {"deactivated": True, "updateKeys": []}, document_key=key(3))
    latest = resolve(log)
    assert latest.document is None and latest.metadata["deactivated"] is True
    earlier = resolve(log, {"versionNumber": "2"})
    assert earlier.document is not None and earlier.metadata["deactivated"] is True


def test_no_update_after_deactivation() -> None:
    log = LogBuilder().create(key(1)).update(key(1), {"deactivated": True}).update(key(1))
    assert rejection(log).code == "updateAfterDeactivation"


def moved_state(log: LogBuilder, also_known_as: bool) -> dict[str, Any]:
    state = copy.deepcopy(log.entries[-1]["state"])
    text = orjson.dumps(state).decode().replace(":example.com", ":example.org")
    moved = orjson.loads(text)
    if also_known_as:
        moved["alsoKnownAs"] = [*moved.get("alsoKnownAs", []), log.did]
    return moved


def test_a_portable_did_may_move() -> None:
    log = LogBuilder().create(key(1), {"portable": True})
    log.update(key(1), state=moved_state(log, also_known_as=True))
    new_did = log.entries[-1]["state"]["id"]
    selected = resolve(log, did=new_did)
    assert selected.document is not None and selected.document["id"] == new_did
    assert selected.document["service"][0]["serviceEndpoint"] == "https://example.org"


@pytest.mark.parametrize(("portable", "also_known_as"), [(False, True), (True, False)])
def test_moves_that_break_the_portability_rules(portable: bool, also_known_as: bool) -> None:
    log = LogBuilder().create(key(1), {"portable": portable})
    log.update(key(1), state=moved_state(log, also_known_as))
    assert rejection(log, did=log.did).code == "portabilityViolation"


# --- malformed logs -----------------------------------------------------------------------------------------

def test_malformed_lines() -> None:
    log = rotated_twice()
    did = parse_webvh_did(log.did)
    text = to_jsonl(log.entries[:2]) + b'{"versionId": "3-\n'
    verified = verify_log(text, did, now=NOW)
    assert [v.number for v in verified.versions] == [1, 2] and verified.error is not None
    assert verified.error.code == "malformedLog"
    for bad in (b"", b"\n", b"[]\n", b"not json\n"):
        with pytest.raises(WebvhError) as caught:
            verify_log(bad, did, now=NOW)
        assert caught.value.code == "malformedLog"


# --- choosing a version -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "number"), [
    ({"versionNumber": "2"}, 2), ({"versionTime": at(0)}, 1), ({"versionTime": "2025-01-02T12:00:00Z"}, 2),
    ({"versionTime": "2025-01-02T13:00:00+01:00"}, 2), ({"versionTime": "2030-01-01T00:00:00Z"}, 3),
])
def test_versions_by_number_and_time(query: dict[str, str], number: int) -> None:
    assert resolve(rotated_twice(), query).metadata["versionNumber"] == number


def test_versions_by_id_and_combined() -> None:
    log = rotated_twice()
    version_id = log.entries[1]["versionId"]
    assert resolve(log, {"versionId": version_id}).metadata["versionNumber"] == 2
    assert resolve(log, {"versionId": version_id, "versionNumber": "2"}).metadata["versionNumber"] == 2
    assert rejection(log, {"versionId": version_id, "versionNumber": "3"}).resolution_error == "notFound"


@pytest.mark.parametrize("query", [
    {"versionNumber": "4"}, {"versionNumber": "0"}, {"versionId": "2-QmNope"}, {"versionTime": "2024-01-01T00:00:00Z"},
])
def test_versions_that_do_not_exist(query: dict[str, str]) -> None:
    error = rejection(rotated_twice(), query)
    assert (error.code, error.resolution_error) == ("versionNotFound", "notFound")


@pytest.mark.parametrize("query", [{"versionNumber": "two"}, {"versionTime": "2025-01-02"}, {"service": "files"}])
def test_malformed_version_queries(query: dict[str, str]) -> None:
    error = rejection(rotated_twice(), query)
    assert (error.code, error.resolution_error) == ("invalidVersionQuery", "invalidDidUrl")


def test_a_time_after_an_invalid_entry_cannot_be_answered() -> None:
    log = rotated_twice()
    log.entries[2]["state"]["alsoKnownAs"] = []
    # Version 1 was replaced by version 2 (verified) on 2025-01-02; whether version 2 was still current at a
    # later time depends on entry 3, which does not verify.
    assert resolve(log, {"versionTime": "2025-01-01T12:00:00Z"}).metadata["versionNumber"] == 1
    assert rejection(log, {"versionTime": "2025-01-02T12:00:00Z"}).code == "entryHashMismatch"
    assert resolve(log, {"versionNumber": "2"}).metadata["versionNumber"] == 2


# --- witnesses ----------------------------------------------------------------------------------------------

WITNESSES = [key(10), key(11), key(12)]


def witnessed(threshold: int = 2) -> LogBuilder:
    rule = {"threshold": threshold, "witnesses": [{"id": witness_did(w)} for w in WITNESSES]}
    return LogBuilder().create(key(1), {"witness": rule}).update(key(1))


def approvals(log: LogBuilder, *pairs: tuple[int, int]) -> list[dict[str, Any]]:
    """did-witness.json with one proof per (witness index, version number)."""
    return [witness_proof(log.entries[number - 1]["versionId"], WITNESSES[index], at(number))
            for index, number in pairs]


def test_a_threshold_of_witnesses_approves_every_version() -> None:
    log = witnessed()
    # A proof on version 2 also approves version 1.
    assert resolve(log, witnesses=approvals(log, (0, 2), (1, 2))).metadata["witness"]["threshold"] == "2"


@pytest.mark.parametrize("pairs", [
    [(0, 2)],                 # one approval, two needed
    [(0, 2), (0, 2)],          # the same witness twice counts once
    [(0, 1), (1, 1), (0, 2)],  # version 2 has one approval
    [],
])
def test_too_few_witness_approvals(pairs: list[tuple[int, int]]) -> None:
    log = witnessed()
    error = rejection(log, witnesses=approvals(log, *pairs))
    assert error.code == "witnessThresholdNotMet"


def test_witness_proofs_that_do_not_count() -> None:
    log = witnessed()
    outsider = witness_proof(log.entries[1]["versionId"], key(13), at(2))  # not a listed witness
    unpublished = witness_proof("3-QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p", WITNESSES[1], at(3))
    forged = approvals(log, (1, 2))[0]
    forged["proof"][0]["proofValue"] = approvals(log, (1, 1))[0]["proof"][0]["proofValue"]
    for extra in (outsider, unpublished, forged):
        assert rejection(log, witnesses=[*approvals(log, (0, 2)), extra]).code == "witnessThresholdNotMet"


def test_no_witness_file_or_a_malformed_one() -> None:
    log = witnessed()
    assert rejection(log, witnesses=None).code == "witnessThresholdNotMet"
    error = rejection(log, witnesses={"versionId": "1"})
    assert error.code == "witnessThresholdNotMet" and "invalidWitnessFile" in error.detail


def test_the_replaced_witness_list_approves_its_replacement() -> None:
    log = witnessed(threshold=1)
    log.update(key(1), {"witness": {"threshold": 1, "witnesses": [{"id": witness_did(key(13))}]}})
    new_list_only = [witness_proof(log.entries[2]["versionId"], key(13), at(3)), *approvals(log, (0, 2))]
    assert rejection(log, witnesses=new_list_only).code == "witnessThresholdNotMet"
    both = [*new_list_only, *approvals(log, (1, 3))]
    assert resolve(log, witnesses=both).metadata["witness"]["witnesses"] == [{"id": witness_did(key(13))}]


def test_turning_witnesses_off_is_itself_witnessed() -> None:
    log = witnessed(threshold=1).update(key(1), {"witness": {}}).update(key(1))
    assert rejection(log, witnesses=approvals(log, (0, 2))).code == "witnessThresholdNotMet"
    assert resolve(log, witnesses=approvals(log, (0, 3))).metadata["witness"] == {}


def test_a_version_before_the_unwitnessed_one_still_resolves() -> None:
    log = witnessed(threshold=1).update(key(1))
    proofs = approvals(log, (0, 2))
    assert resolve(log, {"versionNumber": "2"}, witnesses=proofs).metadata["versionNumber"] == 2
    assert rejection(log, witnesses=proofs).code == "witnessThresholdNotMet"


def test_now_defaults_do_not_leak_between_resolutions() -> None:
    future = LogBuilder().create(key(1)).update(key(1), version_time="2025-07-01T00:00:00Z")
    assert rejection(future).code == "versionTimeInFuture"
    assert resolve(future, now=NOW + timedelta(days=31)).metadata["versionNumber"] == 2
