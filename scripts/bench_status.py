#!/usr/bin/env python3
"""Status list throughput: cached status checks, revocations with re-publication, batch issuance with
status entries, and how allocation and revocation scale with a list's length and fill. A benchmark, not a test.

Baselines, measured in the same run:
- checks: decoding the list for every check (base64 + GZIP + bit read, no cache), the straightforward way;
- revocations: re-signing the list after every revocation (eager publication) instead of once per fetch;
- batch issuance: one credential per transaction (as an issuing loop over ``/credentials/issue`` does)
  instead of 250-credential chunks;
- allocation at 10/50/90/99 % fill of 131,072- and 1,048,576-entry lists: the allocation vcnode used before
  (random candidates checked against the store, every used position read once probing fails), on the same
  list at the same fill;
- revocations on 1M- and 16M-entry lists: the same path on a 131,072-entry list, and the previous storage
  (the whole bitstring in one blob, read and rewritten for every change) on a list of the same length.

    .venv/bin/python scripts/bench_status.py [--credentials 10000] [--json] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from vcnode.config import load_config
from vcnode.credentials.report import Report
from vcnode.issuing.batch import issue_batch
from vcnode.node import Node, initialise
from vcnode.status.bitstring import decode_list, get_entry, new_bitstring, set_entry
from vcnode.status.entries import status_requests
from vcnode.status.records import StatusChange, StatusListSpec
from vcnode.store import open_store
from vcnode.store.sql import SqlIssuance
from vcnode.store.sqlite import SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_resolve import pin

GOALS = {"cached_checks_per_s": 50_000, "batch_credentials_per_s": 1_000}
ACHIEVEMENT = {"id": "https://hcp.example/achievements/daf", "name": "Data Analytics Fundamentals",
               "description": "Descriptive statistics and dashboards.",
               "criteria": {"narrative": "Pass the assessed project."}, "creditsAvailable": 5}


async def open_node(workdir: Path, entries: int = 131_072) -> Node:
    env = {"VCNODE_PASSPHRASE": "benchmark passphrase"}
    config = load_config(workdir / "node", environ=env, overrides={"log_level": "warning",
                                                                   "status_list_entries": entries})
    return await initialise(config, did_method="key", environ=env)


def learners(count: int, offset: int = 0) -> list[dict[str, str]]:
    return [{"id": f"did:example:learner-{offset + n}", "email": "", "name": f"Learner {n}"} for n in range(count)]


async def batch(node: Node, workdir: Path, count: int) -> tuple[float, list[dict[str, Any]]]:
    """Credentials/s for a ``count``-row issue-batch with revocation and suspension entries."""
    did = node.identities.default_did
    status = [node.credentials.list_spec(s) for s in status_requests({"statusPurpose": ["revocation", "suspension"]})]
    started = time.perf_counter()
    result = await issue_batch(learners(count), achievement=ACHIEVEMENT, issuer_did=did, issuer_profile={
        "name": "Harbour City Polytechnic"}, identities=node.identities, store=node.store, out_dir=workdir / "out",
        suite="eddsa-rdfc-2022", status=status, status_service=node.status)
    elapsed = time.perf_counter() - started
    assert result.issued == count
    sample = [orjson.loads(p.read_bytes()) for p in sorted((workdir / "out").glob("*.json"))[:2000]]
    return count / elapsed, sample


async def one_by_one(node: Node, count: int) -> float:
    """Baseline: each credential issued in its own transaction."""
    did = node.identities.default_did
    status = status_requests({"statusPurpose": ["revocation", "suspension"]})
    started = time.perf_counter()
    for n in range(count):
        credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": f"urn:uuid:one-{n}",
                      "type": ["VerifiableCredential"], "issuer": did,
                      "credentialSubject": {"id": f"did:example:learner-{n}"}}
        await node.credentials.issue(credential, status=status)
    return count / (time.perf_counter() - started)


async def revocations(node: Node, credentials: list[dict[str, Any]], eager: bool, publish: bool = True) -> float:
    """Revocations/s including re-publication of the list (once at the end, or after each when ``eager``;
    none with ``publish=False``)."""
    list_ids = set()
    started = time.perf_counter()
    for credential in credentials:
        update = await node.status.update(credential["id"], "revocation", 1, actor="bench")
        list_id = update.list_url.rsplit("/", 1)[1]
        list_ids.add(list_id)
        if eager:
            await node.status.published(list_id)
    for list_id in list_ids if publish else ():
        await node.status.published(list_id)
    return len(credentials) / (time.perf_counter() - started)


async def previous_revocations(store: SqliteStore, entries: int, count: int) -> float:
    """Changes/s with the storage vcnode used before issue 12, in the same database: the list's whole
    bitstring in one blob, read, changed and written back in the change's transaction with the audit row."""
    async with store.transaction() as db:
        await db.execute("CREATE TABLE bench_previous (id TEXT PRIMARY KEY, status_size INTEGER, bits BLOB, "
                         "version INTEGER)")
        await db.execute("INSERT INTO bench_previous VALUES ('p', 1, ?, 1)", (bytes(new_bitstring(entries)),))
    indexes = secrets.SystemRandom().sample(range(entries), count)
    started = time.perf_counter()
    for index in indexes:
        async with store.transaction() as db:
            async with db.execute("SELECT bits, status_size FROM bench_previous WHERE id = 'p'") as cursor:
                row = await cursor.fetchone()
            bits = bytearray(row[0])
            set_entry(bits, index, 1, int(row[1]))
            await db.execute("UPDATE bench_previous SET bits = ?, version = version + 1 WHERE id = 'p'", (bytes(bits),))
            await db.execute("INSERT INTO status_changes (at, actor, credential_id, list_id, idx, purpose, before, "
                             "after, reason) VALUES ('now', 'bench', 'urn:x', 'p', ?, 'revocation', 0, 1, NULL)",
                             (index,))
    return count / (time.perf_counter() - started)


async def changes(store: SqliteStore, list_id: str, entries: int, count: int) -> float:
    """Status changes/s through the store (``change_status``: the chunk, the version, the audit row)."""
    indexes = secrets.SystemRandom().sample(range(entries), count)
    started = time.perf_counter()
    for index in indexes:
        await store.change_status(StatusChange("now", "bench", "urn:x", list_id, index, "revocation", 0, 1))
    return count / (time.perf_counter() - started)


async def revocations_by_length(workdir: Path, entries: int, count: int) -> dict[str, float]:
    """On ``entries``-long lists: revocations/s through ``StatusService.update`` (no re-publication), status
    changes/s in the store against the previous storage's on a list of the same length, and the time to sign
    such a list once."""
    node = await open_node(workdir / f"length-{entries}", entries)
    try:
        _, sample = await batch(node, workdir / f"length-{entries}", count)
        rate = await revocations(node, sample[:count], eager=False, publish=False)
        list_id = sample[0]["credentialStatus"][0]["statusListCredential"].rsplit("/", 1)[1]
        started = time.perf_counter()
        await node.status.published(list_id)
        sign = time.perf_counter() - started
        assert isinstance(node.store, SqliteStore)
        store_rate = await changes(node.store, list_id, entries, min(count, 300))
        previous = await previous_revocations(node.store, entries, min(count, 300))
    finally:
        await node.close()
    return {"revocations_per_s": rate, "changes_per_s": store_rate, "previous_changes_per_s": previous,
            "sign_s": sign}


async def checks(node: Node, credentials: list[dict[str, Any]], seconds: float) -> tuple[float, float]:
    """Cached status checks/s through the verifier's StatusChecker, and the decode-every-time baseline."""
    checker, now = node.status_checker, datetime.now(UTC)
    for credential in credentials[:5]:  # warm the cache (fetch, verify and decode each list once)
        await checker.check(credential, Report(), now)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for credential in credentials:
            report = Report()
            await checker.check(credential, report, now)
        done += len(credentials)
    cached = done / (time.perf_counter() - started)
    lists = {}
    for credential in credentials[:5]:
        for entry in credential["credentialStatus"]:
            url = entry["statusListCredential"]
            lists[url] = orjson.loads((await node.status.published(url.rsplit("/", 1)[1])).document)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds / 2:
        for credential in credentials[:200]:
            for entry in credential["credentialStatus"]:
                bits = decode_list(lists[entry["statusListCredential"]]["credentialSubject"]["encodedList"])
                get_entry(bits, int(entry["statusListIndex"]))
        done += 200
    return cached, done / (time.perf_counter() - started)


FILLS = (10, 50, 90, 99)
CHUNK = 250


async def previous_allocation(store: SqliteStore, list_id: str, entries: int, count: int) -> list[int]:
    """The allocation vcnode used before issue 12: random candidates checked against the store (8 rounds),
    then every used position of the list read to draw from the free ones."""
    db = store.db
    chosen: set[int] = set()
    for _ in range(8):
        candidates = list({secrets.randbelow(entries) for _ in range(2 * (count - len(chosen)) + 8)} - chosen)
        used: set[int] = set()
        for start in range(0, len(candidates), 500):
            chunk = candidates[start:start + 500]
            async with db.execute(f"SELECT idx FROM status_entries WHERE list_id = ? AND idx IN "
                                  f"({','.join('?' * len(chunk))})", [list_id, *chunk]) as cursor:
                used.update([row[0] async for row in cursor])
        chosen.update(index for index in candidates if index not in used)
        if len(chosen) >= count:
            return list(chosen)[:count]
    async with db.execute("SELECT idx FROM status_entries WHERE list_id = ?", (list_id,)) as cursor:
        taken = {row[0] async for row in cursor} | chosen
    free = [index for index in range(entries) if index not in taken]
    return [*chosen, *secrets.SystemRandom().sample(free, count - len(chosen))]


async def fill_to(store: SqliteStore, spec: StatusListSpec, target: int, done: int) -> int:
    """Allocate until ``target`` positions of the list are taken (20,000 per transaction)."""
    while done < target:
        step = min(20_000, target - done)
        async with store.issuance() as issuance:
            await issuance.allocate("did:example:bench", spec, [f"urn:fill:{done + n}" for n in range(step)])
        done += step
    return done


async def rolled_back(store: SqliteStore, work: Awaitable[Any]) -> float:
    """Seconds ``work`` takes inside a write transaction that is then rolled back."""
    await store.db.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        await work
        return time.perf_counter() - started
    finally:
        await store.db.execute("ROLLBACK")


async def allocation(workdir: Path, entries: int, rounds: int) -> dict[str, dict[str, float]]:
    """Microseconds per position for a 250-credential chunk at each fill, vcnode's allocation and the previous
    one (each allocation rolled back, so both see the same list; the fastest of ``rounds``)."""
    store = await open_store(workdir / f"alloc-{entries}.sqlite3")
    spec = StatusListSpec("revocation", entries=entries)
    out: dict[str, dict[str, float]] = {}
    try:
        done = 0
        for fill in FILLS:
            done = await fill_to(store, spec, entries * fill // 100, done)
            async with store.db.execute("SELECT id FROM status_lists") as cursor:
                [(list_id,)] = await cursor.fetchall()
            ours, previous = [], []
            for n in range(rounds):
                ids = [f"urn:bench:{fill}:{n}:{i}" for i in range(CHUNK)]
                previous.append(await rolled_back(store, previous_allocation(store, list_id, entries, CHUNK)))
                issuance = SqlIssuance(store.db, store)
                ours.append(await rolled_back(store, issuance.allocate("did:example:bench", spec, ids)))
            out[str(fill)] = {"vcnode_us": min(ours) / CHUNK * 1e6, "previous_us": min(previous) / CHUNK * 1e6}
    finally:
        await store.close()
    return out


async def scaling(quick: bool) -> dict[str, Any]:
    """Allocation at each fill of 131k and 1M lists, and revocations on 131k, 1M and 16M lists."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        return {"allocation": {str(entries): await allocation(workdir, entries, 3 if quick else 5)
                               for entries in (131_072, 1_048_576)},
                "revocations": {str(entries): await revocations_by_length(workdir, entries, 300 if quick else 1000)
                                for entries in (131_072, 1_048_576, 16_777_216)}}


async def run(count: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        node = await open_node(workdir)
        try:
            batch_rate, sample = await batch(node, workdir, count)
            baseline_rate = await one_by_one(node, min(500, count))
            cached, uncached = await checks(node, sample, seconds)
            lazy = await revocations(node, sample[:1000], eager=False)
            eager = await revocations(node, sample[1000:1200], eager=True)
        finally:
            await node.close()
    return {"batch_credentials_per_s": batch_rate, "one_by_one_credentials_per_s": baseline_rate,
            "cached_checks_per_s": cached, "decode_each_check_per_s": uncached,
            "revocations_per_s": lazy, "eager_republish_revocations_per_s": eager, "credentials": count}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="fewer rounds for the scaling figures")
    args = parser.parse_args()
    if pin(0):
        os.sched_setaffinity(0, {0})  # one core
    r = asyncio.run(run(args.credentials, args.seconds))
    r["scaling"] = asyncio.run(scaling(args.quick))
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"Status lists, one core ({r['credentials']:,} OB3 credentials, revocation + suspension entries)")
    print(f"  batch issuance      {r['batch_credentials_per_s']:>10,.0f} credentials/s   one per transaction "
          f"{r['one_by_one_credentials_per_s']:>8,.0f}/s   ratio "
          f"{r['batch_credentials_per_s'] / r['one_by_one_credentials_per_s']:.1f}x   goal >= 1,000/s")
    print(f"  cached status check {r['cached_checks_per_s']:>10,.0f} checks/s        decode every check "
          f"{r['decode_each_check_per_s']:>8,.0f}/s   ratio "
          f"{r['cached_checks_per_s'] / r['decode_each_check_per_s']:.1f}x   goal >= 50,000/s")
    print(f"  revocations         {r['revocations_per_s']:>10,.0f} revocations/s   re-sign after each "
          f"{r['eager_republish_revocations_per_s']:>8,.0f}/s   ratio "
          f"{r['revocations_per_s'] / r['eager_republish_revocations_per_s']:.1f}x   (re-publication included)")
    print(f"  allocation, microseconds per position in a {CHUNK}-credential chunk, by fill (goal: flat)")
    for entries, fills in r["scaling"]["allocation"].items():
        base = fills[str(FILLS[0])]["vcnode_us"]
        print(f"    {int(entries):>10,}-entry list " + "  ".join(
            f"{fill}%: {f['vcnode_us']:>6,.0f} us ({f['vcnode_us'] / base:.1f}x of 10%; previous "
            f"{f['previous_us']:>8,.0f} us, {f['previous_us'] / f['vcnode_us']:.1f}x)" for fill, f in fills.items()))
    revoked = r["scaling"]["revocations"]
    small = revoked["131072"]["revocations_per_s"]
    print("  revocations by list length (goal: independent of the length); re-publication not included")
    for entries, f in revoked.items():
        print(f"    {int(entries):>10,}-entry list {f['revocations_per_s']:>6,.0f} revocations/s "
              f"({f['revocations_per_s'] / small:.2f}x of 131,072)   store change {f['changes_per_s']:>6,.0f}/s, "
              f"previous storage {f['previous_changes_per_s']:>6,.0f}/s (ratio "
              f"{f['changes_per_s'] / f['previous_changes_per_s']:.1f}x)   signing the list "
              f"{f['sign_s'] * 1000:,.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
