#!/usr/bin/env python3
"""Status list throughput: cached status checks, revocations with re-publication, and batch issuance with
status entries. A benchmark, not a test.

Baselines, measured in the same run:
- checks: decoding the list for every check (base64 + GZIP + bit read, no cache), the straightforward way;
- revocations: re-signing the list after every revocation (eager publication) instead of once per fetch;
- batch issuance: one credential per transaction (as an issuing loop over ``/credentials/issue`` does)
  instead of 250-credential chunks.

    .venv/bin/python scripts/bench_status.py [--credentials 10000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from vcnode.config import load_config
from vcnode.credentials.batch import issue_batch
from vcnode.credentials.report import Report
from vcnode.node import Node, initialise
from vcnode.status.bitstring import decode_list, get_entry
from vcnode.status.entries import status_requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_resolve import pin

GOALS = {"cached_checks_per_s": 50_000, "batch_credentials_per_s": 1_000}
ACHIEVEMENT = {"id": "https://hcp.example/achievements/daf", "name": "Data Analytics Fundamentals",
               "description": "Descriptive statistics and dashboards.",
               "criteria": {"narrative": "Pass the assessed project."}, "creditsAvailable": 5}


async def open_node(workdir: Path) -> Node:
    env = {"VCNODE_PASSPHRASE": "benchmark passphrase"}
    config = load_config(workdir / "node", environ=env, overrides={"log_level": "warning"})
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


async def revocations(node: Node, credentials: list[dict[str, Any]], eager: bool) -> float:
    """Revocations/s including re-publication of the list (once at the end, or after each when ``eager``)."""
    list_ids = set()
    started = time.perf_counter()
    for credential in credentials:
        update = await node.status.update(credential["id"], "revocation", 1, actor="bench")
        list_id = update.list_url.rsplit("/", 1)[1]
        list_ids.add(list_id)
        if eager:
            await node.status.published(list_id)
    for list_id in list_ids:
        await node.status.published(list_id)
    return len(credentials) / (time.perf_counter() - started)


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
    args = parser.parse_args()
    if pin(0):
        os.sched_setaffinity(0, {0})  # one core
    r = asyncio.run(run(args.credentials, args.seconds))
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
