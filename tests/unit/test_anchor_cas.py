"""Appends to one anchor log from several writers (two processes on one node: here AnchorLog instances, each
with its own store on one SQLite file or PostgreSQL database, the way two processes hold it): the store's
compare-and-set on the head keeps the sequence, so every append lands, in order, linked, with no fork."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from tests.unit import test_anchor
from vcnode.anchor.entries import entry_cid, make_entry, make_head
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.statements import TRUST_STATEMENT_PUBLISHED
from vcnode.anchor.store import MemoryAnchorStore, StoredEntry
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey
from vcnode.store import Store, anchor_store_for, open_store

WRITERS = 3
APPENDS = 8


@pytest.fixture
async def stores(store_location: Path | str) -> AsyncIterator[list[Store]]:
    """WRITERS stores on one database (what WRITERS processes of one node hold)."""
    opened = []
    for _ in range(WRITERS):
        opened.append(await open_store(store_location))
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


def writer(store: Store, signer: SigningKey) -> AnchorLog:
    return AnchorLog(anchor_store_for(store), Resolver([KeyDriver()]), {test_anchor.did_of(signer): signer}.get)


async def assert_one_linked_log(log: AnchorLog, did: str, length: int) -> None:
    """Seqs 1..length, each entry linking to the one before, the head at the last, and the whole log taken in
    by a fresh replica (every signature and link verified)."""
    stored = await log.store.entries(did, 1, 10 * length)
    assert [s.seq for s in stored] == list(range(1, length + 1))
    prev = None
    for s in stored:
        assert s.document["prev"] == prev and s.cid == entry_cid(s.document)
        prev = s.cid
    head = await log.store.head(did)
    assert head is not None and head["seq"] == length and head["entry"] == prev
    replica = AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), lambda _: None)
    assert (await test_anchor.copy_of(log, did, replica)).accepted == length


async def test_writers_on_one_store_racing_all_land_in_one_chain(stores: list[Store]) -> None:
    signer = did_key_signer()
    did = test_anchor.did_of(signer)
    logs = [writer(store, signer) for store in stores]

    async def publish(log: AnchorLog, n: int) -> list[dict[str, Any]]:
        return [await log.publish_status_list(did, f"https://a.example/status/{n}-{i}", i + 1, b"list %d %d" % (n, i))
                for i in range(APPENDS)]

    results = await asyncio.gather(*(publish(log, n) for n, log in enumerate(logs)))
    seqs = sorted(entry["seq"] for entries in results for entry in entries)
    assert seqs == list(range(1, WRITERS * APPENDS + 1))  # no seq reused, none skipped
    await assert_one_linked_log(logs[0], did, WRITERS * APPENDS)
    for log in logs[1:]:  # every writer sees the same chain
        assert await log.store.head(did) == await logs[0].store.head(did)


async def test_one_statement_anchored_by_racing_writers_is_appended_once(stores: list[Store]) -> None:
    signer = did_key_signer()
    did = test_anchor.did_of(signer)
    logs = [writer(store, signer) for store in stores]
    document = b'{"id": "https://a.example/trust/statements/1"}'
    appended = await asyncio.gather(*(log.publish_trust_statement(did, "https://a.example/trust/statements/1",
                                                                  document) for log in logs))
    assert sum(entry is not None for entry in appended) == 1  # the others found it anchored on their retry
    await assert_one_linked_log(logs[0], did, 1)
    anchored = await logs[0].store.anchored(TRUST_STATEMENT_PUBLISHED, did)
    assert [(url, anchor.version) for url, anchor in anchored] == [("https://a.example/trust/statements/1", 1)]


async def test_replicas_on_one_store_taking_in_one_log_at_once_keep_one_copy(stores: list[Store]) -> None:
    issuer = did_key_signer()
    did = test_anchor.did_of(issuer)
    source = test_anchor.node_log(issuer)
    await test_anchor.publish(source, did, 5)
    replicas = [AnchorLog(anchor_store_for(store), Resolver([KeyDriver()]), lambda _: None) for store in stores]
    results = await asyncio.gather(*(test_anchor.copy_of(source, did, replica) for replica in replicas))
    assert sum(result.accepted for result in results) == 5 and not any(r.equivocations for r in results)
    assert [s.cid for s in await replicas[1].store.entries(did, 1, 10)] == \
        [s.cid for s in await source.store.entries(did, 1, 10)]


@pytest.mark.parametrize("kind", ["memory", "sql"])
async def test_an_append_built_on_a_stale_head_writes_nothing(kind: str, store_location: Path | str) -> None:
    signer = did_key_signer()
    did = test_anchor.did_of(signer)
    sql = await open_store(store_location) if kind == "sql" else None
    store = anchor_store_for(sql) if sql is not None else MemoryAnchorStore()
    try:
        def at(seq: int, prev: str | None) -> tuple[StoredEntry, dict[str, Any]]:
            entry = make_entry(signer, did, seq, prev, {"type": "Note", "n": seq})
            return StoredEntry(did, seq, entry_cid(entry), entry), make_head(signer, did, seq, entry_cid(entry))

        first, head = at(1, None)
        assert await store.append([first], head, {}, expect=0)
        rival, rival_head = at(1, None)  # built on the empty log, which is gone
        assert not await store.append([rival], rival_head, {}, expect=0)
        second, head2 = at(2, first.cid)
        assert not await store.append([second], head2, {}, expect=2)
        assert await store.append([second], head2, {}, expect=1)
        assert [s.cid for s in await store.entries(did, 1, 10)] == [first.cid, second.cid]
        assert (await store.head(did)) == head2
    finally:
        if sql is not None:
            await sql.close()
