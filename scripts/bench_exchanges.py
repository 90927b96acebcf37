#!/usr/bin/env python3
"""VC API exchange throughput: claim and present exchanges per second, in-process and over HTTP, beside the
plain issue and verify each one wraps, measured in the same run. A benchmark, not a test.

- claim exchange: create + start (``{}``) + the wallet's DIDAuth presentation verified + the credential issued
  with a revocation entry and stored, the exchange completed; baseline: plain issue of the same badge with a
  revocation entry (``CredentialService.issue`` / ``POST /credentials/issue``).
- present exchange: start + the wallet's presentation of one badge (its own, with a revocation entry)
  verified (proof, holder binding, status) + the report stored as the exchange's result; baseline: plain
  verification of a presentation of the same shape (``verify_presentation`` / ``POST /presentations/verify``
  with the challenge and domain). Creating the present exchange is timed and shown apart.

Only the node's side is timed: a wallet can sign only once it has the exchange's challenge, so each round
creates and starts its exchanges (timed), the wallets sign (not timed), then the wallets answer (timed). Rounds
of exchanges and of their baseline alternate, so load from elsewhere on the machine hits both alike, and each
figure is that of the median round. Every
presentation, badge and holder is distinct. In-process runs on one core; over HTTP, a real ``vcnode serve`` on
core 0 and 16 concurrent wallets (aiohttp, keep-alive) on core 1 when the machine has two.
Goal: an exchange costs at most 1.5x the issue or verify it wraps.

    .venv/bin/python scripts/bench_exchanges.py [--seconds 5] [--wallets 16] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from vcnode.config import load_config
from vcnode.credentials.issue import create_presentation
from vcnode.exchanges.service import ExchangeService
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.node import Node, initialise
from vcnode.oid4vp.request import link_parameters
from vcnode.status.entries import status_requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_resolve import NodeProcess, pin

GOAL = 1.5  # an exchange costs at most this many times the issue or verify it wraps
ROUND = 32  # exchanges per round (a multiple of the wallet count over HTTP)
STATUS = {"statusPurpose": "revocation"}
WALLET_SUITE = "Ed25519Signature2020"  # what the Learner Credential Wallet signs with


def holder() -> SigningKey:
    pair = Ed25519KeyPair.generate()
    return SigningKey(f"did:key:{pair.public_multikey}#{pair.public_multikey}", pair)


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#", 1)[0]


def badge(issuer: str, subject: str | None = None) -> dict[str, Any]:
    """An unsigned OB 3.0 badge without an id (a claim link's credential; the subject is set on claiming)."""
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "Data Analytics Fundamentals",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Harbour City Polytechnic"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://hcp.example/achievements/daf", "type": ["Achievement"],
            "name": "Data Analytics Fundamentals", "description": "Descriptive statistics and dashboards.",
            "criteria": {"narrative": "Pass the assessed project."}, "creditsAvailable": 5}}}
    if subject is not None:
        credential["credentialSubject"]["id"] = subject
    return credential


def did_auth(wallet: SigningKey, request: dict[str, Any]) -> dict[str, Any]:
    """The wallet's DIDAuth presentation for a claim (no credentials, as LCW sends it)."""
    presentation = create_presentation([], wallet, challenge=request["challenge"], domain=request["domain"],
                                       suite=WALLET_SUITE)
    del presentation["verifiableCredential"]
    return presentation


def presenting(wallet: SigningKey, credential: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    return create_presentation([credential], wallet, challenge=request["challenge"], domain=request["domain"],
                               suite=WALLET_SUITE)


class Clock:
    """Seconds spent per round (the timed steps of one round of ROUND items)."""

    def __init__(self) -> None:
        self.rounds: list[float] = []
        self._open = 0.0

    async def time(self, step: Awaitable[Any]) -> Any:
        started = time.perf_counter()
        result = await step
        self._open += time.perf_counter() - started
        return result

    def done(self) -> None:
        """The round's ROUND items are done."""
        self.rounds.append(self._open)
        self._open = 0.0

    def per_s(self) -> float:
        """Items per second in the median round: a round hit by the node's background work (gossip,
        publication) or by another process on the machine does not move it."""
        return ROUND / statistics.median(self.rounds)


async def alternate(seconds: float, rounds: dict[str, Callable[[], Awaitable[None]]], *, at_least: int = 1) -> None:
    """One round of each in turn until about ``seconds`` per figure have passed (and ``at_least`` rounds each)."""
    started, done = time.perf_counter(), 0
    while True:
        for run in rounds.values():
            await run()
        done += 1
        if done >= at_least and time.perf_counter() - started >= seconds * len(rounds):
            return


# --- in-process ----------------------------------------------------------------------------------------------


async def open_node(workdir: Path) -> Node:
    env = {"VCNODE_PASSPHRASE": "benchmark passphrase"}
    config = load_config(workdir / "node", environ=env, overrides={"log_level": "warning"})
    return await initialise(config, did_method="key", environ=env)


async def in_process(workdir: Path, seconds: float) -> dict[str, float]:
    node = await open_node(workdir)
    service = ExchangeService(node, oid4vp_link=link_parameters)  # the links serve answers with
    issuer = node.identities.default_did
    status = status_requests(STATUS)
    clocks = {name: Clock() for name in ("claim_create", "claim", "issue", "present_create", "present", "verify")}

    async def claim_round() -> None:
        clock = clocks["claim"]

        async def create() -> list[Any]:
            return [await service.create("claim", {"variables": {"credential": badge(issuer)}}) for _ in range(ROUND)]

        async def start(made: list[Any]) -> list[Any]:
            return [(x.id, await service.participate("claim", x.id, {})) for x in made]

        made = await clocks["claim_create"].time(create())
        clocks["claim_create"].done()
        started = await clock.time(start(made))
        answers = [(x, {"verifiablePresentation": did_auth(holder(), r["verifiablePresentationRequest"])})
                   for x, r in started]

        async def answer() -> None:
            for exchange_id, message in answers:
                reply = await service.participate("claim", exchange_id, message)
                assert reply["verifiablePresentation"]["verifiableCredential"][0]["credentialStatus"]

        await clock.time(answer())
        clock.done()

    async def issue_round() -> None:
        credentials = [badge(issuer, did_of(holder())) for _ in range(ROUND)]

        async def issue() -> None:
            for credential in credentials:
                assert (await node.credentials.issue(credential, status=status)).created

        await clocks["issue"].time(issue())
        clocks["issue"].done()

    async def badges() -> list[tuple[SigningKey, dict[str, Any]]]:
        """Learners with a badge each (a revocation entry, about them), as claimed earlier; the status list they
        changed is verified once (not timed), so neither side of the comparison pays for publishing it."""
        learners = [holder() for _ in range(ROUND)]
        held = [(learner, (await node.credentials.issue(badge(issuer, did_of(learner)), status=status)).credential)
                for learner in learners]
        assert (await node.credentials.verify_credential(held[-1][1])).verified
        return held

    async def present_round() -> None:
        held = await badges()
        made = await clocks["present_create"].time(asyncio.gather(*(
            service.create("present", {"variables": {"query": {"issuer": issuer}}}) for _ in held)))
        clocks["present_create"].done()
        clock = clocks["present"]

        async def start() -> list[dict[str, Any]]:
            return [(await service.participate("present", x.id, {}))["verifiablePresentationRequest"] for x in made]

        requests = await clock.time(start())
        messages = [{"verifiablePresentation": presenting(learner, credential, request)}
                    for (learner, credential), request in zip(held, requests, strict=True)]

        async def answer() -> None:
            for exchange, message in zip(made, messages, strict=True):
                await service.participate("present", exchange.id, message)

        await clock.time(answer())
        clock.done()
        result = (await service.get("present", made[-1].id)).result
        assert result["verified"], result

    async def verify_round() -> None:
        held = await badges()
        options = {"challenge": "a-verifier-challenge", "domain": node.config.base_url}
        shown = [presenting(learner, credential, options) for learner, credential in held]

        async def verify() -> None:
            for presentation in shown:
                assert (await node.credentials.verify_presentation(presentation, options)).verified

        await clocks["verify"].time(verify())
        clocks["verify"].done()

    try:
        await alternate(seconds, {"claim": claim_round, "issue": issue_round})
        await alternate(seconds, {"present": present_round, "verify": verify_round})
    finally:
        await node.close()
    return {f"{name}_per_s": clock.per_s() for name, clock in clocks.items()}


# --- over HTTP -------------------------------------------------------------------------------------------


async def spread(wallets: int, items: list[Any], call: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """``call`` on every item, ``wallets`` at a time (each wallet takes the next item when done)."""
    results: list[Any] = [None] * len(items)
    queue = iter(range(len(items)))

    async def wallet() -> None:
        for n in queue:
            results[n] = await call(items[n])

    await asyncio.gather(*(wallet() for _ in range(wallets)))
    return results


async def post(session: aiohttp.ClientSession, url: str, body: Any, token: str | None = None,
               expect: int = 200) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, json=body, headers=headers) as response:
        answer = await response.json(content_type=None)
        if response.status != expect:
            raise AssertionError(f"{url}: {response.status} {answer}")
        return answer


async def over_http(node: NodeProcess, token: str, seconds: float, wallets: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{node.port}"
    clocks = {name: Clock() for name in ("claim_create", "claim", "issue", "present_create", "present", "verify")}
    connector = aiohttp.TCPConnector(limit=wallets)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def create(workflow: str, variables: dict[str, Any]) -> dict[str, Any]:
            return await post(session, f"{base}/workflows/{workflow}/exchanges", {"variables": variables}, token,
                              expect=201)

        async def claim_round() -> None:
            clock = clocks["claim"]

            made = await clocks["claim_create"].time(spread(
                wallets, list(range(ROUND)), lambda _: create("claim", {"credential": badge(node.did)})))
            clocks["claim_create"].done()

            async def start(exchange: dict[str, Any]) -> tuple[str, dict[str, Any]]:
                return exchange["exchangeUrl"], await post(session, exchange["exchangeUrl"], {})

            started = await clock.time(spread(wallets, made, start))
            answers = [(url, {"verifiablePresentation": did_auth(holder(), r["verifiablePresentationRequest"])})
                       for url, r in started]

            async def answer(item: tuple[str, dict[str, Any]]) -> None:
                reply = await post(session, *item)
                assert reply["verifiablePresentation"]["verifiableCredential"][0]["credentialStatus"]

            await clock.time(spread(wallets, answers, answer))
            clock.done()

        async def issue(credential: dict[str, Any]) -> dict[str, Any]:
            reply = await post(session, f"{base}/credentials/issue", {"credential": credential, "options": STATUS},
                               token, expect=201)
            return reply["verifiableCredential"]

        async def issue_round() -> None:
            credentials = [badge(node.did, did_of(holder())) for _ in range(ROUND)]
            await clocks["issue"].time(spread(wallets, credentials, issue))
            clocks["issue"].done()

        async def badges() -> list[tuple[SigningKey, dict[str, Any]]]:
            learners = [holder() for _ in range(ROUND)]
            issued = await spread(wallets, [badge(node.did, did_of(learner)) for learner in learners], issue)
            report = await post(session, f"{base}/credentials/verify", {"verifiableCredential": issued[-1]})
            assert report["verified"], report  # the changed status list published (not timed)
            return list(zip(learners, issued, strict=True))

        async def present_round() -> None:
            held = await badges()
            clock = clocks["present"]
            made = await clocks["present_create"].time(spread(
                wallets, held, lambda _: create("present", {"query": {"issuer": node.did}})))
            clocks["present_create"].done()

            async def start(exchange: dict[str, Any]) -> dict[str, Any]:
                return (await post(session, exchange["exchangeUrl"], {}))["verifiablePresentationRequest"]

            requests = await clock.time(spread(wallets, made, start))
            answers = [(x["exchangeUrl"], {"verifiablePresentation": presenting(learner, credential, request)})
                       for x, (learner, credential), request in zip(made, held, requests, strict=True)]
            await clock.time(spread(wallets, answers, lambda item: post(session, *item)))
            clock.done()
            async with session.get(made[-1]["exchangeUrl"], headers={"Authorization": f"Bearer {token}"}) as got:
                result = (await got.json())["result"]
            assert result["verified"], result

        async def verify_round() -> None:
            held = await badges()
            options = {"challenge": "a-verifier-challenge", "domain": base}
            bodies = [{"verifiablePresentation": presenting(learner, credential, options), "options": options}
                      for learner, credential in held]
            await clocks["verify"].time(spread(wallets, bodies, lambda body: post(
                session, f"{base}/presentations/verify", body)))
            clocks["verify"].done()

        await claim_round()  # warm up: connections, caches, the first status list
        await issue_round()
        clocks = {name: Clock() for name in clocks}
        await alternate(seconds, {"claim": claim_round, "issue": issue_round})
        await alternate(seconds, {"present": present_round, "verify": verify_round})
    return {f"{name}_per_s": clock.per_s() for name, clock in clocks.items()}


def served(workdir: Path) -> tuple[NodeProcess, str]:
    """A real ``vcnode serve`` on core 0 and a token for it (scopes issue, exchange, read); this process, the
    wallets, moves to core 1 when the machine has two. Stop the node when done."""
    node = NodeProcess(workdir, "node", core=0)
    try:
        token = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(node.home), "token", "create",
                                "--scope", "issue,exchange,read"], env=node.env, check=True, capture_output=True,
                               text=True).stdout.strip()
    except BaseException:
        node.stop()
        raise
    if pin(1):
        os.sched_setaffinity(0, {1})  # the wallets on the other core
    return node, token


def http(workdir: Path, seconds: float, wallets: int) -> dict[str, float]:
    node, token = served(workdir)
    try:
        return asyncio.run(over_http(node, token, seconds, wallets))
    finally:
        node.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per figure (about)")
    parser.add_argument("--wallets", type=int, default=16, help="concurrent wallets over HTTP")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if pin(0):
        os.sched_setaffinity(0, {0})  # one core, as the goals are stated
    with tempfile.TemporaryDirectory() as workdir:
        results: dict[str, Any] = {"in_process": asyncio.run(in_process(Path(workdir) / "inproc", args.seconds))}
        results["http"] = http(Path(workdir), args.seconds, args.wallets)
    for figures in results.values():
        for exchange, wrapped in (("claim", "issue"), ("present", "verify")):
            # Costs are seconds per item: the exchange's over the plain operation's.
            cost = 1 / figures[f"{exchange}_per_s"]
            created = cost + 1 / figures[f"{exchange}_create_per_s"]
            figures[f"{exchange}_ratio"] = cost * figures[f"{wrapped}_per_s"]
            figures[f"{exchange}_with_create_per_s"] = 1 / created
            figures[f"{exchange}_with_create_ratio"] = created * figures[f"{wrapped}_per_s"]
    results["goal_ratio"] = GOAL
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print("VC API exchanges: the node's cost (wallet signing excluded), OB 3.0 badge with a revocation entry, "
          f"distinct holders; goal: an exchange <= {GOAL}x what it wraps")

    def verdict(ratio: float) -> str:
        return "ok" if ratio <= GOAL else "misses the goal"

    for where, label in (("in_process", "in-process, one core"),
                         ("http", f"HTTP, a real vcnode serve on one core, {args.wallets} concurrent wallets")):
        r = results[where]
        print(f"  {label}")
        print(f"    plain issue                               {r['issue_per_s']:>8,.0f}/s")
        print(f"    claim: start + DIDAuth + issue            {r['claim_per_s']:>8,.0f}/s   "
              f"{r['claim_ratio']:.2f}x the issue   {verdict(r['claim_ratio'])}")
        print(f"    claim with its creation                   {r['claim_with_create_per_s']:>8,.0f}/s   "
              f"{r['claim_with_create_ratio']:.2f}x the issue   (creation alone {r['claim_create_per_s']:,.0f}/s)")
        print(f"    plain presentation verify                 {r['verify_per_s']:>8,.0f}/s")
        print(f"    present: start + verify + store report    {r['present_per_s']:>8,.0f}/s   "
              f"{r['present_ratio']:.2f}x the verify  {verdict(r['present_ratio'])}")
        print(f"    present with its creation                 {r['present_with_create_per_s']:>8,.0f}/s   "
              f"{r['present_with_create_ratio']:.2f}x the verify  "
              f"(creation alone {r['present_create_per_s']:,.0f}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
