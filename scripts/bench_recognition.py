#!/usr/bin/env python3
"""Recognition throughput: trust-path evaluations per second. A benchmark, not a test.

- warm, 3 hops: anchor → agreement → agreement → accreditation → provider, the statements parsed and
  indexed once (as a node holds them), a different credential (learner) for each evaluation;
- large index: the same path among 1,000 regulators (each recognised by 3 others) and 10,000
  accreditations, plus evaluations for random providers of that index;
- the cost of recognition on top of a plain verification (eddsa-rdfc-2022, full report, both as JSON), in
  process and through a real node (badges with status entries, the node's TrustService).

Baseline, measured in the same run: a source that keeps the signed statements as a list and, for every
lookup, scans them all and parses the ones that match (no index, nothing parsed ahead).

    .venv/bin/python scripts/bench_recognition.py [--seconds 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from did_methods.key import KeyDriver
from vcnode.config import load_config
from vcnode.credentials import issue_credential, verify_credential
from vcnode.credentials.model import as_list
from vcnode.did.resolver import Resolver
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.node import initialise
from vcnode.status.entries import status_requests
from vcnode.trust import (
    CreditConversion,
    Indexed,
    InMemoryStatements,
    LevelMap,
    RecognitionCache,
    RecognitionOptions,
    Scope,
    build_accreditation,
    build_agreement,
    evaluate_recognition,
    parse_statement,
)
from vcnode.trust.examples import FRAMEWORKS, example_badge, example_documents
from vcnode.trust.service import RecognitionRequest
from vcnode.trust.statements import Accreditation, Endorsement, FrameworkDescriptor, RecognitionAgreement

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_resolve import pin

GOAL_WARM = 5_000  # evaluations/s
GOAL_OVERHEAD = 0.20  # recognition adds at most 20 % to a plain verification
NOW = datetime(2026, 6, 1, tzinfo=UTC)
HKQF, NZQCF = FRAMEWORKS["HKQF"], FRAMEWORKS["NZQCF"]
FROM, UNTIL = "2025-01-01T00:00:00Z", "2030-12-31T23:59:59Z"


class ScanningSource:
    """The baseline: every lookup scans all statements and parses those that match."""

    def __init__(self, documents: Sequence[dict[str, Any]]) -> None:
        self._documents = list(documents)

    def _scan(self, kind: str, member: Callable[[dict[str, Any]], Any], value: str) -> list[Indexed[Any]]:
        return [Indexed(parse_statement(d)) for d in self._documents
                if kind in as_list(d.get("type")) and member(d) == value]

    def accreditations_of(self, provider: str) -> list[Indexed[Accreditation]]:
        return self._scan("AccreditationCredential", lambda d: d["credentialSubject"]["id"], provider)

    def agreements_recognising(self, regulator: str) -> list[Indexed[RecognitionAgreement]]:
        return self._scan("RecognitionAgreementCredential", lambda d: d["credentialSubject"]["id"], regulator)

    def framework(self, reference: str) -> Indexed[FrameworkDescriptor] | None:
        for document in self._documents:
            if "FrameworkDescriptorCredential" in as_list(document.get("type")):
                parsed = parse_statement(document)
                assert isinstance(parsed, FrameworkDescriptor)
                if parsed.matches(reference):
                    return Indexed(parsed)
        return None

    def endorsements_of(self, subject: str) -> list[Indexed[Endorsement]]:
        return self._scan("EndorsementCredential", lambda d: d["credentialSubject"]["id"], subject)


def did(n: str) -> str:
    return f"did:example:{n}"


def path_statements() -> list[dict[str, Any]]:
    """Frameworks, and anchor → r1 → r2 (HK regulator) → provider: three hops."""
    documents = example_documents({"hk-regulator": did("hk"), "nz-regulator": did("nz")}, ["frameworks"])
    documents.append(build_accreditation(regulator=did("hk"), provider=did("provider"),
                                         scope=Scope(HKQF, "4", ("ICT (ISCED-F 06)",), ("HK",)), valid_from=FROM,
                                         valid_until=UNTIL))
    documents.append(build_agreement(regulator=did("nz"), recognised=did("hk"), scope=Scope(HKQF, "5"),
                                     level_map=LevelMap(HKQF, NZQCF, (("4", "6"), ("5", "7"))),
                                     credit_conversion=CreditConversion(HKQF, NZQCF, 1.0), valid_from=FROM,
                                     valid_until=UNTIL))
    documents.append(build_agreement(regulator=did("anchor"), recognised=did("nz"), scope=Scope(NZQCF, "8"),
                                     valid_from=FROM, valid_until=UNTIL))
    return documents


def large_statements(regulators: int, accreditations: int, seed: int = 7) -> list[dict[str, Any]]:
    """``regulators`` regulators, each recognised by 3 others; ``accreditations`` providers accredited."""
    rng = random.Random(seed)
    documents = []
    for n in range(regulators):
        for other in rng.sample([m for m in range(regulators) if m != n], 3):
            documents.append(build_agreement(regulator=did(f"reg-{other}"), recognised=did(f"reg-{n}"),
                                             scope=Scope(HKQF, "6"), valid_from=FROM, valid_until=UNTIL,
                                             level_map=LevelMap(HKQF, NZQCF, (("4", "6"),)),
                                             statement_id=f"urn:example:agreement:{other}:{n}"))
    for n in range(accreditations):
        documents.append(build_accreditation(regulator=did(f"reg-{n % regulators}"), provider=did(f"prov-{n}"),
                                             scope=Scope(HKQF, "4"), valid_from=FROM, valid_until=UNTIL,
                                             statement_id=f"urn:example:accreditation:{n}"))
    return documents


def credentials(issuer: str, count: int) -> list[dict[str, Any]]:
    return [example_badge("hk-cloud-data", issuer=issuer, learner_id=f"did:example:learner-{n}",
                          credential_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}") for n in range(count)]


def rate(run: Callable[[], None], seconds: float) -> float:
    """Calls per second of ``run`` over about ``seconds`` (at least one call)."""
    count, started = 0, time.perf_counter()
    while True:
        run()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count / elapsed


def evaluations(source: Any, pool: list[dict[str, Any]], anchors: set[str], seconds: float,
                expect: bool | None = True, cache: bool = True) -> float:
    options = RecognitionOptions(anchors=anchors, now=NOW, cache=RecognitionCache() if cache else None)
    position = 0

    def one() -> None:
        nonlocal position
        report = evaluate_recognition(pool[position % len(pool)], source, options)
        position += 1
        if expect is not None and (report.recognised.value == "ok") != expect:
            raise SystemExit(f"unexpected result: {report.to_json()['reasons']}")

    return rate(one, seconds)


async def verify_overhead(index: InMemoryStatements, seconds: float) -> dict[str, float]:
    """Verifications/s (report as JSON) without and with the recognition section, for credentials of a
    provider on the 3-hop path, with a warm cache."""
    pair = Ed25519KeyPair.generate()
    key = SigningKey(f"did:key:{pair.public_multikey}#{pair.public_multikey}", pair)
    issuer = key.verification_method.split("#", 1)[0]
    index.add(build_accreditation_for(issuer))
    signed = [issue_credential(c, key) for c in credentials(issuer, 200)]
    resolver = Resolver([KeyDriver()])
    options = RecognitionOptions(anchors={did("anchor")}, now=NOW, cache=RecognitionCache())

    async def measure() -> tuple[float, float]:
        """Time spent verifying and time spent on recognition, interleaved in one loop, so that a change of
        machine load during the run affects both alike."""
        count, verifying, recognising = 0, 0.0, 0.0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            credential = signed[count % len(signed)]
            t0 = time.perf_counter()
            out = (await verify_credential(credential, resolver)).to_json()  # a response carries both as JSON
            t1 = time.perf_counter()
            out["recognition"] = evaluate_recognition(credential, index, options).to_json()
            t2 = time.perf_counter()
            assert out["verified"] and out["recognition"]["recognised"] is True
            verifying, recognising, count = verifying + t1 - t0, recognising + t2 - t1, count + 1
        return verifying / count, recognising / count

    await measure()  # warm the JSON-LD caches and the recognition cache
    verify_s, recognition_s = await measure()
    return {"plain_verify_per_s": 1 / verify_s, "verify_with_recognition_per_s": 1 / (verify_s + recognition_s),
            "recognition_us": recognition_s * 1e6, "recognition_overhead": recognition_s / verify_s}


async def node_overhead(seconds: float, count: int = 300) -> dict[str, float]:
    """The same comparison through a real node (what ``POST /credentials/verify`` runs, without HTTP): the
    badges carry revocation entries, so both sides check status; the recognition side is the node's
    ``TrustService`` (statements published, anchored and indexed as a node holds them, the status of each
    statement on the path confirmed)."""
    with tempfile.TemporaryDirectory(prefix="vcnode-bench-") as home:
        config = load_config(Path(home), environ={}, overrides={"keystore": "plaintext"})
        logging.getLogger("vcnode.node").setLevel(logging.ERROR)  # the plaintext-keys warning
        node = await initialise(config, did_method="key", environ={})
        try:
            hk = node.identities.default_did or ""
            provider = (await node.identities.create("key", name="provider")).did
            nz = (await node.identities.create("key", name="nz")).did
            for document in example_documents({"hk-regulator": hk, "hk-provider": provider, "nz-regulator": nz},
                                              ("frameworks", "accreditations", "agreements")):
                await node.publish_statement(document)
            node.trust.settings = replace(node.trust.settings, anchors=(nz,))
            badges = []
            for n in range(count):
                unsigned = example_badge("hk-cloud-data", issuer=provider, learner_id=f"did:example:learner-{n}",
                                         credential_id=f"urn:uuid:{uuid.uuid4()}")
                issued = await node.credentials.issue(unsigned, status=status_requests({"statusPurpose": "revocation"}))
                badges.append(issued.credential)
            request = RecognitionRequest()

            async def measure() -> tuple[float, float]:
                done, verifying, recognising = 0, 0.0, 0.0
                started = time.perf_counter()
                while time.perf_counter() - started < seconds:
                    badge = badges[done % count]
                    t0 = time.perf_counter()
                    out = (await node.credentials.verify_credential(badge, {})).to_json()
                    t1 = time.perf_counter()
                    out["recognition"] = await node.trust.section(badge, request)
                    t2 = time.perf_counter()
                    assert out["verified"] and out["recognition"]["recognised"] is True, out
                    verifying, recognising, done = verifying + t1 - t0, recognising + t2 - t1, done + 1
                return verifying / done, recognising / done

            await measure()
            verify_s, recognition_s = await measure()
        finally:
            await node.close()
    return {"node_verify_per_s": 1 / verify_s, "node_verify_with_recognition_per_s": 1 / (verify_s + recognition_s),
            "node_recognition_us": recognition_s * 1e6, "node_recognition_overhead": recognition_s / verify_s}


def build_accreditation_for(provider: str) -> Accreditation:
    parsed = parse_statement(build_accreditation(regulator=did("hk"), provider=provider, scope=Scope(HKQF, "4"),
                                                 valid_from=FROM, valid_until=UNTIL))
    assert isinstance(parsed, Accreditation)
    return parsed


def run(seconds: float, regulators: int, accreditations: int) -> dict[str, Any]:
    small = path_statements()
    pool = credentials(did("provider"), 100)
    anchors = {did("anchor")}
    index = InMemoryStatements()
    index.add_all(small)
    out: dict[str, Any] = {"statements_small": len(small)}
    out["warm_3hop_per_s"] = evaluations(index, pool, anchors, seconds)
    out["uncached_3hop_per_s"] = evaluations(index, pool, anchors, seconds, cache=False)
    out["baseline_3hop_per_s"] = evaluations(ScanningSource(small), pool, anchors, seconds, cache=False)

    large = small + large_statements(regulators, accreditations)
    big = InMemoryStatements()
    started = time.perf_counter()
    big.add_all(large)
    out["index_build_s"] = time.perf_counter() - started
    out["statements_large"] = len(big)
    out["large_3hop_per_s"] = evaluations(big, pool, anchors, seconds)
    out["large_uncached_3hop_per_s"] = evaluations(big, pool, anchors, seconds, cache=False)
    out["baseline_large_3hop_per_s"] = evaluations(ScanningSource(large), pool, anchors, min(seconds, 1.0),
                                                   cache=False)
    rng = random.Random(1)
    strangers = [c for n in rng.sample(range(accreditations), 200) for c in credentials(did(f"prov-{n}"), 1)]
    out["large_random_uncached_per_s"] = evaluations(big, strangers, {did("reg-0")}, seconds, expect=None,
                                                     cache=False)
    out.update(asyncio.run(verify_overhead(index, seconds)))
    out.update(asyncio.run(node_overhead(seconds)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--regulators", type=int, default=1_000)
    parser.add_argument("--accreditations", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if pin(0):
        os.sched_setaffinity(0, {0})  # one core
    r = run(args.seconds, args.regulators, args.accreditations)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"Recognition, one core: 3-hop path, evaluations/s (large index: {r['statements_large']:,} statements, "
          f"{args.regulators:,} regulators, {args.accreditations:,} accreditations, indexed in "
          f"{r['index_build_s']:.2f} s)")
    print(f"  {'':24}{'warm cache':>12}{'no cache':>12}{'scan+parse':>12}{'ratio':>10}")
    for label, warm, cold, base in (
            (f"small index ({r['statements_small']} st.)", "warm_3hop_per_s", "uncached_3hop_per_s",
             "baseline_3hop_per_s"),
            ("large index", "large_3hop_per_s", "large_uncached_3hop_per_s", "baseline_large_3hop_per_s")):
        print(f"  {label:24}{r[warm]:>12,.0f}{r[cold]:>12,.0f}{r[base]:>12,.1f}{r[warm] / r[base]:>9,.0f}x")
    print(f"  goal: >= {GOAL_WARM:,}/s warm")
    print(f"  large index, 200 random issuers (anchor reg-0, no cache): {r['large_random_uncached_per_s']:,.0f}/s")
    print(f"  verify (eddsa-rdfc-2022, full report) {r['plain_verify_per_s']:,.0f}/s, with recognition "
          f"{r['verify_with_recognition_per_s']:,.0f}/s: recognition {r['recognition_us']:.0f} us, "
          f"+{r['recognition_overhead']:.1%} (goal <= {GOAL_OVERHEAD:.0%})")
    print(f"  node (badge with status, TrustService, 2-statement path): verify {r['node_verify_per_s']:,.0f}/s, "
          f"with recognition {r['node_verify_with_recognition_per_s']:,.0f}/s: recognition "
          f"{r['node_recognition_us']:.0f} us, +{r['node_recognition_overhead']:.1%} (goal <= {GOAL_OVERHEAD:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
