"""The Learner Credential Wallet's signing, both ways: what LCW v2.2.10's stack signs (tests/interop/lcw.mjs,
which replays LCW with its own npm libraries) verifies at a real node's ``POST /presentations/verify``, and what
vcnode's holder client (``vcnode.exchanges.wallet``) signs verifies in LCW's stack (@digitalcredentials/vc with
ed25519-signature-2020 6.0.0), each only with the right challenge and domain. Both make the same did:key from
the same seed and, Ed25519 being deterministic, the same presentation byte for byte. The replay's credential
matching agrees with the Python port, and the replay reaches nothing but the node under test.

The exchange flows themselves (claim, legacy claim, present) run against the node's exchange routes; the
``lcw`` helper below runs those jobs with the node's event loop free to answer them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.interop.harness import run_harness
from tests.unit.test_wallet_client import MATCHING_CASES
from vcnode.exchanges.wallet import HolderKey, compose_presentation, legacy_presentation
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app

pytestmark = pytest.mark.interop
SEED = bytes(range(100, 132))
CHALLENGE, DOMAIN = "9f3c2a61-lcw", "issuer.example"


async def lcw(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run jobs through tests/interop/lcw.mjs in a thread, so a node served by this event loop can answer the
    replayed wallet; every job must stay off the network but for 127.0.0.1."""
    results = await asyncio.to_thread(run_harness, "lcw.mjs", jobs)
    for result in results:
        assert result["refused"] == [], result["refused"]
    return results


@pytest.fixture
async def node(web_node: Node) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """A real node's HTTP API on 127.0.0.1 (served with ``vcnode serve``'s limits): a session and its URL."""
    server = TestServer(build_app(web_node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    try:
        async with aiohttp.ClientSession() as session:
            yield session, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def verify_at_node(node: tuple[aiohttp.ClientSession, str], presentation: dict[str, Any],
                         **options: Any) -> tuple[int, dict[str, Any]]:
    session, base = node
    async with session.post(f"{base}/presentations/verify",
                            json={"verifiablePresentation": presentation, "options": options}) as response:
        return response.status, await response.json(content_type=None)


async def test_lcw_and_vcnode_make_the_same_holder_and_the_same_presentation() -> None:
    holder = HolderKey.from_seed(SEED)
    [signed] = await lcw([{"op": "signDidAuth", "seed": SEED.hex(), "challenge": CHALLENGE, "domain": DOMAIN}])
    assert (signed["did"], signed["verificationMethod"]) == (holder.did, holder.verification_method)
    theirs = signed["presentation"]
    # LCW's composeVp: VC 2.0 context (+ the suite's), the holder, no credentials, an authentication proof.
    assert theirs["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                  "https://w3id.org/security/suites/ed25519-2020/v1"]
    assert theirs["holder"] == holder.did and "verifiableCredential" not in theirs and "id" not in theirs
    assert {k: theirs["proof"][k] for k in ("type", "proofPurpose", "challenge", "domain", "verificationMethod")} \
        == {"type": "Ed25519Signature2020", "proofPurpose": "authentication", "challenge": CHALLENGE,
            "domain": DOMAIN, "verificationMethod": holder.verification_method}
    # Same key, same document, same `created`: the same signature.
    ours = compose_presentation(holder, challenge=CHALLENGE, domain=DOMAIN, created=theirs["proof"]["created"])
    assert ours == theirs


async def test_the_node_verifies_lcw_did_auth_only_with_its_challenge_and_domain(
        node: tuple[aiohttp.ClientSession, str]) -> None:
    [signed] = await lcw([{"op": "signDidAuth", "seed": SEED.hex(), "challenge": CHALLENGE, "domain": DOMAIN}])
    presentation = signed["presentation"]
    status, report = await verify_at_node(node, presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert status == 200 and report["verified"] is True, report
    assert report["results"]["proof"]["proofs"][0]["type"] == "Ed25519Signature2020"

    status, problem = await verify_at_node(node, presentation, challenge="another", domain=DOMAIN)
    assert status == 400 and problem["code"] == "challengeMismatch", problem
    status, problem = await verify_at_node(node, presentation, challenge=CHALLENGE, domain="evil.example")
    assert status == 400 and problem["verified"] is False, problem
    assert "domain" in json.dumps(problem["errors"]).lower()
    # A presentation whose holder is not the signer's DID is refused (LCW signs as the DID it names).
    impostor = {**presentation, "holder": HolderKey.generate().did}
    status, problem = await verify_at_node(node, impostor, challenge=CHALLENGE, domain=DOMAIN)
    assert status == 400 and problem["verified"] is False


async def test_lcw_verifies_what_vcnode_signs_only_with_its_challenge_and_domain() -> None:
    holder = HolderKey.from_seed(SEED)
    did_auth = compose_presentation(holder, challenge=CHALLENGE, domain=DOMAIN)
    legacy = legacy_presentation(holder, CHALLENGE)
    jobs = [
        {"op": "verifyPresentation", "presentation": did_auth, "challenge": CHALLENGE, "domain": DOMAIN},
        {"op": "verifyPresentation", "presentation": legacy, "challenge": CHALLENGE},
        {"op": "verifyPresentation", "presentation": did_auth, "challenge": "another", "domain": DOMAIN},
        {"op": "verifyPresentation", "presentation": did_auth, "challenge": CHALLENGE, "domain": "evil.example"},
        {"op": "verifyPresentation", "presentation": {**did_auth, "holder": "did:example:someone"},
         "challenge": CHALLENGE, "domain": DOMAIN},
    ]
    good, good_legacy, wrong_challenge, wrong_domain, changed = await lcw(jobs)
    assert good["verified"] is True, good
    assert good_legacy["verified"] is True, good_legacy
    assert wrong_challenge["verified"] is False and "challenge" in " ".join(wrong_challenge["errors"])
    assert wrong_domain["verified"] is False and "domain" in " ".join(wrong_domain["errors"])
    assert changed["verified"] is False


async def test_lcw_refuses_did_auth_without_challenge_and_domain() -> None:
    results = await lcw([{"op": "signDidAuth", "seed": SEED.hex(), "challenge": CHALLENGE},
                         {"op": "signDidAuth", "seed": SEED.hex(), "domain": DOMAIN}])
    for result in results:
        assert result["error"] == 'Both "challenge" and "domain" are required for DID Auth.'


async def test_the_replayed_matching_agrees_with_the_python_port() -> None:
    """Every case of the unit tests, run through the JavaScript port (native ===, includes, Object.entries)."""
    results = await lcw([{"op": "match", "example": example, "credentials": [credential]}
                         for example, credential, _ in MATCHING_CASES])
    for (example, _, expected), result in zip(MATCHING_CASES, results, strict=True):
        assert result["matches"] == ([0] if expected else []), example


async def test_the_replay_reaches_the_node_under_test_and_nothing_else(
        node: tuple[aiohttp.ClientSession, str]) -> None:
    _, base = node
    interaction = f"{base}/interactions/no-such-exchange?iuv=1"
    jobs = [{"op": "claim", "link": interaction, "seed": SEED.hex()},
            {"op": "claim", "link": "https://issuer.example/interactions/x?iuv=1", "seed": SEED.hex()}]
    local, remote = await asyncio.to_thread(run_harness, "lcw.mjs", jobs)
    # LCW's fetch went to the node (which has no such interaction) and stopped there.
    assert local["requests"] == [{"method": "GET", "url": interaction, "status": 404}], local
    assert local["flow"] == "vcapi" and local["error"].startswith("Interaction URL fetch failed: 404")
    assert local["refused"] == []
    assert remote["requests"] == [] and remote["refused"] == ["https://issuer.example/interactions/x?iuv=1"]
    assert "network refused" in remote["error"]
