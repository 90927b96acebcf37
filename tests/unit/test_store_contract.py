"""The store contract (issue 16): every repository method of :class:`vcnode.store.base.Store`, its
:class:`~vcnode.store.base.Issuance` and the anchor store, on both stores (SQLite and PostgreSQL: each test runs
once for each), and the invariants that must hold when several processes share one store. The racers are real
processes (``spawn``, tests/store_races.py), each with its own store on the one SQLite file or PostgreSQL
database, started together."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests import store_races
from tests.builders import did_key_signer
from vcnode.anchor.entries import entry_cid, make_entry, make_head, make_witness
from vcnode.anchor.statements import STATUS_LIST_PUBLISHED, TRUST_STATEMENT_PUBLISHED
from vcnode.anchor.store import ListAnchor, StoredEntry
from vcnode.auth.records import TokenRecord
from vcnode.credentials.records import CredentialRecord
from vcnode.errors import Conflict, NotFound
from vcnode.exchanges.records import ExchangeRecord
from vcnode.identity.records import IdentityRecord, KeyRecord
from vcnode.jobs.model import new_job_id
from vcnode.jobs.records import JobRecord
from vcnode.status.bitstring import BitstringError, get_entry
from vcnode.status.records import StatusChange, StatusListSpec
from vcnode.store import Store, anchor_store_for, open_store, pending_store_for
from vcnode.store.anchors import load_peers, save_peers

NOW = store_races.NOW
WORKERS = 4
COUNT = 50


@pytest.fixture
async def store(store_location: Path | str):
    opened = await open_store(store_location)
    try:
        yield opened
    finally:
        await opened.close()


def exchange(n: int | str, *, state: str = "pending", expires: float = NOW + 600, workflow: str = "claim"
             ) -> ExchangeRecord:
    return ExchangeRecord(f"x{n}", workflow, state, 0, NOW - 10, expires, f"challenge-of-x{n}", "https://n.example",
                          None, "{}", f"hash-{n}")


def race(name: str, location: Path | str, *, workers: int = WORKERS, count: int = COUNT) -> list[list[Any]]:
    """Run ``name`` (tests/store_races.py) in ``workers`` processes on the store at ``location``, started at once;
    each process's results."""
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 2.0  # after every process has started and opened its store
    with context.Pool(workers) as pool:
        pending = [pool.apply_async(store_races.run, (name, str(location), worker, start_at, count))
                   for worker in range(workers)]
        return [result.get(timeout=60) for result in pending]


# --- invariants under concurrency, from several processes ----------------------------------------------------


async def test_concurrent_allocations_from_several_processes_hand_out_each_position_once(
        store: Store, store_location: Path | str) -> None:
    results = race("allocate", store_location, count=25)
    allocated = [item for result in results for item in result]
    assert len(allocated) == WORKERS * 25 * 2
    assert len({(list_id, index) for _, list_id, index in allocated}) == len(allocated)  # unique positions
    assert len({credential for credential, _, _ in allocated}) == len(allocated)
    # Nothing lost: every allocation is stored, and each list counts exactly what it handed out.
    stored = await store.status_indexes([credential for credential, _, _ in allocated])
    assert sorted(stored) == sorted(allocated)
    lists = await store.list_status_lists("did:example:racer")
    per_list = Counter(list_id for _, list_id, _ in allocated)
    assert {record.id: record.allocated for record in lists} == dict(per_list)
    assert all(0 <= index < store_races.LIST_ENTRIES for _, _, index in allocated)
    # Lists filled one after another: one list at most has room (no two opened at once).
    assert sum(record.allocated < record.entries for record in lists) <= 1


async def test_a_revocation_raced_by_irreversible_clears_from_other_processes_wins(
        store: Store, store_location: Path | str) -> None:
    async with store.issuance() as issuance:
        await issuance.allocate("did:example:racer", StatusListSpec("revocation", entries=COUNT + 14),
                                [f"urn:c:{n}" for n in range(COUNT)])
    [listed] = await store.list_status_lists("did:example:racer")
    results = race("revoke_or_clear", store_location)
    outcomes = [item for result in results for item in result]
    bits = await store.status_bits(listed.id)
    assert all(get_entry(bits, n, 1) == 1 for n in range(COUNT))  # every revocation stands
    refused = [o for o in outcomes if o[2] == "revocationIrreversible"]
    assert all(after == 0 for _, after, _ in refused)
    # The audit log is one unbroken chain per entry: each change's "before" is the one before's "after".
    for n in range(COUNT):
        changes = list(reversed(await store.status_changes(f"urn:c:{n}")))
        values = [0] + [c.after for c in changes]
        assert [c.before for c in changes] == values[:-1], n
        assert sum(c.before == 0 and c.after == 1 for c in changes) == 1, n
    assert (await store.get_status_list(listed.id)).version == 1 + COUNT  # one change of value per entry


async def test_a_challenge_is_consumed_by_one_of_several_processes(store: Store, store_location: Path | str) -> None:
    for n in range(COUNT):
        assert await store.add_challenge(f"challenge-{n}", NOW - 1, NOW + 600, 10 * COUNT)
    outcomes = Counter(item for result in race("consume_challenge", store_location) for item in result)
    assert outcomes == {**{(n, "consumed"): 1 for n in range(COUNT)},
                        **{(n, "used"): WORKERS - 1 for n in range(COUNT)}}


async def test_an_openid_nonce_is_consumed_by_one_of_several_processes(store: Store,
                                                                       store_location: Path | str) -> None:
    for n in range(COUNT):
        assert await store.add_oid4vci_nonce(f"nonce-{n}", NOW - 1, NOW + 600, 10 * COUNT)
    outcomes = Counter(item for result in race("consume_nonce", store_location) for item in result)
    assert outcomes == {**{(n, "consumed"): 1 for n in range(COUNT)},
                        **{(n, "used"): WORKERS - 1 for n in range(COUNT)}}


async def test_a_pre_authorised_code_is_redeemed_by_one_of_several_processes(
        store: Store, store_location: Path | str) -> None:
    await store.add_exchanges([exchange(n) for n in range(COUNT)])
    for n in range(COUNT):
        assert await store.add_oid4vci_code(f"code-{n}", f"x{n}", NOW - 1, NOW + 600, 5)
    outcomes = [item for result in race("redeem_code", store_location) for item in result]
    assert Counter((n, state) for n, state, _ in outcomes) == {
        **{(n, "issued"): 1 for n in range(COUNT)}, **{(n, "used"): WORKERS - 1 for n in range(COUNT)}}
    for n in range(COUNT):  # one access token, and the exchange started once
        tokens = [await store.oid4vci_token_grant(f"token-{w}-{n}", NOW) for w in range(WORKERS)]
        assert [t for t in tokens if t is not None] == [(f"x{n}", None)]
        assert (await store.get_exchange(f"x{n}")).sequence == 1


async def test_an_exchange_is_completed_by_one_of_several_processes(store: Store, store_location: Path | str) -> None:
    await store.add_exchanges([exchange(n) for n in range(COUNT)])
    outcomes = Counter(item for result in race("complete_exchange", store_location) for item in result)
    assert outcomes == {**{(n, "completed"): 1 for n in range(COUNT)},
                        **{(n, "complete"): WORKERS - 1 for n in range(COUNT)}}
    for n in range(COUNT):
        done = await store.get_exchange(f"x{n}")
        assert (done.state, done.sequence) == ("complete", 1)
        assert done.holder == f"did:example:holder{json.loads(done.result)}"  # the winner's holder and result


async def test_a_job_is_claimed_by_one_of_several_processes(store: Store, store_location: Path | str) -> None:
    ids = []
    for n in range(COUNT):
        job = JobRecord(new_job_id(), "test", f"tok{n}", "did:example:a", "queued", "{}", created=float(n))
        assert await store.add_job(job, max_active=1)
        ids.append(job.id)
    claimed = [job_id for result in race("claim_jobs", store_location) for job_id in result]
    assert sorted(claimed) == sorted(ids)  # each exactly once


async def test_an_anchor_position_is_appended_by_one_of_several_processes(
        store: Store, store_location: Path | str) -> None:
    won = [item for result in race("append_anchor", store_location, count=30) for item in result]
    assert sorted(seq for seq, _ in won) == list(range(1, 31))  # each position by exactly one writer
    anchors = anchor_store_for(store)
    stored = await anchors.entries("did:example:log", 1, 100)
    assert [(s.seq, s.cid) for s in stored] == sorted(won)
    prev = None
    for s in stored:  # one chain: each entry built on the one stored before it
        assert s.document["prev"] == prev
        prev = s.cid
    assert (await anchors.head("did:example:log"))["entry"] == prev


async def test_a_credential_id_is_stored_once_when_several_processes_save_it(
        store: Store, store_location: Path | str) -> None:
    outcomes = [item for result in race("save_credential", store_location) for item in result]
    assert Counter(outcomes) == {**{(n, "stored"): 1 for n in range(COUNT)},
                                 **{(n, "credentialIdInUse"): WORKERS - 1 for n in range(COUNT)}}
    for n in range(COUNT):
        stored = await store.get_credential(f"urn:uuid:{n}")
        assert stored is not None and stored.created == f"2026-01-01T00:00:{json.loads(stored.document)['by']}"


# --- every repository method, round trips, ordering, paging, not-found answers ------------------------------


async def test_meta_and_housekeeping(store: Store) -> None:
    assert await store.ping() and await store.schema_version() > 0
    assert await store.get_meta("k") is None
    await store.set_meta("k", "1")
    await store.set_meta("k", "2")
    assert await store.get_meta("k") == "2"
    assert await store.ensure_meta("k", "3") == "2" and await store.ensure_meta("new", "4") == "4"
    assert await store.get_meta("new") == "4"


async def test_identities_keys_and_tokens(store: Store) -> None:
    def key(did: str, n: int) -> KeyRecord:
        return KeyRecord(f"{did}#k{n}", did, "Ed25519", f"z6Mk{n}", b"\x00sealed", f"2026-01-0{n}T00:00:00Z", None,
                         True)

    await store.add_identity(IdentityRecord("did:web:b", "web", "b", "b", False, "2026-01-01"), key("did:web:b", 1))
    await store.add_identity(IdentityRecord("did:web:a", "web", "a", "", True, "2026-01-02"), key("did:web:a", 1))
    assert [i.did for i in await store.list_identities()] == ["did:web:a", "did:web:b"]  # the default first
    assert (await store.get_identity("did:web:b")).web_path == "b" and await store.get_identity("did:web:x") is None
    assert [k.id for k in await store.list_keys()] == ["did:web:a#k1", "did:web:b#k1"]
    assert (await store.list_keys("did:web:a"))[0].sealed_secret == b"\x00sealed"
    with pytest.raises(NotFound):
        await store.rotate_key("did:web:x", key("did:web:x", 2), "2026-02-01")

    first = TokenRecord("t1", "h1", ("issue", "status"), "did:web:a", "2026-01-01T00:00:00Z")
    second = TokenRecord("t2", "h2", (), None, "2026-01-02T00:00:00Z")
    await store.add_token(first)
    await store.add_token(second)
    assert await store.find_token("h1") == first and await store.find_token("nope") is None
    assert [t.id for t in await store.list_tokens()] == ["t2", "t1"]  # newest first
    assert await store.revoke_token("t1", "2026-01-03") and not await store.revoke_token("t1", "2026-01-04")
    assert not await store.revoke_token("nope", "2026-01-04")
    assert (await store.find_token("h1")).revoked == "2026-01-03"


async def test_issuance_stores_or_rolls_back_credentials_with_their_status_entries(store: Store) -> None:
    spec = StatusListSpec("revocation", entries=64)
    record = CredentialRecord("urn:c:1", "did:web:a", '{"id": "urn:c:1"}', "2026-01-01T00:00:00Z", "rh")
    with pytest.raises(RuntimeError):
        async with store.issuance() as issuance:
            await issuance.allocate("did:web:a", spec, ["urn:c:1"])
            await issuance.save_credentials([record])
            raise RuntimeError("signing failed")
    assert await store.get_credential("urn:c:1") is None and await store.status_indexes(["urn:c:1"]) == []
    async with store.issuance() as issuance:
        assert await issuance.find_credentials(["urn:c:1"]) == {}
        [allocation] = await issuance.allocate("did:web:a", spec, ["urn:c:1"])
        await issuance.save_credentials([record])
        assert await issuance.find_credentials(["urn:c:1", "urn:c:2"]) == {"urn:c:1": record}
        await issuance.serve_as_tokens(allocation.list_id)
    assert await store.get_credential("urn:c:1") == record
    assert await store.status_indexes(["urn:c:1", "urn:c:2"]) == [("urn:c:1", allocation.list_id, allocation.index)]
    with pytest.raises(Conflict) as refused:
        async with store.issuance() as issuance:
            await issuance.save_credentials([dataclass_replace(record, document="{}")])
    assert refused.value.code == "credentialIdInUse" and (await store.get_credential("urn:c:1")) == record
    async with store.issuance() as issuance:  # not-found answers inside a transaction
        assert await issuance.complete_exchange("nope", NOW, None, "{}") == "unknown"


def dataclass_replace(record: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(record, **changes)


async def test_status_lists_changes_publication_and_tokens(store: Store) -> None:
    spec = StatusListSpec("suspension", entries=64)
    async with store.issuance() as issuance:
        allocations = await issuance.allocate("did:web:a", spec, [f"urn:c:{n}" for n in range(3)])
        [other] = await issuance.allocate("did:web:b", StatusListSpec("revocation", entries=64), ["urn:c:b"])
    list_id = allocations[0].list_id
    record = await store.get_status_list(list_id)
    assert (record.issuer, record.purpose, record.entries, record.allocated, record.version) == \
        ("did:web:a", "suspension", 64, 3, 1)
    assert await store.get_status_list("nope") is None
    assert [r.id for r in await store.list_status_lists("did:web:a")] == [list_id]
    assert {r.id for r in await store.list_status_lists()} == {list_id, other.list_id}
    assert set(await store.changed_status_lists()) == {list_id, other.list_id}  # never signed

    index = allocations[1].index
    change = await store.change_status(StatusChange("2026-01-01T00:00:00Z", "me", "urn:c:1", list_id, index,
                                                    "suspension", 0, 1, "why"))
    assert change.before == 0 and await store.status_value(list_id, index) == 1
    assert (await store.change_status(StatusChange("2026-01-02T00:00:00Z", "me", "urn:c:1", list_id, index,
                                                   "suspension", 0, 0))).before == 1  # suspension is reversible
    assert (await store.get_status_list(list_id)).version == 3
    assert get_entry(await store.status_bits(list_id), index, 1) == 0
    [newest, oldest] = await store.status_changes("urn:c:1")
    assert (oldest.before, oldest.after, oldest.reason, newest.after) == (0, 1, "why", 0) and newest.seq > oldest.seq
    assert await store.status_changes("urn:c:0") == []
    for missing in (store.status_value("nope", 0), store.status_bits("nope"),
                    store.change_status(StatusChange("t", "me", "urn:c:1", "nope", 0, "suspension", 0, 1))):
        with pytest.raises(NotFound):
            await missing
    with pytest.raises(BitstringError):
        await store.status_value(list_id, 64)

    await store.publish_status_list(list_id, 3, '{"signed": 3}', "2026-02-01T00:00:00Z")
    await store.publish_status_list(list_id, 2, '{"signed": 2}', "2026-03-01T00:00:00Z")  # older: ignored
    published = await store.get_status_list(list_id)
    assert (published.published, published.published_version, published.published_until) == \
        ('{"signed": 3}', 3, "2026-02-01T00:00:00Z")
    assert await store.changed_status_lists() == [other.list_id]
    assert list_id in await store.changed_status_lists("2026-02-02T00:00:00Z")  # its signature runs out before

    assert not (await store.get_status_token(list_id)).tokens and await store.changed_status_tokens("2026") == []
    async with store.issuance() as issuance:
        await issuance.serve_as_tokens(list_id)
    assert await store.changed_status_tokens("2026-01-01T00:00:00Z") == [list_id]
    await store.publish_status_token(list_id, 3, "jwt3", "2026-02-01T00:00:00Z")
    await store.publish_status_token(list_id, 2, "jwt2", "2026-03-01T00:00:00Z")
    token = await store.get_status_token(list_id)
    assert (token.tokens, token.version, token.token, token.token_version, token.token_until) == \
        (True, 3, "jwt3", 3, "2026-02-01T00:00:00Z")
    assert await store.changed_status_tokens("2026-01-01T00:00:00Z") == []
    assert await store.get_status_token("nope") is None


async def test_exchanges(store: Store) -> None:
    records = [exchange(1), exchange(2, expires=NOW - 1), exchange(3, workflow="present", expires=NOW - 5)]
    assert await store.add_exchanges(records) == records
    assert await store.add_exchanges([records[0]]) == [records[0]]  # created again: the stored one
    with pytest.raises(Conflict) as clash:
        await store.add_exchanges([dataclass_replace(records[0], request_hash="other")])
    assert clash.value.code == "exchangeIdInUse"
    assert await store.get_exchange("nope") is None and await store.start_exchange("nope", NOW) is None
    await store.refuse_presentation("x1", '{"code": "bad"}')
    refused = await store.get_exchange("x1")
    assert (refused.attempts, refused.last_error) == (1, '{"code": "bad"}')
    assert await store.cancel_exchange("x2", NOW) == "expired"
    assert await store.cancel_exchange("nope", NOW) == "unknown"
    assert await store.cancel_exchange("x1", NOW) == "completed"
    assert await store.cancel_exchange("x1", NOW) == "invalid"
    async with store.issuance() as issuance:
        assert await issuance.complete_exchange("x1", NOW, None, "{}") == "invalid"
    cancelled = await store.get_exchange("x1")
    assert (cancelled.state, cancelled.sequence, cancelled.completed) == ("invalid", 1, NOW)
    assert await store.prune_exchanges("claim", NOW) == 1  # x2 (expired); x1 is not, x3 is another workflow
    assert await store.get_exchange("x2") is None and await store.get_exchange("x3") is not None
    assert await store.prune_exchanges("present", NOW, limit=0) == 0
    assert await store.prune_exchanges("present", NOW) == 1


async def test_challenges_and_nonces(store: Store) -> None:
    assert await store.add_challenge("c1", NOW, NOW + 10, 2) and await store.add_challenge("c2", NOW, NOW + 20, 2)
    assert not await store.add_challenge("c3", NOW, NOW + 10, 2)  # full
    assert await store.challenge_state("c1", NOW) == "open" and await store.challenge_state("cx", NOW) == "unknown"
    assert await store.challenge_state("c1", NOW + 10) == "expired"
    assert await store.consume_challenge("c1", NOW + 10) == "expired"
    assert await store.consume_challenge("c2", NOW) == "consumed"
    assert await store.challenge_state("c2", NOW) == "used" and await store.consume_challenge("cx", NOW) == "unknown"
    assert await store.add_challenge("c3", NOW + 10, NOW + 30, 2)  # c1 expired and purged: room again
    assert await store.challenge_state("c1", NOW) == "unknown"
    assert await store.add_oid4vci_nonce("n1", NOW, NOW + 10, 5)
    assert await store.consume_oid4vci_nonce("n1", NOW + 10) == "expired"
    assert await store.consume_oid4vci_nonce("nx", NOW) == "unknown"


async def test_openid4vci_codes_and_tokens(store: Store) -> None:
    await store.add_exchanges([exchange(1), exchange(2), exchange(3, state="complete")])
    assert not await store.add_oid4vci_code("closed", "x3", NOW, NOW + 60, 5)
    assert await store.add_oid4vci_code("p1", "x1", NOW, NOW + 60, 1)
    assert not await store.add_oid4vci_code("p2", "x1", NOW, NOW + 60, 1)  # one unused code held already
    assert await store.oid4vci_code_exchange("p1") == "x1" and await store.oid4vci_code_exchange("nope") is None
    assert await store.redeem_oid4vci_code("nope", NOW, lambda _: True, 2, "t", NOW + 60) == ("unknown", None, 0)
    assert await store.redeem_oid4vci_code("p1", NOW, lambda _: False, 2, "t", NOW + 60) == ("wrongTxCode", "x1", 1)
    assert await store.redeem_oid4vci_code("p1", NOW + 60, lambda _: True, 2, "t", NOW + 60) == \
        ("expired", "x1", 1)
    assert await store.redeem_oid4vci_code("p1", NOW, lambda _: True, 2, "t1", NOW + 60, '[{"d": 1}]') == \
        ("issued", "x1", 1)
    assert await store.oid4vci_token_grant("t1", NOW) == ("x1", '[{"d": 1}]')
    assert await store.oid4vci_token_grant("t1", NOW + 60) is None and await store.oid4vci_token_grant("t", NOW) is None
    started = await store.get_exchange("x1")
    assert (started.state, started.sequence) == ("active", 1)

    binding = ("client", "https://wallet.example/cb", "challenge")
    assert await store.authorize_oid4vci("x3", NOW, lambda: True, 2, "a0", binding, NOW + 60, 5) == \
        ("exchangeClosed", 0)
    assert await store.authorize_oid4vci("x2", NOW, lambda: False, 2, "a0", binding, NOW + 60, 5) == \
        ("wrongTxCode", 1)
    assert await store.authorize_oid4vci("x2", NOW, lambda: True, 2, "a1", binding, NOW + 60, 1, '{"x": 1}') == \
        ("authorized", 1)
    assert await store.authorize_oid4vci("x2", NOW, lambda: True, 2, "a2", binding, NOW + 60, 1) == ("tooMany", 1)
    assert await store.oid4vci_auth_code_grant("a1") == ("x2", '{"x": 1}')
    assert await store.oid4vci_auth_code_grant("nope") is None
    assert await store.redeem_oid4vci_auth_code("nope", NOW, lambda *_: True, "t", NOW + 60, NOW) == ("unknown", None)
    assert await store.redeem_oid4vci_auth_code("a1", NOW, lambda *b: b == binding, "t2", NOW + 60, NOW) == \
        ("issued", "x2")
    assert await store.oid4vci_token_grant("t2", NOW) == ("x2", None)
    # The code presented again: refused, and the token it gave is revoked.
    assert await store.redeem_oid4vci_auth_code("a1", NOW, lambda *_: True, "t3", NOW + 60, NOW) == ("used", "x2")
    assert await store.oid4vci_token_grant("t2", NOW) is None
    # A wrong binding spends the code.
    assert await store.authorize_oid4vci("x2", NOW, lambda: True, 2, "a3", binding, NOW + 60, 5) == ("authorized", 1)
    assert await store.redeem_oid4vci_auth_code("a3", NOW, lambda *_: False, "t4", NOW + 60, NOW) == \
        ("mismatch", "x2")
    assert await store.redeem_oid4vci_auth_code("a3", NOW, lambda *_: True, "t4", NOW + 60, NOW) == ("used", "x2")
    # Wrong codes of both flows count against one limit.
    assert await store.authorize_oid4vci("x2", NOW, lambda: False, 2, "a4", binding, NOW + 60, 5) == \
        ("wrongTxCode", 0)
    assert await store.authorize_oid4vci("x2", NOW, lambda: True, 2, "a4", binding, NOW + 60, 5) == ("locked", 0)


def signed(signer, log: str, seq: int, prev: str | None, statement: dict[str, Any]
           ) -> tuple[StoredEntry, dict[str, Any]]:
    entry = make_entry(signer, log, seq, prev, statement)
    return StoredEntry(log, seq, entry_cid(entry), entry), make_head(signer, log, seq, entry_cid(entry))


async def test_the_anchor_store(store: Store) -> None:
    from vcnode.anchor.cid import cid_for_bytes

    signer, witness = did_key_signer(), did_key_signer()
    log = signer.verification_method.split("#")[0]
    anchors, pending = anchor_store_for(store), pending_store_for(store)
    assert await anchors.head(log) is None and await anchors.heads() == [] and await anchors.entry(log, 1) is None
    await pending.note("https://a.example/trust/1", log, 10.0)
    await pending.note("https://a.example/trust/2", log, 5.0)
    blob = b"list one"
    payload = cid_for_bytes(blob)
    first, _ = signed(signer, log, 1, None, {"type": STATUS_LIST_PUBLISHED, "url": "https://a.example/s/1",
                                            "version": 1, "payload": payload, "size": len(blob)})
    second, head = signed(signer, log, 2, first.cid, {"type": TRUST_STATEMENT_PUBLISHED,
                                                      "url": "https://a.example/trust/1", "version": 1,
                                                      "payload": payload, "size": len(blob)})
    assert await anchors.append([first, second], head, {payload: blob}, expect=0)
    assert await anchors.head(log) == head and await anchors.heads() == [head]
    assert await anchors.entry(log, 2) == second and await anchors.entry(log, 3) is None
    assert await anchors.entries(log, 2, 10) == [second] and await anchors.entries(log, 1, 1) == [first]
    assert await anchors.blob(payload) == blob and await anchors.blob("nope") is None
    assert await anchors.bytes_held(log) == len(blob) and await anchors.bytes_held("did:example:none") == 0
    anchor = await anchors.list_anchor("https://a.example/s/1")
    assert anchor == ListAnchor(log, 1, 1, payload, first.document["time"])
    assert await anchors.list_anchor("https://a.example/s/1", "did:example:other") is None
    assert [url for url, _ in await anchors.anchored(TRUST_STATEMENT_PUBLISHED, log)] == ["https://a.example/trust/1"]
    # Anchoring a trust statement settles its pending note; notes come oldest first.
    assert [(n.statement_id, n.noted) for n in await pending.pending()] == [("https://a.example/trust/2", 5.0)]
    [note] = await pending.pending()
    await pending.note(note.statement_id, log, 20.0)  # renewed by another process
    assert not await pending.forget(note) and await pending.forget(dataclass_replace(note, noted=20.0))
    await pending.note("https://a.example/trust/3", log, 1.0)
    await pending.settle("https://a.example/trust/3")
    assert await pending.pending() == []

    name = witness.verification_method.split("#")[0]
    statement = make_witness(witness, name, log, 2, second.cid)
    assert await anchors.add_witness(statement)
    assert not await anchors.add_witness(make_witness(witness, name, log, 1, first.cid))  # older: kept the newer
    assert await anchors.witnesses(log, 2) == [statement] and await anchors.witnesses(log, 3) == []
    proof = {"log": log, "seq": 2, "a": "x", "b": "y"}
    assert await anchors.add_equivocation(proof) and not await anchors.add_equivocation(proof)
    assert await anchors.equivocations(log) == [proof] and await anchors.equivocations("did:example:other") == []
    assert await anchors.equivocation_counts() == {log: 1}

    await save_peers(store, [("https://b.example", None, "config", 3, False), ("https://a.example", "did:web:a",
                                                                              "gossip", -1, True)])
    assert await load_peers(store) == [("https://a.example", "did:web:a", "gossip", -1, True),
                                       ("https://b.example", None, "config", 3, False)]
    await save_peers(store, [])
    assert await load_peers(store) == []


@pytest.mark.parametrize(("name", "limit"), [("add_jobs", 3), ("add_challenges", COUNT), ("add_nonces", COUNT),
                                             ("add_codes", 3)])
async def test_a_limit_on_what_is_held_holds_when_several_processes_add_at_once(
        store: Store, store_location: Path | str, name: str, limit: int) -> None:
    await store.add_exchanges([exchange(0)])
    added = [ok for result in race(name, store_location) for ok in result]
    assert sum(added) == limit


@pytest.mark.parametrize("store_kind", ["postgresql"])  # SQLite runs one writer at a time by design
async def test_an_open_issuance_holds_up_neither_revocations_nor_other_issuers_of_its_list(
        store: Store, store_location: Path | str) -> None:
    import asyncio

    spec = StatusListSpec("revocation", entries=64)
    async with store.issuance() as issuance:
        [earlier] = await issuance.allocate("did:web:a", spec, ["urn:c:earlier"])
    other = await open_store(store_location)
    try:
        async with store.issuance() as issuance:  # still open (signing, say) while the others write
            await issuance.allocate("did:web:a", spec, ["urn:c:open"])
            change = StatusChange("t", "me", "urn:c:earlier", earlier.list_id, earlier.index, "revocation", 0, 1)
            assert (await asyncio.wait_for(other.change_status(change, irreversible=True), 5)).before == 0

            async def issue_elsewhere() -> None:
                async with other.issuance() as elsewhere:
                    await elsewhere.allocate("did:web:a", spec, ["urn:c:elsewhere"])

            await asyncio.wait_for(issue_elsewhere(), 5)
            await asyncio.wait_for(issuance.allocate("did:web:a", spec, ["urn:c:open-2"]), 5)
    finally:
        await other.close()
    assert len(await store.status_indexes(["urn:c:earlier", "urn:c:open", "urn:c:elsewhere", "urn:c:open-2"])) == 4


async def test_key_rotations_from_several_processes_each_retire_the_key_active_then(
        store: Store, store_location: Path | str) -> None:
    first = KeyRecord("did:web:a#k0", "did:web:a", "Ed25519", "z0", b"sealed", "2026-01-01", None, True)
    await store.add_identity(IdentityRecord("did:web:a", "web", "a", "", True, "t"), first)
    retired = [item for result in race("rotate_key", store_location, count=10) for item in result]
    keys = await store.list_keys("did:web:a")
    [active] = [k.id for k in keys if k.active]
    # Every rotation went through (none told the identity had no active key), each retiring a different key:
    # one chain from k0 to the key active now.
    assert sorted(retired) == sorted(k.id for k in keys if k.id != active)
