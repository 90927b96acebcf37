"""The processes of the store contract's races (tests/unit/test_store_contract.py): each is a separate Python
process (multiprocessing's ``spawn``) that opens its own store on the shared SQLite file or PostgreSQL database,
waits for a common start time, and runs one kind of operation many times. Results are plain values the test
checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from vcnode.errors import Conflict
from vcnode.store import Store, anchor_store_for, open_store

#: The status list kind the allocation race fills: short, so lists fill and new ones open during the race.
LIST_ENTRIES = 64
NOW = 1_800_000_000.0


def run(race: str, location: str, worker: int, start_at: float, count: int) -> list[Any]:
    """Run ``race`` as ``worker`` in this process: ``count`` operations from ``start_at`` (a Unix time)."""
    return asyncio.run(_run(RACES[race], location, worker, start_at, count))


async def _run(race: Callable[[Store, int, int], Awaitable[list[Any]]], location: str, worker: int,
               start_at: float, count: int) -> list[Any]:
    store = await open_store(location if location.startswith("postgresql://") else Path(location))
    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        return await race(store, worker, count)
    finally:
        await store.close()


async def allocate(store: Store, worker: int, count: int) -> list[Any]:
    from vcnode.status.records import StatusListSpec

    spec = StatusListSpec("revocation", entries=LIST_ENTRIES)
    out = []
    for n in range(count):
        async with store.issuance() as issuance:
            allocations = await issuance.allocate("did:example:racer", spec, [f"urn:w{worker}:{n}:a",
                                                                               f"urn:w{worker}:{n}:b"])
        out.extend((a.credential_id, a.list_id, a.index) for a in allocations)
    return out


async def revoke_or_clear(store: Store, worker: int, count: int) -> list[Any]:
    """Even workers revoke entry n of the prepared list, odd ones clear it, all irreversibly."""
    from vcnode.status.records import StatusChange

    [listed] = await store.list_status_lists("did:example:racer")
    out = []
    for n in range(count):
        after = 1 if worker % 2 == 0 else 0
        try:
            change = await store.change_status(StatusChange(f"t{worker}", f"w{worker}", f"urn:c:{n}", listed.id, n,
                                                            "revocation", 0, after), irreversible=True)
            out.append((n, after, change.before))
        except Conflict as refused:
            out.append((n, after, refused.code))
    return out


async def consume_challenge(store: Store, worker: int, count: int) -> list[Any]:
    return [(n, await store.consume_challenge(f"challenge-{n}", NOW)) for n in range(count)]


async def consume_nonce(store: Store, worker: int, count: int) -> list[Any]:
    return [(n, await store.consume_oid4vci_nonce(f"nonce-{n}", NOW)) for n in range(count)]


async def redeem_code(store: Store, worker: int, count: int) -> list[Any]:
    out = []
    for n in range(count):
        state, exchange, _ = await store.redeem_oid4vci_code(f"code-{n}", NOW, lambda _: True, 5,
                                                             f"token-{worker}-{n}", NOW + 600)
        out.append((n, state, exchange))
    return out


async def complete_exchange(store: Store, worker: int, count: int) -> list[Any]:
    out = []
    for n in range(count):
        async with store.issuance() as issuance:
            state = await issuance.complete_exchange(f"x{n}", NOW, f"did:example:holder{worker}", f'"{worker}"')
        out.append((n, state))
    return out


async def claim_jobs(store: Store, worker: int, count: int) -> list[Any]:
    got = []
    while (claimed := await store.claim_job(f"p{worker}", NOW, NOW + 3600, 3)) is not None:
        got.append(claimed.id)
    return got


async def append_anchor(store: Store, worker: int, count: int) -> list[Any]:
    """Append to one shared log until it holds ``count`` entries, each attempt built on the head just read
    (``expect``): the positions this worker won."""
    from tests.builders import did_key_signer
    from vcnode.anchor.entries import entry_cid, make_entry, make_head
    from vcnode.anchor.store import StoredEntry

    signer = did_key_signer()
    anchors = anchor_store_for(store)
    won = []
    while True:
        head = await anchors.head("did:example:log")
        seq = head["seq"] if head else 0
        if seq >= count:
            return won
        entry = make_entry(signer, "did:example:log", seq + 1, head["entry"] if head else None,
                           {"type": "Note", "by": worker})
        cid = entry_cid(entry)
        if await anchors.append([StoredEntry("did:example:log", seq + 1, cid, entry)],
                                make_head(signer, "did:example:log", seq + 1, cid), {}, expect=seq):
            won.append((seq + 1, cid))


async def save_credential(store: Store, worker: int, count: int) -> list[Any]:
    from vcnode.credentials.records import CredentialRecord

    out = []
    for n in range(count):
        try:
            async with store.issuance() as issuance:
                await issuance.save_credentials([CredentialRecord(f"urn:uuid:{n}", "did:example:a",
                                                                  f'{{"by": {worker}}}', f"2026-01-01T00:00:{worker}")])
            out.append((n, "stored"))
        except Conflict as refused:
            out.append((n, refused.code))
    return out


async def add_jobs(store: Store, worker: int, count: int) -> list[Any]:
    """Jobs of one owner (token), at most 3 active."""
    from vcnode.jobs.model import new_job_id
    from vcnode.jobs.records import JobRecord

    return [await store.add_job(JobRecord(new_job_id(), "test", "tok", "did:example:a", "queued", "{}",
                                          created=float(n)), max_active=3) for n in range(count)]


async def add_challenges(store: Store, worker: int, count: int) -> list[Any]:
    """Challenges, at most ``count`` held."""
    return [await store.add_challenge(f"c-{worker}-{n}", NOW, NOW + 600, count) for n in range(count)]


async def add_nonces(store: Store, worker: int, count: int) -> list[Any]:
    """c_nonces, at most ``count`` open."""
    return [await store.add_oid4vci_nonce(f"n-{worker}-{n}", NOW, NOW + 600, count) for n in range(count)]


async def add_codes(store: Store, worker: int, count: int) -> list[Any]:
    """Pre-authorised codes for exchange x0, at most 3 unused."""
    return [await store.add_oid4vci_code(f"code-{worker}-{n}", "x0", NOW, NOW + 600, 3) for n in range(count)]


async def rotate_key(store: Store, worker: int, count: int) -> list[Any]:
    """Rotate the key of did:web:a: the ids of the keys this worker retired, or the errors it got."""
    from vcnode.errors import VcnodeError
    from vcnode.identity.records import KeyRecord

    out = []
    for n in range(count):
        new = KeyRecord(f"did:web:a#w{worker}-{n}", "did:web:a", "Ed25519", f"z{worker}-{n}", b"sealed",
                        f"2026-01-02T00:00:{n:02d}Z", None, True)
        try:
            out.append((await store.rotate_key("did:web:a", new, f"2026-01-02T00:00:{n:02d}Z")).id)
        except VcnodeError as error:
            out.append(error.code)
    return out


RACES: dict[str, Callable[[Store, int, int], Awaitable[list[Any]]]] = {
    "allocate": allocate, "revoke_or_clear": revoke_or_clear, "consume_challenge": consume_challenge,
    "consume_nonce": consume_nonce, "redeem_code": redeem_code, "complete_exchange": complete_exchange,
    "claim_jobs": claim_jobs, "append_anchor": append_anchor, "save_credential": save_credential,
    "add_jobs": add_jobs, "add_challenges": add_challenges, "add_nonces": add_nonces, "add_codes": add_codes,
    "rotate_key": rotate_key,
}
