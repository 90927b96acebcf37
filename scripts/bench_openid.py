#!/usr/bin/env python3
"""OpenID4VC throughput: complete OID4VCI issuances per second in both formats, in-process and over HTTP, beside
plain issue of the same badge; and SD-JWT VC presentations verified per second beside the @sd-jwt JavaScript
verifier and plain ``ldp_vc`` verification, all measured in the same run. A benchmark, not a test.

**Issuance** (pre-authorised code flow with ``tx_code``): each claim exchange is created and its credential offer
fetched (a pre-authorised code minted), timed and shown apart; then the wallet's steps are timed: ``/token``
(code + PIN), ``/nonce``, ``/credential`` with one ``proofs.jwt`` proof. The protocol makes the wallet sign its
proof JWT after it has the ``c_nonce`` and before ``/credential``, so each round takes its tokens and nonces
(timed), the wallets sign (not timed), then the wallets ask for their credentials (timed): only the node's work
counts. Wallets are P-256 did:jwk keys (ES256 proofs, as EUDI wallets); the node's identity is its default
Ed25519 one, so ``ldp_vc`` is an eddsa-rdfc-2022 OB 3.0 badge and ``dc+sd-jwt`` an EdDSA EUDI learning
credential; both with a revocation entry (a Bitstring entry, or a Token Status List entry). Baseline: plain issue
of the same badge with a revocation entry (``CredentialService.issue`` / ``POST /credentials/issue``). Rounds of
32 of each alternate; each figure is the median round's. In-process runs on one core; over HTTP a real
``vcnode serve`` on core 0 and 16 concurrent wallets (aiohttp, keep-alive) on core 1 when there are two.

**Verification**, one core, per core: SD-JWT VC presentations (an EUDI learning credential from an ES256 issuer,
3 disclosures, a KB-JWT from the learner's P-256 key; status not checked) by vcnode and by @sd-jwt/sd-jwt-vc
(``scripts/bench_sdjwt.py``'s hooks, its JIT warmed in the same process first); and, beside them, the same badge
as an ``ldp_vc`` (eddsa-rdfc-2022, no status entry) in a Data Integrity presentation by the learner's Ed25519
did:key with challenge and domain, verified by vcnode (both proofs, holder binding). Every presentation is a
different learner's; key caches are emptied before each vcnode round, the issuer's DID stays resolved. Rounds
alternate; median rounds, best beside. Goal: SD-JWT VC verification at least 3x the JavaScript verifier.

    .venv/bin/python scripts/bench_openid.py [--seconds 5] [--wallets 16] [--count 200] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from did_methods.key import KeyDriver
from vcnode.credentials import issue_credential
from vcnode.credentials.issue import create_presentation
from vcnode.credentials.verify import VerifyOptions, verify_presentation
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for
from vcnode.exchanges.service import ExchangeService
from vcnode.jose import sign_compact
from vcnode.keys import public
from vcnode.keys.p256 import P256KeyPair
from vcnode.oid4vci.issuer import PRE_AUTHORIZED_GRANT, OpenIdIssuer
from vcnode.status.entries import status_requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_exchanges import ROUND, STATUS, Clock, alternate, badge, did_of, holder, open_node, post, served, spread
from bench_resolve import NodeProcess, pin
from bench_sdjwt import AUD, NONCE, _badge, make_presentations, verify_presentations, verify_presentations_js

GOAL = 3.0  # SD-JWT VC verification at least this many times the JavaScript verifier, per core
FORMATS = {"ldp_vc": "OpenBadgeCredential_ldp_vc", "sd_jwt": "EUDILearningCredential_dc+sd-jwt"}


class Wallet:
    """A learner's P-256 did:jwk key making OID4VCI proof JWTs."""

    def __init__(self) -> None:
        self.pair = P256KeyPair.generate()
        self.did = did_jwk_for(self.pair.public_jwk)

    def proof(self, audience: str, nonce: str) -> str:
        return sign_compact({"aud": audience, "iat": int(time.time()), "nonce": nonce}, self.pair,
                            kid=f"{self.did}#0", header={"typ": "openid4vci-proof+jwt"})


def credential_request(configuration: str, jwt: str) -> dict[str, Any]:
    return {"credential_configuration_id": configuration, "proofs": {"jwt": [jwt]}}


def check_issued(fmt: str, reply: dict[str, Any]) -> None:
    [item] = reply["credentials"]
    credential = item["credential"]
    if fmt == "ldp_vc":
        assert credential["credentialStatus"] and credential["proof"], credential
    else:
        assert isinstance(credential, str) and credential.endswith("~"), credential


# --- issuance in-process -------------------------------------------------------------------------------------


async def issue_in_process(workdir: Path, seconds: float) -> dict[str, float]:
    node = await open_node(workdir)
    service = ExchangeService(node)
    issuer = OpenIdIssuer(node, service)
    did = node.identities.default_did
    status = status_requests(STATUS)
    clocks = {name: Clock() for name in ("prepare", "ldp_vc", "sd_jwt", "issue")}

    async def prepare() -> list[tuple[str, str]]:
        """ROUND claims, each with an offer fetched: (pre-authorised code, tx_code)."""
        offered = []
        for _ in range(ROUND):
            exchange = await service.create("claim", {"variables": {"credential": badge(did)}})
            grant = (await issuer.offer(exchange.id))["grants"][PRE_AUTHORIZED_GRANT]
            offered.append((grant["pre-authorized_code"], await service.tx_code(exchange.id)))
        return offered

    def flow(fmt: str) -> Callable[[], Awaitable[None]]:
        async def one_round() -> None:
            offered = await clocks["prepare"].time(prepare())
            clocks["prepare"].done()
            clock = clocks[fmt]

            async def tokens_and_nonces() -> list[tuple[str, str]]:
                out = []
                for code, pin_code in offered:
                    access = (await issuer.token({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code,
                                                  "tx_code": pin_code}))["access_token"]
                    out.append((access, (await issuer.nonce())["c_nonce"]))
                return out

            granted = await clock.time(tokens_and_nonces())
            requests = [(access, credential_request(FORMATS[fmt], Wallet().proof(issuer.issuer_url, nonce)))
                        for access, nonce in granted]

            async def credentials() -> None:
                for access, body in requests:
                    check_issued(fmt, await issuer.credential(f"Bearer {access}", body))

            await clock.time(credentials())
            clock.done()
        return one_round

    async def issue_round() -> None:
        credentials = [badge(did, did_of(holder())) for _ in range(ROUND)]

        async def issue() -> None:
            for credential in credentials:
                assert (await node.credentials.issue(credential, status=status)).created

        await clocks["issue"].time(issue())
        clocks["issue"].done()

    try:
        await flow("ldp_vc")()  # warm up: the first status lists, the context caches
        await flow("sd_jwt")()
        clocks = {name: Clock() for name in clocks}
        await alternate(seconds, {"ldp_vc": flow("ldp_vc"), "sd_jwt": flow("sd_jwt"), "issue": issue_round},
                        at_least=3)
    finally:
        await node.close()
    return {f"{name}_per_s": clock.per_s() for name, clock in clocks.items()}


# --- issuance over HTTP --------------------------------------------------------------------------------------


async def form_post(session: aiohttp.ClientSession, url: str, form: dict[str, str]) -> dict[str, Any]:
    async with session.post(url, data=form) as response:
        answer = await response.json(content_type=None)
        if response.status != 200:
            raise AssertionError(f"{url}: {response.status} {answer}")
        return answer


async def issue_over_http(node: NodeProcess, token: str, seconds: float, wallets: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{node.port}"
    clocks = {name: Clock() for name in ("prepare", "ldp_vc", "sd_jwt", "issue")}
    connector = aiohttp.TCPConnector(limit=wallets)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def prepare_one(_: Any) -> tuple[str, str]:
            exchange = await post(session, f"{base}/workflows/claim/exchanges",
                                  {"variables": {"credential": badge(node.did)}}, token, expect=201)
            [uri] = parse_qs(urlsplit(exchange["links"]["oid4vci"]).query)["credential_offer_uri"]
            async with session.get(uri) as response:
                assert response.status == 200, await response.text()
                grant = (await response.json())["grants"][PRE_AUTHORIZED_GRANT]
            return grant["pre-authorized_code"], exchange["txCode"]

        async def token_and_nonce(offered: tuple[str, str]) -> tuple[str, str]:
            code, pin_code = offered
            access = (await form_post(session, f"{base}/token", {
                "grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": pin_code}))["access_token"]
            return access, (await post(session, f"{base}/nonce", None))["c_nonce"]

        def flow(fmt: str) -> Callable[[], Awaitable[None]]:
            async def one_round() -> None:
                offered = await clocks["prepare"].time(spread(wallets, list(range(ROUND)), prepare_one))
                clocks["prepare"].done()
                clock = clocks[fmt]
                granted = await clock.time(spread(wallets, offered, token_and_nonce))
                requests = [(access, credential_request(FORMATS[fmt], Wallet().proof(base, nonce)))
                            for access, nonce in granted]

                async def ask(item: tuple[str, dict[str, Any]]) -> None:
                    check_issued(fmt, await post(session, f"{base}/credential", item[1], item[0]))

                await clock.time(spread(wallets, requests, ask))
                clock.done()
            return one_round

        async def issue(credential: dict[str, Any]) -> None:
            await post(session, f"{base}/credentials/issue", {"credential": credential, "options": STATUS}, token,
                       expect=201)

        async def issue_round() -> None:
            credentials = [badge(node.did, did_of(holder())) for _ in range(ROUND)]
            await clocks["issue"].time(spread(wallets, credentials, issue))
            clocks["issue"].done()

        await flow("ldp_vc")()  # warm up: connections, caches, the first status lists
        await flow("sd_jwt")()
        await issue_round()
        clocks = {name: Clock() for name in clocks}
        await alternate(seconds, {"ldp_vc": flow("ldp_vc"), "sd_jwt": flow("sd_jwt"), "issue": issue_round},
                        at_least=3)
    return {f"{name}_per_s": clock.per_s() for name, clock in clocks.items()}


def issue_http(workdir: Path, seconds: float, wallets: int) -> dict[str, float]:
    node, token = served(workdir)
    try:
        try:
            return asyncio.run(issue_over_http(node, token, seconds, wallets))
        finally:
            if pin(0):
                os.sched_setaffinity(0, {0})
    finally:
        node.stop()


# --- verification, one core ----------------------------------------------------------------------------------


def ldp_presentations(count: int) -> list[dict[str, Any]]:
    """``count`` learners' Data Integrity presentations of the same badge as bench_sdjwt's, as ``ldp_vc``."""
    issuer = holder()
    did = did_of(issuer)
    shown = []
    for learner in range(count):
        wallet = holder()
        credential = _badge(did, learner)
        credential["credentialSubject"]["id"] = did_of(wallet)
        shown.append(create_presentation([issue_credential(credential, issuer)], wallet, challenge=NONCE,
                                         domain=AUD))
    return shown


async def verify_ldp(presentations: list[dict[str, Any]], resolver: Resolver) -> tuple[float, int]:
    options = VerifyOptions(challenge=NONCE, domain=AUD)
    verified = 0
    started = time.perf_counter()
    for presentation in presentations:
        verified += (await verify_presentation(presentation, resolver, options)).verified
    return time.perf_counter() - started, verified


def forget_keys() -> None:
    """Holder keys are new to a verifier: forget those loaded in an earlier round."""
    public._EC_KEYS.clear()
    public._from_multikey.cache_clear()


def verification(seconds: float, count: int) -> dict[str, Any]:
    issuer_jwk, sd_jwts = make_presentations(count, "ES256")
    ldps = ldp_presentations(count)
    resolver = Resolver([KeyDriver()])
    asyncio.run(verify_presentations(sd_jwts[:20], resolver))  # the issuer's DID resolved, code paths warm
    asyncio.run(verify_ldp(ldps[:20], resolver))
    rates: dict[str, list[float]] = {"sd_jwt": [], "sd_jwt_js": [], "ldp_vc": []}

    def record(name: str, result: tuple[float, int]) -> None:
        elapsed, verified = result
        if verified != count:
            raise SystemExit(f"{name}: {verified} of {count} verified")
        rates[name].append(count / elapsed)

    started = time.perf_counter()
    while len(rates["ldp_vc"]) < 3 or time.perf_counter() - started < seconds * 3:
        record("sd_jwt_js", verify_presentations_js(sd_jwts, issuer_jwk, core=0 if pin(0) else None))
        forget_keys()
        record("sd_jwt", asyncio.run(verify_presentations(sd_jwts, resolver)))
        forget_keys()
        record("ldp_vc", asyncio.run(verify_ldp(ldps, resolver)))
    result: dict[str, Any] = {"presentations": count, "rounds": len(rates["ldp_vc"])}
    for name, values in rates.items():
        result[f"{name}_per_s"] = statistics.median(values)
        result[f"{name}_best_per_s"] = max(values)
    result["sd_jwt_vs_js"] = result["sd_jwt_per_s"] / result["sd_jwt_js_per_s"]
    result["sd_jwt_vs_js_best"] = result["sd_jwt_best_per_s"] / result["sd_jwt_js_best_per_s"]
    result["sd_jwt_vs_ldp_vc"] = result["sd_jwt_per_s"] / result["ldp_vc_per_s"]
    result["goal_met"] = result["sd_jwt_vs_js"] >= GOAL
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per figure (about)")
    parser.add_argument("--wallets", type=int, default=16, help="concurrent wallets over HTTP")
    parser.add_argument("--count", type=int, default=200, help="presentations per verification round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if pin(0):
        os.sched_setaffinity(0, {0})  # one core, as the goals are stated
    with tempfile.TemporaryDirectory() as workdir:
        results: dict[str, Any] = {
            "in_process": asyncio.run(issue_in_process(Path(workdir) / "inproc", args.seconds)),
            "http": issue_http(Path(workdir), args.seconds, args.wallets)}
    for figures in (results["in_process"], results["http"]):
        for fmt in FORMATS:
            # Costs are seconds per credential: the flow's over the plain issue's.
            figures[f"{fmt}_ratio"] = figures["issue_per_s"] / figures[f"{fmt}_per_s"]
            with_prepare = 1 / figures[f"{fmt}_per_s"] + 1 / figures["prepare_per_s"]
            figures[f"{fmt}_with_prepare_per_s"] = 1 / with_prepare
            figures[f"{fmt}_with_prepare_ratio"] = with_prepare * figures["issue_per_s"]
    results["verify"] = verification(args.seconds, args.count)
    results["goal_ratio"] = GOAL
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print("OID4VCI issuance, pre-authorised code with tx_code: the node's cost (the wallets' ES256 proof signing "
          "excluded), OB 3.0 badge with a revocation entry, distinct P-256 did:jwk wallets")
    for where, label in (("in_process", "in-process (OpenIdIssuer), one core"),
                         ("http", f"HTTP, a real vcnode serve on one core, {args.wallets} concurrent wallets")):
        r = results[where]
        print(f"  {label}")
        print(f"    plain issue                                {r['issue_per_s']:>8,.0f}/s")
        for fmt, name in (("ldp_vc", "ldp_vc"), ("sd_jwt", "dc+sd-jwt")):
            print(f"    {name + ': token + nonce + credential':<42} {r[f'{fmt}_per_s']:>8,.0f}/s   "
                  f"{r[f'{fmt}_ratio']:.2f}x the issue's cost")
        print(f"    claim creation + offer (each format's)     {r['prepare_per_s']:>8,.0f}/s   "
              f"with it: ldp_vc {r['ldp_vc_with_prepare_per_s']:,.0f}/s ({r['ldp_vc_with_prepare_ratio']:.2f}x), "
              f"dc+sd-jwt {r['sd_jwt_with_prepare_per_s']:,.0f}/s ({r['sd_jwt_with_prepare_ratio']:.2f}x)")
    v = results["verify"]
    print(f"Presentations verified per second, one core ({v['presentations']} distinct learners, median of "
          f"{v['rounds']} alternating rounds, best beside)")
    print(f"  SD-JWT VC + KB-JWT, vcnode                 {v['sd_jwt_per_s']:>8,.0f}/s   "
          f"(best {v['sd_jwt_best_per_s']:,.0f}/s)")
    print(f"  SD-JWT VC + KB-JWT, @sd-jwt/sd-jwt-vc (JS) {v['sd_jwt_js_per_s']:>8,.0f}/s   "
          f"(best {v['sd_jwt_js_best_per_s']:,.0f}/s)")
    print(f"  ldp_vc in a DI presentation, vcnode        {v['ldp_vc_per_s']:>8,.0f}/s   "
          f"(SD-JWT VC is {v['sd_jwt_vs_ldp_vc']:.1f}x this)")
    verdict = "met" if v["goal_met"] else "MISSED"
    print(f"  goal: vcnode SD-JWT VC >= {GOAL:g}x the JavaScript verifier: {v['sd_jwt_vs_js']:.2f}x, {verdict} "
          f"(best rounds {v['sd_jwt_vs_js_best']:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
