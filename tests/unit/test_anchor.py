"""Anchor logs: appending, taking in verified copies, rejecting forgeries, detecting equivocation, witnessing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from multiformats import CID, multihash

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from vcnode.anchor.cid import cid_for_bytes, cid_for_json, is_cid
from vcnode.anchor.entries import AnchorError, entry_cid, make_entry, make_head
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.did.resolver import Resolver
from vcnode.jsonld import canonicalize_jcs
from vcnode.keys.signer import SigningKey


def node_log(*signers: SigningKey) -> AnchorLog:
    keys = {s.verification_method.split("#")[0]: s for s in signers}
    return AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), keys.get)


def did_of(signer: SigningKey) -> str:
    return signer.verification_method.split("#")[0]


async def publish(log: AnchorLog, did: str, n: int) -> list[dict[str, Any]]:
    return [await log.publish_status_list(did, f"https://a.example/status/{i}", i, b"list %d" % i) for i in range(n)]


async def copy_of(source: AnchorLog, did: str, into: AnchorLog, from_seq: int = 1) -> Any:
    head = await source.store.head(did)
    stored = await source.store.entries(did, from_seq, 100)
    blobs = {}
    for s in stored:  # what a node serves: the payloads it still holds
        data = await source.store.blob(s.document["statement"]["payload"])
        if data is not None:
            blobs[s.document["statement"]["payload"]] = data
    return await into.ingest(head, [s.document for s in stored], blobs)


def test_cids_match_multiformats() -> None:
    for data in (b"", b"status list", bytes(range(256)) * 10):
        assert cid_for_bytes(data) == str(CID("base32", 1, "raw", multihash.digest(data, "sha2-256")))
    document = {"b": 1, "a": [True, None, "x"]}
    assert cid_for_json(document) == str(CID("base32", 1, "json",
                                              multihash.digest(canonicalize_jcs(document), "sha2-256")))
    assert is_cid(cid_for_bytes(b"x")) and not is_cid("bafy-not-a-cid") and not is_cid(5)


async def test_a_copy_is_verified_and_linked() -> None:
    issuer = did_key_signer()
    a, b = node_log(issuer), node_log()
    entries = await publish(a, did_of(issuer), 3)
    assert [e["seq"] for e in entries] == [1, 2, 3] and entries[1]["prev"] == entry_cid(entries[0])
    assert (await copy_of(a, did_of(issuer), b)).accepted == 3
    assert (await b.store.head(did_of(issuer)))["seq"] == 3
    anchor, witnesses, equivocations = await b.list_anchor("https://a.example/status/2")
    assert (anchor.seq, anchor.version, witnesses, equivocations) == (3, 2, 0, [])
    await publish(a, did_of(issuer), 1)  # a fourth entry: catching up from where b is
    assert (await copy_of(a, did_of(issuer), b, from_seq=3)).accepted == 1


@pytest.mark.parametrize("tamper", ["statement", "signature", "link", "payload", "seq", "signer"])
async def test_forged_entries_are_rejected(tamper: str) -> None:
    issuer, forger = did_key_signer(), did_key_signer()
    a, b = node_log(issuer), node_log()
    await publish(a, did_of(issuer), 2)
    head = await a.store.head(did_of(issuer))
    entries = [copy.deepcopy(s.document) for s in await a.store.entries(did_of(issuer), 1, 10)]
    blobs = {e["statement"]["payload"]: await a.store.blob(e["statement"]["payload"]) for e in entries}
    if tamper == "statement":
        entries[1]["statement"]["version"] = 99
    elif tamper == "signature":
        entries[0]["proof"]["proofValue"] = entries[1]["proof"]["proofValue"]
    elif tamper == "link":
        entries[1] = make_entry(issuer, did_of(issuer), 2, cid_for_bytes(b"elsewhere"), entries[1]["statement"])
    elif tamper == "payload":
        blobs[entries[0]["statement"]["payload"]] = b"list X"
    elif tamper == "seq":
        entries = entries[1:]
    elif tamper == "signer":  # a validly signed entry, but by someone who does not own the log
        entries[1] = make_entry(forger, did_of(issuer), 2, entry_cid(entries[0]), entries[1]["statement"])
    with pytest.raises(AnchorError):
        await b.ingest(head, entries, blobs)
    assert await b.store.head(did_of(issuer)) is None  # all or nothing


async def test_a_forked_log_is_a_proof_of_equivocation() -> None:
    issuer = did_key_signer()
    did = did_of(issuer)
    honest, observer = node_log(issuer), node_log()
    first = await publish(honest, did, 1)
    await copy_of(honest, did, observer)
    await publish(honest, did, 1)  # the entry 2 most nodes see …
    # … and another entry 2, validly signed by the same issuer, shown to someone else.
    other = make_entry(issuer, did, 2, entry_cid(first[0]), {"type": "StatusListPublished", "url": "u",
                                                              "version": 7, "payload": cid_for_bytes(b"z"),
                                                              "size": 1})
    await copy_of(honest, did, observer, from_seq=1)
    result = await observer.ingest(make_head(issuer, did, 2, entry_cid(other)), [], {})
    assert len(result.equivocations) == 1
    proof = result.equivocations[0]
    assert (proof["log"], proof["seq"]) == (did, 2)
    third = node_log()
    assert await third.take_equivocation(proof) is not None  # checkable by anyone
    assert await third.take_equivocation(proof) is None      # kept once
    bogus = {**proof, "documents": [proof["documents"][0], proof["documents"][0]]}
    with pytest.raises(AnchorError):
        await third.take_equivocation(bogus)


async def test_witness_statements_are_counted_once_per_node() -> None:
    issuer, w1, w2 = did_key_signer(), did_key_signer(), did_key_signer()
    a, b, c, d = node_log(issuer), node_log(w1), node_log(w2), node_log()
    await publish(a, did_of(issuer), 1)
    for replica in (b, c, d):
        await copy_of(a, did_of(issuer), replica)
    s1 = await b.witness(did_of(w1), did_of(issuer))
    s2 = await c.witness(did_of(w2), did_of(issuer))
    assert await d.take_witness(s1) and await d.take_witness(s2) and not await d.take_witness(s1)
    forged = {**s1, "witness": did_of(w2)}
    with pytest.raises(AnchorError):
        await d.take_witness(forged)
    _, witnesses, _ = await d.list_anchor("https://a.example/status/0")
    assert witnesses == 2


async def test_superseded_payloads_are_evicted_and_not_needed_to_catch_up() -> None:
    issuer = did_key_signer()
    did = did_of(issuer)
    a, b = node_log(issuer), node_log()
    first = await a.publish_status_list(did, "https://a.example/status/r", 1, b"version 1")
    await a.publish_status_list(did, "https://a.example/status/r", 2, b"version 2")
    assert await a.store.blob(first["statement"]["payload"]) is None  # superseded: evicted
    assert (await copy_of(a, did, b)).accepted == 2  # a replica catches up without the old payload
    anchor, _, _ = await b.list_anchor("https://a.example/status/r")
    assert anchor.version == 2 and await b.store.blob(anchor.payload) == b"version 2"
