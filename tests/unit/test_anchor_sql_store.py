"""The SQL anchor store (SQLite and PostgreSQL) behaves like the in-memory one (the same anchor log scenarios,
persisted)."""

from __future__ import annotations

from pathlib import Path

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from tests.unit import test_anchor
from vcnode.anchor.log import AnchorLog
from vcnode.did.resolver import Resolver
from vcnode.store import anchor_store_for, open_store


async def test_a_persisted_copy_survives_reopening(store_location: Path | str) -> None:
    issuer, witness = did_key_signer(), did_key_signer()
    did = test_anchor.did_of(issuer)
    source = test_anchor.node_log(issuer)
    await test_anchor.publish(source, did, 3)
    store = await open_store(store_location)
    replica = AnchorLog(anchor_store_for(store), Resolver([KeyDriver()]), {test_anchor.did_of(witness): witness}.get)
    assert (await test_anchor.copy_of(source, did, replica)).accepted == 3
    statement = await replica.witness(test_anchor.did_of(witness), did)
    assert statement is not None and statement["seq"] == 3
    await store.close()

    store = await open_store(store_location)
    reopened = AnchorLog(anchor_store_for(store), Resolver([KeyDriver()]), lambda _: None)
    head = await reopened.store.head(did)
    assert head["seq"] == 3 and len(await reopened.store.entries(did, 1, 10)) == 3
    anchor, witnesses, equivocations = await reopened.list_anchor("https://a.example/status/1")
    assert (anchor.seq, anchor.version, witnesses, equivocations) == (2, 1, 1, [])
    assert await reopened.store.blob(anchor.payload) == b"list 1"
    await test_anchor.publish(source, did, 1)
    assert (await test_anchor.copy_of(source, did, reopened, from_seq=3)).accepted == 1
    await store.close()


async def test_announced_heads_are_kept_for_held_logs_until_pulled_or_forgotten(store_location: Path | str) -> None:
    from vcnode.anchor.store import MAX_ANNOUNCERS, MemoryAnchorStore

    issuer = did_key_signer()
    did = test_anchor.did_of(issuer)
    source = test_anchor.node_log(issuer)
    await test_anchor.publish(source, did, 3)
    store = await open_store(store_location)
    try:
        for replica_store in (anchor_store_for(store), MemoryAnchorStore()):
            replica = AnchorLog(replica_store, Resolver([KeyDriver()]), lambda _: None)
            await replica_store.note_announced([(did, 5, "bafyfive")], "did:key:z6MkPeer")
            assert await replica_store.announced() == []  # a log not held is not remembered
            [first] = await source.store.entries(did, 1, 1)  # entry 1 alone, standing for its head
            payload = first.document["statement"]["payload"]
            blob = await source.store.blob(payload)
            assert (await replica.ingest(first.document, [first.document],
                                         {payload: blob} if blob else {})).accepted == 1
            await replica_store.note_announced([(did, 1, "bafyone"), (did, 2, "bafytwo")], "did:key:z6MkPeer")
            await replica_store.note_announced([(did, 3, "bafythree")], "https://peer.example")
            for n in range(MAX_ANNOUNCERS + 4):
                await replica_store.note_announced([(did, 2, "bafytwo")], f"did:key:z6MkSybil{n}")
            claims = await replica_store.announced(did)
            assert len(claims) == MAX_ANNOUNCERS and claims[0].seq == 3 and claims[0].announcer == "https://peer.example"
            assert {(c.seq, c.entry) for c in claims if c.announcer == "did:key:z6MkPeer"} == {(2, "bafytwo")}
            await replica_store.forget_announced("https://peer.example", did)
            assert all(c.seq == 2 for c in await replica_store.announced(did))
            assert (await test_anchor.copy_of(source, did, replica, from_seq=1)).accepted >= 1  # caught up
            assert await replica_store.announced(did) == []
    finally:
        await store.close()
