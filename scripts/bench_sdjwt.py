#!/usr/bin/env python3
"""SD-JWT VC presentations verified per second: vcnode beside @sd-jwt/sd-jwt-vc (the OpenWallet Foundation's
JavaScript verifier, tests/interop/sdjwt.mjs) in the same run, each on one core. A benchmark, not a test.

Every presentation is a different learner's: an EUDI learning credential (the micro-credential badge of
docs/credentials.md, about 20 claims) issued by a did:key issuer (ES256, or EdDSA with ``--alg``), bound to the
learner's own P-256 key, presented with 3 of its disclosures and a KB-JWT for the verifier's audience and nonce.
Both sides check the issuer's signature, the disclosures' digests, the KB-JWT's signature, ``sd_hash``, nonce
and audience; vcnode also checks ``typ``, ``vct``, ``iss`` against the DID, the times and the KB-JWT's age,
and finds the issuer's key through DID resolution (cached, as a verifier's resolver is). Status is checked by
neither. The JavaScript verifier is built once for the issuer (its key imported once); holder keys are loaded
per presentation on both sides (vcnode's key caches are emptied before each round). Rounds alternate between
the two, the JavaScript one warmed up (its JIT) in the same process before it is timed; each side's fastest
round counts (the machine is shared: a slow round measures the neighbours), and the median is printed beside
it. Goal: vcnode at least 3x the JavaScript verifier.

``make_presentations`` and ``verify_presentations`` / ``verify_presentations_js`` are the hooks
scripts/bench_openid.py uses.

    .venv/bin/python scripts/bench_sdjwt.py [--count 500] [--rounds 5] [--alg ES256|EdDSA] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_key_for
from vcnode.keys import public
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.sdjwt import SdJwtVcOptions, issue_learning_credential, present_sd_jwt_vc, verify_sd_jwt_vc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_resolve import pin  # noqa: E402

GOAL = 3.0  # vcnode at least this many times the JavaScript verifier, per core
AUD = "decentralized_identifier:did:web:employer.example"
NONCE = "bench-nonce-0S6_WzA2Mj"
HARNESS = ROOT / "tests" / "interop" / "sdjwt.mjs"
DISCLOSE = {"family_name": True, "learning_outcomes": True, "assessment_grade": True}


def _badge(issuer: str, learner: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"urn:uuid:00000000-0000-4000-8000-{learner:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Harbour City Polytechnic",
                   "address": {"type": ["Address"], "addressCountryCode": "IE"}},
        "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2031-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"], "name": f"Learner {learner}", "creditsEarned": 5,
            "identifier": [{"type": "IdentityObject", "hashed": False, "identityType": "studentId",
                            "identityHash": f"HCP-{learner:06d}"}],
            "result": [{"type": ["Result"], "value": "B"}],
            "achievement": {
                "id": "https://hcp.example/achievements/data-analytics-fundamentals", "type": ["Achievement"],
                "name": "Data Analytics Fundamentals", "creditsAvailable": 5, "inLanguage": "en",
                "description": "On completion the learner can clean and describe a tabular data set, build "
                               "dashboards that answer a stated question and present findings and their limits.",
                "criteria": {"id": "https://hcp.example/courses/daf#assessment",
                             "narrative": "A proctored online examination and an individually assessed project."},
                "tag": ["micro-credential", "participation: online"],
                "alignment": [
                    {"type": ["Alignment"], "targetFramework": "EQF", "targetCode": "5", "targetName": "EQF 5"},
                    {"type": ["Alignment"], "targetFramework": "ECTS", "targetCode": "5", "targetName": "5 ECTS"},
                    {"type": ["Alignment"], "targetType": "ceasn:Competency", "targetName": "Describe a data set"},
                    {"type": ["Alignment"], "targetType": "ceasn:Competency", "targetName": "Build dashboards"},
                    {"type": ["Alignment"], "targetFramework": "Quality assurance", "targetName": "ESG 2015"}]},
        },
    }


def make_presentations(count: int, alg: str = "ES256") -> tuple[dict[str, str], list[str]]:
    """The issuer's public JWK and ``count`` presentations, each of a different learner and holder key."""
    issuer = P256KeyPair.generate() if alg == "ES256" else Ed25519KeyPair.generate()
    did = did_key_for(issuer.public_multikey)
    kid = f"{did}#{issuer.public_multikey}"
    presentations = []
    for learner in range(count):
        holder = P256KeyPair.generate()
        token = issue_learning_credential(_badge(did, learner), issuer, issuer=did, kid=kid,
                                          holder_jwk=holder.public_jwk, family_name=f"Learner {learner}",
                                          given_name="Test")
        presentations.append(present_sd_jwt_vc(token, disclose=DISCLOSE, holder=holder, aud=AUD, nonce=NONCE))
    return issuer.public_jwk, presentations


async def verify_presentations(presentations: list[str], resolver: Resolver | None = None, *, audience: str = AUD,
                               nonce: str = NONCE) -> tuple[float, int]:
    """Verify each presentation once with vcnode (one after another, one core): (seconds, how many verified)."""
    resolver = resolver or Resolver([KeyDriver()])
    options = SdJwtVcOptions(audience=audience, nonce=nonce)
    verified = 0
    started = time.perf_counter()
    for presentation in presentations:
        verified += (await verify_sd_jwt_vc(presentation, resolver, options)).verified
    return time.perf_counter() - started, verified


def verify_presentations_js(presentations: list[str], issuer_jwk: dict[str, str], *, audience: str = AUD,
                            nonce: str = NONCE, core: int | None = 0, warm_up: bool = True) -> tuple[float, int]:
    """Verify each presentation once with @sd-jwt/sd-jwt-vc in a Node process (on ``core``), after a warm-up
    pass in the same process: (seconds, how many verified)."""
    job = {"op": "bench", "tokens": presentations, "issuerJwk": issuer_jwk, "aud": audience, "nonce": nonce}
    jobs = [job, job] if warm_up else [job]
    prefix = pin(core) if core is not None else []
    done = subprocess.run([*prefix, "node", str(HARNESS)], input=json.dumps(jobs), capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the Node harness failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)[-1]
    return result["seconds"], result["verified"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="presentations per round (default 500)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--alg", choices=["ES256", "EdDSA"], default="ES256", help="the issuer's algorithm")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})  # vcnode on core 0, like the Node process
    issuer_jwk, presentations = make_presentations(args.count, args.alg)
    resolver = Resolver([KeyDriver()])
    asyncio.run(verify_presentations(presentations[: min(50, args.count)], resolver))  # warm the resolver's cache
    ours, theirs = [], []
    for _ in range(args.rounds):
        seconds, verified = verify_presentations_js(presentations, issuer_jwk)
        if verified != args.count:
            raise SystemExit(f"@sd-jwt verified {verified} of {args.count}")
        theirs.append(args.count / seconds)
        # Holder keys are new to a verifier: forget the ones loaded in the previous round (the JavaScript side
        # imports each one every time). The issuer's DID stays resolved, as in a verifier's resolver cache.
        public._EC_KEYS.clear()
        public._from_multikey.cache_clear()
        seconds, verified = asyncio.run(verify_presentations(presentations, resolver))
        if verified != args.count:
            raise SystemExit(f"vcnode verified {verified} of {args.count}")
        ours.append(args.count / seconds)
    result = {"presentations": args.count, "rounds": args.rounds, "alg": args.alg,
              "vcnode_per_second": round(max(ours)), "sd_jwt_js_per_second": round(max(theirs)),
              "ratio": round(max(ours) / max(theirs), 2), "goal": GOAL,
              "median_vcnode_per_second": round(statistics.median(ours)),
              "median_sd_jwt_js_per_second": round(statistics.median(theirs)),
              "median_ratio": round(statistics.median(ours) / statistics.median(theirs), 2),
              "bytes_per_presentation": round(sum(map(len, presentations)) / len(presentations))}
    if args.json:
        print(json.dumps(result))
        return
    print(f"SD-JWT VC presentations verified per second, one core ({args.count} distinct presentations, "
          f"{args.alg} issuer, P-256 holders, ~{result['bytes_per_presentation']} bytes each; best and median "
          f"of {args.rounds} alternating rounds)")
    print(f"  vcnode                 {result['vcnode_per_second']:>8,}/s   "
          f"(median {result['median_vcnode_per_second']:,}/s)")
    print(f"  @sd-jwt/sd-jwt-vc 0.19 {result['sd_jwt_js_per_second']:>8,}/s   "
          f"(median {result['median_sd_jwt_js_per_second']:,}/s)")
    verdict = "meets" if result["ratio"] >= GOAL else "MISSES"
    print(f"  ratio                  {result['ratio']:>8}x   ({verdict} the goal of {GOAL}x; median "
          f"{result['median_ratio']}x)")


if __name__ == "__main__":
    main()
