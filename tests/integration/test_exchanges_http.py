"""VC API exchanges over HTTP (VCALM workflows ``claim`` and ``present``): a learner claims a prepared badge by
proving a DID, then presents it to an employer's ``present`` exchange. The node's real app on 127.0.0.1, real
keys, a real store; the wallet's side signs with the project's presentation code (the independent LCW
replay is in tests/interop/test_lcw_exchanges.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge, did_key_signer
from vcnode.credentials import create_presentation
from vcnode.exchanges.wallet import HolderKey, legacy_presentation
from vcnode.keys.signer import SigningKey
from vcnode.node import Node

NODE_DID = "did:web:example.edu"
BASE = "http://127.0.0.1:8080"  # the node's base URL (no public_url configured)
PROBLEM = "application/problem+json"


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#", 1)[0]


def path(url: str) -> str:
    """The node-relative path of one of its URLs."""
    assert url.startswith(BASE), url
    return url[len(BASE):]


def unsigned_badge() -> dict[str, Any]:
    credential = badge(NODE_DID)
    del credential["id"]
    credential["credentialSubject"].pop("id", None)
    return credential


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body = await response.json(content_type=None)
    assert response.status == status, body
    assert response.headers["Content-Type"] == PROBLEM
    assert body["code"] == code, body
    return body


class Institution:
    """The node's side: tokens and exchange creation."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def create(self, workflow: str, variables: dict[str, Any], **extra: Any) -> dict[str, Any]:
        response = await self.client.post(f"/workflows/{workflow}/exchanges", headers=self.auth(),
                                          json={"variables": variables, **extra})
        body = await response.json(content_type=None)
        assert response.status == 201, body
        assert response.headers["Location"] == body["exchangeUrl"]
        return body

    async def state(self, exchange: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.get(path(exchange["exchangeUrl"]), headers=self.auth())
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.fixture
async def institution(client: TestClient, web_node: Node) -> Institution:
    _, token = await web_node.tokens.create(["exchange"])
    return Institution(client, token)


async def start(client: TestClient, exchange: dict[str, Any]) -> dict[str, Any]:
    """The wallet's first steps: the interaction URL, then ``{}`` to the vcapi URL."""
    response = await client.get(path(exchange["interactionUrl"]), headers={"Accept": "application/json"})
    assert response.status == 200
    vcapi = (await response.json())["protocols"]["vcapi"]
    assert vcapi == exchange["exchangeUrl"]
    response = await client.post(path(vcapi), json={})
    assert response.status == 200, await response.text()
    return (await response.json())["verifiablePresentationRequest"]


async def claim(client: TestClient, exchange: dict[str, Any], learner: SigningKey,
                suite: str = "Ed25519Signature2020") -> dict[str, Any]:
    request = await start(client, exchange)
    presentation = create_presentation([], learner, challenge=request["challenge"], domain=request["domain"],
                                       suite=suite)
    del presentation["verifiableCredential"]
    response = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
    body = await response.json(content_type=None)
    assert response.status == 200, body
    [credential] = body["verifiablePresentation"]["verifiableCredential"]
    return credential


async def test_claim_issues_the_badge_to_the_did_the_wallet_proves(client: TestClient, web_node: Node,
                                                                   institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    assert exchange["state"] == "pending" and exchange["workflow"] == "claim"
    assert exchange["interactionUrl"] == f"{BASE}/interactions/{exchange['id']}?iuv=1"
    assert exchange["links"]["interaction"] == "interaction:" + exchange["interactionUrl"]
    assert exchange["qr"] == {"svg": f"{BASE}/interactions/{exchange['id']}/qr.svg",
                              "png": f"{BASE}/interactions/{exchange['id']}/qr.png"}
    png = await client.get(path(exchange["qr"]["png"]))
    assert png.status == 200 and png.content_type == "image/png" and (await png.read())[:4] == b"\x89PNG"
    assert "private" in png.headers["Cache-Control"]
    svg = await client.get(path(exchange["qr"]["svg"]))
    assert svg.content_type == "image/svg+xml" and exchange["interactionUrl"] in await svg.text()
    legacy_svg = await client.get(path(exchange["qrLcwLegacy"]["svg"]))
    assert legacy_svg.status == 200 and "lcw.app/request?issuer=" in await legacy_svg.text()
    legacy = parse_qs(urlsplit(exchange["links"]["lcwLegacy"]).query)
    assert legacy["issuer"] == [NODE_DID] and legacy["auth_type"] == ["bearer"]
    request = await start(client, exchange)
    assert request["domain"] == BASE and len(request["challenge"]) >= 32
    [query] = request["query"]
    assert query["type"] == "DIDAuthentication" and {"method": "key"} in query["acceptedMethods"]
    assert {"cryptosuite": "Ed25519Signature2020"} in query["acceptedCryptosuites"]
    assert request["interact"]["service"][0]["serviceEndpoint"] == exchange["exchangeUrl"]
    learner = did_key_signer()
    presentation = create_presentation([], learner, challenge=request["challenge"], domain=request["domain"],
                                       suite="Ed25519Signature2020")
    response = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
    body = await response.json()
    assert response.status == 200, body
    [credential] = body["verifiablePresentation"]["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == did_of(learner)
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    report = await web_node.credentials.verify_credential(credential)
    assert report.verified, report.to_json()
    assert await web_node.credentials.get(credential["id"]) == credential  # stored like any issued credential
    state = await institution.state(exchange)
    assert state["state"] == "complete" and state["holder"] == did_of(learner)
    assert state["result"]["credentialId"] == credential["id"]
    # The link is single use: another wallet, or a new start, gets a clear 409…
    other = create_presentation([], did_key_signer(), challenge=request["challenge"], domain=request["domain"])
    again = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": other})
    await problem(again, 409, "exchangeComplete")
    await problem(await client.post(path(exchange["exchangeUrl"]), json={}), 409, "exchangeComplete")
    # …but the same wallet sending its presentation again (its answer was lost) gets its badge again, and
    # nothing new is issued.
    retry = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
    assert retry.status == 200
    assert (await retry.json())["verifiablePresentation"]["verifiableCredential"] == [credential]
    assert (await institution.state(exchange))["sequence"] == state["sequence"]


async def test_claim_refuses_bad_presentations_and_stays_open(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    request = await start(client, exchange)
    learner = did_key_signer()
    url = path(exchange["exchangeUrl"])

    async def send(presentation: Any, status: int, code: str) -> None:
        await problem(await client.post(url, json={"verifiablePresentation": presentation}), status, code)

    await send(create_presentation([], learner, challenge="not-the-challenge", domain=request["domain"]), 400,
               "challengeMismatch")
    await send(create_presentation([], learner, challenge=request["challenge"], domain="https://evil.example"),
               400, "domainMismatch")
    forged = create_presentation([], learner, challenge=request["challenge"], domain=request["domain"])
    forged["holder"] = did_of(did_key_signer())  # signed by a key the named holder does not control
    await send(forged, 400, "controllerMismatch")
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                "holder": did_of(learner)}
    await send(unsigned, 400, "noProof")
    await problem(await client.post(url, json={"verifiablePresentation": [unsigned]}), 400, "invalidExchangeMessage")
    await problem(await client.post(url, json={"nonsense": 1}), 400, "invalidExchangeMessage")
    state = await institution.state(exchange)
    assert state["state"] == "active" and state["attempts"] == 4 and state["lastError"]["code"] == "noProof"
    # …and the right wallet can still claim it.
    credential = await claim(client, exchange, learner)
    assert credential["credentialSubject"]["id"] == did_of(learner)


async def test_unknown_expired_and_cancelled(client: TestClient, institution: Institution) -> None:
    await problem(await client.post("/workflows/nope/exchanges", headers=institution.auth(), json={}), 404,
                  "unknownWorkflow")
    await problem(await client.post("/workflows/claim/exchanges/nope", json={}), 404, "exchangeNotFound")
    await problem(await client.get("/interactions/nope?iuv=1"), 404, "exchangeNotFound")
    await problem(await client.get("/interactions/nope/qr.png"), 404, "exchangeNotFound")
    request = await institution.create("present", {})
    assert "qrLcwLegacy" not in request
    await problem(await client.get(f"/interactions/{request['id']}/qr.svg?link=lcwLegacy"), 404, "exchangeNotFound")
    await problem(await client.get(f"/interactions/{request['id']}/qr.svg?link=other"), 400, "invalidInput")
    await problem(await client.post("/workflows/claim/exchanges", json={"variables": {}}), 401, "unauthorized")
    await problem(await client.post("/workflows/claim/exchanges", headers=institution.auth(),
                                    json={"variables": {}}), 400, "invalidInput")
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    response = await client.delete(path(exchange["exchangeUrl"]), headers=institution.auth())
    assert response.status == 200 and (await response.json())["state"] == "invalid"
    await problem(await client.post(path(exchange["exchangeUrl"]), json={}), 409, "exchangeInvalid")


async def test_expired_link_is_gone(client: TestClient, web_node: Node, institution: Institution) -> None:
    from vcnode.http.exchange_routes import EXCHANGES_KEY

    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    service = client.server.app[EXCHANGES_KEY]
    now = service.clock
    service.clock = lambda: now() + web_node.config.exchange_claim_ttl + 1
    try:
        await problem(await client.post(path(exchange["exchangeUrl"]), json={}), 410, "exchangeExpired")
        state = await institution.state(exchange)
        assert state["state"] == "expired"
    finally:
        service.clock = now


async def test_present_verifies_the_credentials_and_keeps_the_report(client: TestClient, web_node: Node,
                                                                     institution: Institution) -> None:
    learner = did_key_signer()
    badge_ = await claim(client, await institution.create("claim", {"credential": unsigned_badge()}), learner)
    exchange = await institution.create("present", {"query": {"issuer": NODE_DID}, "recognition": True})
    request = await start(client, exchange)
    by_type = {q["type"]: q for q in request["query"]}
    assert by_type["QueryByExample"]["credentialQuery"]["example"] == {
        "type": ["OpenBadgeCredential"], "issuer": {"id": NODE_DID}}
    assert "DIDAuthentication" in by_type
    someone_elses = await claim(client, await institution.create("claim", {"credential": unsigned_badge()}),
                                did_key_signer())
    presentation = create_presentation([badge_, someone_elses], learner, challenge=request["challenge"],
                                       domain=request["domain"])
    response = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
    assert response.status == 200, await response.text()
    assert await response.json() == {}
    result = (await institution.state(exchange))["result"]
    assert result["holder"] == did_of(learner) and result["verified"] is False
    mine, theirs = result["credentials"]
    assert mine["verified"] and mine["holderBinding"] == "passed" and mine["matchesQuery"]
    assert not theirs["verified"] and theirs["holderBinding"] == "failed"
    assert "recognition" in result


async def test_present_with_only_the_learners_own_badge_verifies(client: TestClient,
                                                                  institution: Institution) -> None:
    learner = did_key_signer()
    badge_ = await claim(client, await institution.create("claim", {"credential": unsigned_badge()}), learner)
    exchange = await institution.create("present", {"query": {"achievement": badge_["credentialSubject"][
        "achievement"]["id"]}, "pathways": [], "redirectUrl": "https://employer.example/thanks"})
    request = await start(client, exchange)
    presentation = create_presentation([badge_], learner, challenge=request["challenge"], domain=request["domain"])
    response = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
    assert await response.json() == {"redirectUrl": "https://employer.example/thanks"}
    result = (await institution.state(exchange))["result"]
    assert result["verified"] is True and result["credentials"][0]["matchesQuery"]
    assert "pathways" in result


async def test_legacy_credential_request_issues_the_bare_credential(client: TestClient,
                                                                    institution: Institution) -> None:
    """LCW's legacy link: a bare presentation signed with the link's challenge (no domain) posted to its
    vc_request_url gets the bare credential; the used link then answers 409."""
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    link = parse_qs(urlsplit(exchange["links"]["lcwLegacy"]).query)
    [url], [challenge] = link["vc_request_url"], link["challenge"]
    assert url == exchange["exchangeUrl"] + "/credential-request"
    holder = HolderKey.generate()
    response = await client.post(path(url), json=legacy_presentation(holder, challenge))
    credential = await response.json(content_type=None)
    assert response.status == 200, credential
    assert credential["credentialSubject"]["id"] == holder.did and "proof" in credential
    state = await institution.state(exchange)
    assert state["state"] == "complete" and state["holder"] == holder.did
    again = await client.post(path(url), json=legacy_presentation(HolderKey.generate(), challenge))
    await problem(again, 409, "exchangeComplete")
