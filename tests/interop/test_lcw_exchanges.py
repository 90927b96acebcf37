"""The whole VC API exchange flow driven by an independent Learner Credential Wallet: tests/interop/lcw.mjs
replays LCW v2.2.10 with its own npm signing stack (see its header) against real nodes on 127.0.0.1.

An institution's node (A) prepares claims; the replayed wallet resolves each link form A hands out, proves its
did:key (Ed25519Signature2020, challenge and domain) and receives the badge, which then verifies at A, in
Digital Bazaar's verifier and in @digitalcredentials/verifier-core (LCW's own verifier), status included; a
used link is refused. An employer's node (B) asks for the badge with a ``present`` exchange and keeps a
verified report. The Python holder client (``vcnode.exchanges.wallet``) runs the same flows once.

Each node listens on a socket bound before it is opened, so its ``public_url`` is where it really listens:
every link it makes and every status list URL it writes into a credential reach it, and nothing else is
contacted (the replay and both verifiers refuse any other address).

What LCW v2.2.10 does that the assertions follow (read from its source, see lcw.mjs):
- credentials received in answer to a DID Authentication request (the vcapi claim) are not offered for
  storage (``staged: false``, ExchangeCredentials ``isVPRFlow``); the legacy ``vc_request_url`` flow stages them;
- an error answer is read as the next message, whatever its status: a used link ends the exchange with nothing
  received and the problem document as the last answer;
- asked for credentials together with DID Authentication, it answers even when nothing it holds matches: a
  presentation with no credentials (processRequest sends nothing only when DIDAuth is not asked for).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from tests.builders import badge
from tests.conftest import clean_env
from tests.interop.harness import run_harness, tampered
from tests.interop.test_dcc import assert_valid, dcc
from tests.interop.test_lcw_signing import lcw
from vcnode.config import load_config
from vcnode.credentials.model import as_list
from vcnode.exchanges import wallet
from vcnode.exchanges.wallet import HolderKey
from vcnode.keys.vault import Vault
from vcnode.node import Node, initialise
from vcnode.serve.app import SERVER_LIMITS, build_app

pytestmark = pytest.mark.interop
LEARNER = bytes(range(1, 33))  # the learner's wallet (LCW derives its did:key from a 32-byte seed)
OTHER = bytes(range(101, 133))  # another learner
MALLORY = bytes(range(201, 233))  # someone presenting another learner's badge
NOWHERE = "https://hcp.example/achievements/not-awarded"


def did(seed: bytes) -> str:
    return HolderKey.from_seed(seed).did


@pytest.fixture(scope="session")
def key_node_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Vault]]:
    """Two did:key node directories made once per session, an institution's and an employer's (different
    identities), with their unlocked vaults: each test serves copies (see ``web_node_template``)."""
    env = clean_env()

    async def make(home: Path) -> Vault:
        node = await initialise(load_config(home, environ=env), did_method="key", environ=env)
        await node.close()
        return node.vault

    templates = {}
    for name in ("institution", "employer"):
        home = tmp_path_factory.mktemp(name) / "node"
        templates[name] = (home, asyncio.run(make(home)))
    return templates


@dataclass
class Served:
    """A node served on 127.0.0.1 at its ``public_url``, with an ``exchange`` token and an HTTP session."""

    node: Node
    base: str
    token: str
    session: aiohttp.ClientSession

    @property
    def did(self) -> str:
        did = self.node.identities.default_did
        assert did is not None and did.startswith("did:key:")
        return did

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def create(self, workflow: str, variables: dict[str, Any]) -> dict[str, Any]:
        """``POST /workflows/{workflow}/exchanges``: the new exchange with its links."""
        async with self.session.post(f"{self.base}/workflows/{workflow}/exchanges", headers=self.auth(),
                                     json={"variables": variables}) as response:
            body = await response.json()
            assert response.status == 201, body
        assert body["exchangeUrl"].startswith(f"{self.base}/workflows/{workflow}/exchanges/")
        return body

    async def state(self, exchange: dict[str, Any]) -> dict[str, Any]:
        """``GET`` the exchange, as its creator."""
        async with self.session.get(exchange["exchangeUrl"], headers=self.auth()) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def verify(self, credential: dict[str, Any]) -> dict[str, Any]:
        """The node's public ``POST /credentials/verify`` report."""
        async with self.session.post(f"{self.base}/credentials/verify",
                                     json={"verifiableCredential": credential}) as response:
            assert response.status in (200, 400), await response.text()
            return await response.json(content_type=None)

    async def status_lists(self, credentials: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The status list credentials the credentials point at, fetched from this node like any verifier
        would (every one of them is served here)."""
        lists = {}
        for url in {entry["statusListCredential"] for c in credentials for entry in as_list(c["credentialStatus"])}:
            assert url.startswith(self.base + "/"), url
            async with self.session.get(url) as response:
                assert response.status == 200, await response.text()
                lists[url] = await response.json(content_type=None)
        return lists


@asynccontextmanager
async def served(template: tuple[Path, Vault], home: Path, **overrides: Any) -> AsyncIterator[Served]:
    """A copy of ``template`` opened with ``public_url`` = the socket it is served on (and other config
    ``overrides``)."""
    env = clean_env()
    source, vault = template
    shutil.copytree(source, home)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    # The other node's status lists are fetched from 127.0.0.1, over http.
    config = load_config(home, environ=env, overrides={"public_url": base, "allow_http_hosts": ["127.0.0.1"],
                                                       **overrides})
    node = await Node.open(config, environ=env, vault=vault)
    runner = web.AppRunner(build_app(node), access_log=None, **SERVER_LIMITS)
    try:
        await runner.setup()
        await web.SockSite(runner, listener).start()
        _, token = await node.tokens.create(["exchange"])
        async with aiohttp.ClientSession() as session:
            yield Served(node, base, token, session)
    finally:
        await runner.cleanup()
        listener.close()
        await node.close()


@pytest.fixture
async def institution(key_node_templates: dict[str, tuple[Path, Vault]], tmp_path: Path) -> AsyncIterator[Served]:
    """Node A: issues badges through claim exchanges."""
    async with served(key_node_templates["institution"], tmp_path / "institution") as node:
        yield node


@pytest.fixture
async def employer(key_node_templates: dict[str, tuple[Path, Vault]], tmp_path: Path) -> AsyncIterator[Served]:
    """Node B: asks learners' wallets for badges through present exchanges."""
    async with served(key_node_templates["employer"], tmp_path / "employer") as node:
        yield node


def unsigned_badge(issuer: str) -> dict[str, Any]:
    """An OB 3.0 badge to claim: no id (the claim gives one), no subject id (the wallet's DID)."""
    credential = badge(issuer)
    del credential["id"]
    del credential["credentialSubject"]["id"]
    return credential


def legacy_challenge(exchange: dict[str, Any]) -> str:
    """The challenge a claim issued, as its LCW legacy link carries it."""
    [challenge] = parse_qs(urlsplit(exchange["links"]["lcwLegacy"]).query)["challenge"]
    return challenge


def requests_of(*steps: tuple[str, str, int]) -> list[dict[str, Any]]:
    return [{"method": method, "url": url, "status": status} for method, url, status in steps]


def assert_did_auth(presentation: dict[str, Any], seed: bytes, challenge: str, domain: str | None) -> None:
    """LCW's DIDAuth presentation: its did:key as holder, Ed25519Signature2020 for authentication, with the
    exchange's challenge and (but in the legacy flow) its domain."""
    holder = HolderKey.from_seed(seed)
    proof = presentation["proof"]
    assert presentation["holder"] == holder.did
    assert (proof["type"], proof["proofPurpose"], proof["verificationMethod"], proof["challenge"]) == \
        ("Ed25519Signature2020", "authentication", holder.verification_method, challenge)
    assert proof.get("domain") == domain


async def test_lcw_claims_the_badge_through_every_link_form(institution: Served) -> None:
    """Item 1 and 2: the interaction URL, ``interaction:``, the lcw.app deep link and the legacy
    ``vc_request_url`` link each get LCW its badge, issued to its DID; each link then refuses another wallet."""
    template = unsigned_badge(institution.did)
    forms = ["interactionUrl", "interaction", "lcw", "lcwLegacy"]
    exchanges = [await institution.create("claim", {"credential": template}) for _ in forms]
    links = [exchanges[0]["interactionUrl"], *(x["links"][form] for x, form in zip(exchanges[1:], forms[1:],
                                                                                        strict=True))]
    assert links[1] == "interaction:" + exchanges[1]["interactionUrl"]
    assert links[2].startswith("https://lcw.app/request?request=")
    jobs = [{"op": "claim", "link": link, "seed": LEARNER.hex()} for link in links[:3]]
    jobs.append({"op": "legacyClaim", "link": links[3], "seed": LEARNER.hex()})
    # Another learner's wallet is handed the used links.
    jobs += [{"op": "claim", "link": links[0], "seed": OTHER.hex()},
             {"op": "claim", "link": links[2], "seed": OTHER.hex()},
             {"op": "legacyClaim", "link": links[3], "seed": OTHER.hex()}]
    *claimed, again_interaction, again_lcw, again_legacy = await lcw(jobs)

    badges = []
    for form, exchange, result in zip(forms, exchanges, claimed, strict=True):
        assert "error" not in result, (form, result["error"])
        assert result["did"] == did(LEARNER)
        [credential] = result["credentials"]
        assert credential["credentialSubject"]["id"] == did(LEARNER), form
        assert credential["issuer"]["id"] == institution.did and credential["proof"]
        legacy = form == "lcwLegacy"
        assert result["flow"] == ("legacy" if legacy else "vcapi")
        # LCW 2.2.10 offers to store what the legacy flow brings, not what a DIDAuth request brings.
        assert result["staged"] is legacy, form
        assert_did_auth(result["presentation"], LEARNER, legacy_challenge(exchange),
                        None if legacy else institution.base)
        url = exchange["exchangeUrl"]
        if legacy:
            assert result["requests"] == requests_of(("POST", f"{url}/credential-request", 200))
            assert result["response"] == credential  # the bare credential
        else:
            fetched = [("GET", exchange["interactionUrl"], 200)] if form != "lcw" else []
            assert result["requests"] == requests_of(*fetched, ("POST", url, 200), ("POST", url, 200))
            assert result["response"]["verifiablePresentation"]["verifiableCredential"] == [credential]
        state = await institution.state(exchange)
        assert (state["state"], state["holder"], state["result"]["credentialId"]) == \
            ("complete", did(LEARNER), credential["id"]), form
        badges.append(credential)
    assert len({credential["id"] for credential in badges}) == len(badges)

    # A used link: LCW reads the 409 problem as the exchange's answer and receives nothing.
    for result, exchange in [(again_interaction, exchanges[0]), (again_lcw, exchanges[2])]:
        assert result["did"] == did(OTHER) and "error" not in result
        assert result["credentials"] == [] and result["presentation"] is None and result["staged"] is False
        assert result["response"]["code"] == "exchangeComplete" and result["response"]["status"] == 409
        assert result["requests"][-1] == {"method": "POST", "url": exchange["exchangeUrl"], "status": 409}
    assert again_legacy["error"].startswith("Unable to receive credential")
    assert again_legacy["response"]["code"] == "exchangeComplete" and again_legacy["credentials"] == []
    assert again_legacy["requests"][-1]["status"] == 409
    for exchange, credential in zip(exchanges, badges, strict=True):
        state = await institution.state(exchange)  # still the first learner's, nothing issued twice
        assert (state["state"], state["holder"], state["result"]["credentialId"]) == \
            ("complete", did(LEARNER), credential["id"])

    # The badges verify at A and in both independent verifiers, with their status read from A's lists.
    for credential in badges:
        report = await institution.verify(credential)
        assert report["verified"] is True, report["errors"]
    lists = await institution.status_lists(badges)
    theirs = await asyncio.to_thread(
        run_harness, "dbvc.mjs", [{"op": "verify", "credential": c, "documents": lists} for c in badges]
        + [{"op": "checkStatus", "credential": c, "documents": lists} for c in badges])
    for form, result in zip(forms * 2, theirs, strict=True):
        assert result["verified"] is True, (form, result)
    for form, result in zip(forms, theirs[len(badges):], strict=True):
        assert [entry["status"] for entry in result["results"]] == [False], (form, result)
    dcc_results = await asyncio.to_thread(dcc, [{"op": "verify", "credential": c, "documents": lists}
                                                for c in badges])
    for form, result in zip(forms, dcc_results, strict=True):
        assert_valid(result)
        assert {"id": "revocation_status", "valid": True} in result["log"], (form, result["log"])


async def test_verifiers_read_a_revoked_claims_status_from_the_institution(institution: Served) -> None:
    """The status the verifiers are given is A's own list: once A revokes a claimed badge, Digital Bazaar reads
    the bit and verifier-core refuses it, while the learner's other badge stays good."""
    exchanges = [await institution.create("claim", {"credential": unsigned_badge(institution.did)})
                 for _ in range(2)]
    results = await lcw([{"op": "claim", "link": x["interactionUrl"], "seed": LEARNER.hex()} for x in exchanges])
    [kept], [revoked] = (result["credentials"] for result in results)
    await institution.node.status.update(revoked["id"], "revocation", 1, actor="test")
    lists = await institution.status_lists([kept, revoked])
    theirs = await asyncio.to_thread(run_harness, "dbvc.mjs", [
        {"op": "checkStatus", "credential": c, "documents": lists} for c in (kept, revoked)])
    assert [[entry["status"] for entry in result["results"]] for result in theirs] == [[False], [True]], theirs
    dcc_kept, dcc_revoked = await asyncio.to_thread(dcc, [{"op": "verify", "credential": c, "documents": lists}
                                                          for c in (kept, revoked)])
    assert_valid(dcc_kept)
    assert {"id": "revocation_status", "valid": False} in dcc_revoked["log"], dcc_revoked
    assert (await institution.verify(revoked))["verified"] is False


async def test_lcw_presents_its_badge_to_an_employers_node(institution: Served, employer: Served) -> None:
    """Item 3: LCW presents its claimed badge to B (QueryByExample + DIDAuth) and B's report says verified,
    bound to the presenter and what was asked; someone else's badge fails its holder binding only, an altered
    badge its proof only; a wallet holding nothing that matches answers with its DIDAuth alone, and B reports
    that nothing was presented."""
    claims = [await institution.create("claim", {"credential": unsigned_badge(institution.did)}) for _ in range(2)]
    mine, others = await lcw([{"op": "claim", "link": claims[0]["interactionUrl"], "seed": LEARNER.hex()},
                              {"op": "claim", "link": claims[1]["links"]["lcw"], "seed": OTHER.hex()}])
    [my_badge], [their_badge] = mine["credentials"], others["credentials"]
    asked = {"query": {"type": "OpenBadgeCredential", "issuer": institution.did}, "recognition": True}
    wanted, stolen, forged = [await employer.create("present", asked) for _ in range(3)]
    unmatched = await employer.create("present", {"query": {"achievement": NOWHERE}})
    presented, mallory, altered, nothing = await lcw([
        {"op": "present", "link": wanted["interactionUrl"], "seed": LEARNER.hex(), "credentials": [my_badge]},
        {"op": "present", "link": stolen["links"]["lcw"], "seed": MALLORY.hex(), "credentials": [their_badge]},
        {"op": "present", "link": forged["interactionUrl"], "seed": LEARNER.hex(), "credentials": [tampered(my_badge)]},
        {"op": "present", "link": unmatched["links"]["interaction"], "seed": LEARNER.hex(),
         "credentials": [my_badge, their_badge]}])

    # The learner's own badge: sent with its DIDAuth for B's challenge and domain; B answers {}.
    for result, seed, exchange in [(presented, LEARNER, wanted), (mallory, MALLORY, stolen),
                                   (altered, LEARNER, forged), (nothing, LEARNER, unmatched)]:
        assert "error" not in result, result["error"]
        assert result["flow"] == "vcapi" and result["response"] == {} and result["credentials"] == []
        assert result["requests"][-1] == {"method": "POST", "url": exchange["exchangeUrl"], "status": 200}
        assert result["presentation"]["proof"]["domain"] == employer.base
        assert result["presentation"]["holder"] == did(seed)
    assert presented["presentation"]["verifiableCredential"] == [my_badge]
    state = await employer.state(wanted)
    assert state["state"] == "complete" and state["holder"] == did(LEARNER)
    result = state["result"]
    assert result["verified"] is True and result["holder"] == did(LEARNER), result
    [summary] = result["credentials"]
    assert (summary["id"], summary["issuer"], summary["verified"], summary["proofVerified"],
            summary["holderBinding"], summary["matchesQuery"], summary["errors"]) == \
        (my_badge["id"], institution.did, True, True, "passed", True, [])
    # B read the badge's status from A's list, at A.
    [entry] = result["report"]["results"]["credentials"]["credentials"][0]["results"]["status"]["entries"]
    assert entry["statusListCredential"].startswith(institution.base + "/") and entry["status"] == 0
    assert "recognition" in result

    # Someone else's badge: genuine, but not the presenter's.
    assert mallory["presentation"]["verifiableCredential"] == [their_badge]
    state = await employer.state(stolen)
    assert state["state"] == "complete" and state["result"]["holder"] == did(MALLORY)
    [summary] = state["result"]["credentials"]
    assert state["result"]["verified"] is False
    assert (summary["proofVerified"], summary["holderBinding"], summary["verified"]) == (True, "failed", False)

    # The learner's badge with its achievement renamed: theirs, but not what A signed.
    state = await employer.state(forged)
    [summary] = state["result"]["credentials"]
    assert state["result"]["verified"] is False
    assert (summary["proofVerified"], summary["holderBinding"], summary["verified"]) == (False, "passed", False)
    assert "invalidSignature" in [error["code"] for error in summary["errors"]], summary["errors"]

    # Nothing matches the query: LCW still answers the DIDAuth request, with no credentials.
    assert "verifiableCredential" not in nothing["presentation"]
    state = await employer.state(unmatched)
    assert state["state"] == "complete" and state["holder"] == did(LEARNER)
    assert state["result"]["verified"] is False and state["result"]["credentials"] == []
    assert [error["code"] for error in state["result"]["errors"]] == ["nothingPresented"]


async def test_the_python_holder_client_runs_the_same_flows(institution: Served, employer: Served) -> None:
    """Item 4: vcnode's own holder client claims (interaction URL and legacy link), is refused a used link,
    and presents to B, against the same servers."""
    holder, other = HolderKey.from_seed(LEARNER), HolderKey.from_seed(OTHER)
    session = institution.session
    claims = [await institution.create("claim", {"credential": unsigned_badge(institution.did)}) for _ in range(3)]
    [by_interaction] = await wallet.claim(session, claims[0]["interactionUrl"], holder)
    [by_legacy] = await wallet.claim(session, claims[1]["links"]["lcwLegacy"], holder)
    [their_badge] = await wallet.claim(session, claims[2]["links"]["lcw"], other)
    for credential in (by_interaction, by_legacy):
        assert credential["credentialSubject"]["id"] == holder.did
        assert (await institution.verify(credential))["verified"] is True
    for link in (claims[0]["interactionUrl"], claims[1]["links"]["lcwLegacy"]):
        with pytest.raises(wallet.ExchangeError) as refused:
            await wallet.claim(session, link, other)
        assert (refused.value.status, refused.value.code) == (409, "exchangeComplete")

    asked = {"query": {"issuer": institution.did}, "recognition": True}
    wanted, stolen = await employer.create("present", asked), await employer.create("present", asked)
    assert await wallet.present(session, wanted["links"]["lcw"], holder, [by_interaction, by_legacy]) == {}
    assert await wallet.present(session, stolen["interactionUrl"], holder, [their_badge]) == {}
    result = (await employer.state(wanted))["result"]
    assert result["verified"] is True and result["holder"] == holder.did
    assert [(c["id"], c["holderBinding"], c["matchesQuery"]) for c in result["credentials"]] == \
        [(by_interaction["id"], "passed", True), (by_legacy["id"], "passed", True)]
    result = (await employer.state(stolen))["result"]
    assert result["verified"] is False and [c["holderBinding"] for c in result["credentials"]] == ["failed"]
