"""Bad input to the exchange routes, as an outsider sends it: every refusal is a 4xx problem with its named
code, the exchange it was aimed at never ends ``complete`` and nothing is issued. The node's real app on
127.0.0.1, real keys and store; wallets sign with the project's presentation code."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import did_key_signer
from tests.integration.test_exchanges_http import (
    NODE_DID,
    Institution,
    did_of,
    path,
    problem,
    start,
    unsigned_badge,
)
from vcnode.credentials import create_presentation
from vcnode.keys.signer import SigningKey
from vcnode.node import Node


def issued(node: Node) -> int:
    """How many credentials the node has stored (read from its database, as another process would)."""
    with sqlite3.connect(f"file:{node.config.database_path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM credentials").fetchone()[0])


@pytest.fixture
async def institution(client: TestClient, web_node: Node) -> Institution:
    _, token = await web_node.tokens.create(["exchange"])
    return Institution(client, token)


async def token_for(node: Node, scopes: list[str], identity: str | None = None) -> dict[str, str]:
    _, token = await node.tokens.create(scopes, identity)
    return {"Authorization": f"Bearer {token}"}


async def send(client: TestClient, exchange: dict[str, Any], presentation: Any) -> Any:
    return await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})


async def still_open(institution: Institution, exchange: dict[str, Any], code: str) -> dict[str, Any]:
    """The exchange is active, has no result, and kept the refusal as its last error."""
    state = await institution.state(exchange)
    assert state["state"] == "active" and "result" not in state and "holder" not in state, state
    assert state["lastError"]["code"] == code, state
    return state


# --- the wallet's presentation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("holder", ["did:example:123", "did:ion:EiDyOQbbZAa3aiRzeCkV7LOx3SERjjH93EXoIM3UoN4oWg",
                                    "did:peer:2.Ez6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"])
async def test_a_holder_of_a_method_the_node_does_not_resolve_is_unsupported(
        client: TestClient, web_node: Node, institution: Institution, holder: str) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    request = await start(client, exchange)
    presentation = create_presentation([], did_key_signer(), challenge=request["challenge"], domain=request["domain"])
    presentation["holder"] = holder
    before = issued(web_node)
    body = await problem(await send(client, exchange, presentation), 400, "unsupportedDidMethod")
    assert "key" in body["detail"]  # names the methods it resolves
    await still_open(institution, exchange, "unsupportedDidMethod")
    assert issued(web_node) == before


@pytest.mark.parametrize("workflow", ["claim", "present"])
async def test_a_presentation_replayed_to_another_exchange_is_a_challenge_mismatch(
        client: TestClient, web_node: Node, institution: Institution, workflow: str) -> None:
    learner = did_key_signer()
    variables = {"credential": unsigned_badge()} if workflow == "claim" else {}
    first, second = [await institution.create(workflow, variables) for _ in range(2)]
    request = await start(client, first)
    await start(client, second)
    presentation = create_presentation([], learner, challenge=request["challenge"], domain=request["domain"])
    assert (await send(client, first, presentation)).status == 200
    before = issued(web_node)
    await problem(await send(client, second, presentation), 400, "challengeMismatch")
    await still_open(institution, second, "challengeMismatch")
    assert issued(web_node) == before
    # …and to the one it was made for, once more: a claim hands its holder the same badge again (nothing new
    # is issued); a presentation request is complete.
    again = await send(client, first, presentation)
    if workflow == "claim":
        assert again.status == 200 and issued(web_node) == before
    else:
        await problem(again, 409, "exchangeComplete")
    await problem(await send(client, first, create_presentation([], did_key_signer(), challenge=request["challenge"],
                                                                domain=request["domain"])), 409, "exchangeComplete")


async def test_the_legacy_credential_request_checks_the_domain_when_the_proof_names_one(
        client: TestClient, web_node: Node, institution: Institution) -> None:
    """LCW's legacy flow signs with the claim's challenge and no domain. A presentation signed for another
    verifier's domain was accepted (no domain was checked at all in this flow); and the route itself answered
    500 to every request (it looked for a workflow in a path that has none)."""
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    legacy_url = path(exchange["exchangeUrl"]) + "/credential-request"
    challenge = (await institution.state(exchange))["links"]["lcwLegacy"].split("challenge=")[1].split("&")[0]
    learner = did_key_signer()
    before = issued(web_node)
    elsewhere = create_presentation([], learner, challenge=challenge, domain="https://verifier.example")
    await problem(await client.post(legacy_url, json=elsewhere), 400, "domainMismatch")
    state = await institution.state(exchange)
    assert state["state"] == "pending" and state["lastError"]["code"] == "domainMismatch"
    assert issued(web_node) == before
    response = await client.post(legacy_url, json=create_presentation([], learner, challenge=challenge))
    credential = await response.json()
    assert response.status == 200, credential
    assert credential["credentialSubject"]["id"] == did_of(learner) and "proof" in credential
    assert issued(web_node) == before + 1
    again = await client.post(legacy_url, json=create_presentation([], learner, challenge=challenge))
    assert again.status == 200 and await again.json() == credential and issued(web_node) == before + 1
    await problem(await client.post(legacy_url, json=create_presentation([], did_key_signer(), challenge=challenge)),
                  409, "exchangeComplete")


async def test_the_legacy_credential_request_is_only_for_claims(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("present", {})
    url = f"/workflows/claim/exchanges/{exchange['id']}/credential-request"
    await problem(await client.post(url, json={"proof": {}}), 404, "exchangeNotFound")
    claim = await institution.create("claim", {"credential": unsigned_badge()})
    url = path(claim["exchangeUrl"]) + "/credential-request"
    await problem(await client.post(url, json={"type": ["VerifiablePresentation"]}), 400, "invalidExchangeMessage")
    await problem(await client.post(url, json=[]), 400, "badRequest")


# --- creating ---------------------------------------------------------------------------------------------------


def _moment(form: str = "%Y-%m-%dT%H:%M:%SZ", **delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime(form)


@pytest.mark.parametrize("expires", [
    _moment(minutes=-1), "2000-01-01T00:00:00Z", _moment(days=367), "9999-12-31T23:59:59Z",
    _moment("%Y-%m-%dT%H:%M:%S", days=1), "tomorrow", "", "2027-13-01T00:00:00Z", 1_900_000_000, ["2027-01-01"], {},
    # ISO 8601 forms Python's fromisoformat reads, which are not RFC 3339 date-times (they were accepted)
    _moment("%Y%m%dT%H%M%SZ", days=30), _moment("%G-W%V-%uT%H:%M:%SZ", days=30), _moment("%Y-%m-%dT%H:%MZ", days=30),
    _moment("%Y-%m-%d %H:%M:%SZ", days=30), _moment("%Y-%m-%dT%H:%M:%S+0100", days=30),
], ids=["past", "long-past", "too-far", "year-9999", "no-zone", "word", "empty", "month-13", "number", "list",
        "object", "basic", "week-date", "no-seconds", "space", "offset-without-colon"])
async def test_expires_in_the_past_too_far_or_garbage_is_invalid_input(
        client: TestClient, institution: Institution, expires: Any) -> None:
    response = await client.post("/workflows/present/exchanges", headers=institution.auth(),
                                 json={"expires": expires, "variables": {}})
    await problem(response, 400, "invalidInput")


async def test_expires_within_the_limit_is_kept(client: TestClient, institution: Institution) -> None:
    expires = _moment(days=100)
    assert (await institution.create("present", {}, expires=expires))["expires"] == expires
    lower = await institution.create("present", {}, expires=_moment("%Y-%m-%dt%H:%M:%S.25z", days=100))
    assert lower["expires"] == expires  # RFC 3339 allows t and z; shown in UTC, to the second
    offset = await institution.create("present", {}, expires=_moment("%Y-%m-%dT%H:%M:%S-00:00", days=100))
    assert offset["expires"] == expires


@pytest.mark.parametrize(("credential", "code"), [
    ({**unsigned_badge(), "issuer": {"id": "did:web:elsewhere.example", "type": ["Profile"], "name": "Other"}},
     "unknownIssuer"),
    ({**unsigned_badge(), "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}, "unknownIssuer"),
    ({key: value for key, value in unsigned_badge().items() if key != "issuer"}, "invalidIssuer"),
    ({**unsigned_badge(), "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
        "id": "https://hcp.example/achievements/daf", "type": ["Achievement"], "name": "No criteria"}}},
     "invalidCredential"),
    # A term no context defines: signing would fail at every learner's claim, so the link is refused now.
    ({**unsigned_badge(), "favouriteColour": "green"}, "undefinedTerm"),
], ids=["other-did-web", "did-key", "no-issuer", "invalid", "undefined-term"])
async def test_a_claim_the_node_cannot_issue_is_refused_when_created(
        client: TestClient, web_node: Node, institution: Institution, credential: dict[str, Any], code: str) -> None:
    response = await client.post("/workflows/claim/exchanges", headers=institution.auth(),
                                 json={"variables": {"credential": credential}})
    await problem(response, 422, code)


@pytest.mark.parametrize(("workflow", "variables"), [
    ("claim", {}),
    ("claim", {"credential": "a badge"}),
    ("claim", {"credential": unsigned_badge(), "query": {}}),
    ("claim", {"credential": unsigned_badge(), "options": {"cryptosuite": "no-such-suite-2099"}}),
    ("claim", {"credential": unsigned_badge(), "options": {"statusPurpose": ["revocation", "revocation"]}}),
    ("claim", {"credential": unsigned_badge(), "redirectUrl": "javascript:alert(1)"}),
    ("present", {"credential": unsigned_badge()}),
    ("present", {"query": {"type": ""}}),
    ("present", {"query": {"issuer": 7}}),
    ("present", {"query": {"anything": "x"}}),
    ("present", {"recognition": "yes"}),
    ("present", {"pathways": "all"}),
    ("present", {"pathways": ["x"] * 101}),
    ("present", {"redirectUrl": "ftp://files.example/"}),
    ("present", []),
])
async def test_variables_a_workflow_does_not_take_are_invalid_input(
        client: TestClient, institution: Institution, workflow: str, variables: Any) -> None:
    response = await client.post(f"/workflows/{workflow}/exchanges", headers=institution.auth(),
                                 json={"variables": variables})
    await problem(response, 400, "invalidInput")


async def test_other_members_and_bodies_are_refused(client: TestClient, institution: Institution) -> None:
    url = "/workflows/present/exchanges"
    await problem(await client.post(url, headers=institution.auth(), json={"variables": {}, "openId": {}}), 400,
                  "invalidInput")
    await problem(await client.post(url, headers=institution.auth(), json=[{}]), 400, "badRequest")
    await problem(await client.post(url, headers=institution.auth(), data="{}"), 415, "unsupportedMediaType")


# --- tokens -----------------------------------------------------------------------------------------------------


async def test_a_token_bound_to_another_identity_cannot_create_a_claim(client: TestClient, web_node: Node) -> None:
    other = (await web_node.identities.create("key", name="faculty")).did
    response = await client.post("/workflows/claim/exchanges", headers=await token_for(web_node, ["exchange"], other),
                                 json={"variables": {"credential": unsigned_badge()}})
    await problem(response, 403, "forbidden")
    own = await client.post("/workflows/claim/exchanges", headers=await token_for(web_node, ["exchange"], NODE_DID),
                            json={"variables": {"credential": unsigned_badge()}})
    assert own.status == 201, await own.text()


@pytest.mark.parametrize("scopes", [["issue"], ["read"], ["status"], ["metrics"]])
async def test_creating_needs_the_exchange_scope(client: TestClient, web_node: Node, scopes: list[str]) -> None:
    response = await client.post("/workflows/present/exchanges", headers=await token_for(web_node, scopes),
                                 json={"variables": {}})
    await problem(response, 403, "forbidden")


async def test_a_token_bound_to_another_identity_does_not_see_the_exchange(
        client: TestClient, web_node: Node, institution: Institution) -> None:
    other = (await web_node.identities.create("key", name="faculty")).did
    claim = await institution.create("claim", {"credential": unsigned_badge()})  # the node's DID issues it
    own_present = Institution(client, (await web_node.tokens.create(["exchange"], other))[1])
    present = await own_present.create("present", {})
    for scopes in (["exchange"], ["read"]):
        theirs = await token_for(web_node, scopes, other)
        await problem(await client.get(path(claim["exchangeUrl"]), headers=theirs), 404, "exchangeNotFound")
        assert (await client.get(path(present["exchangeUrl"]), headers=theirs)).status == 200
        mine = await token_for(web_node, scopes, NODE_DID)
        assert (await client.get(path(claim["exchangeUrl"]), headers=mine)).status == 200
        await problem(await client.get(path(present["exchangeUrl"]), headers=mine), 404, "exchangeNotFound")
    await problem(await client.delete(path(claim["exchangeUrl"]), headers=await token_for(web_node, ["exchange"],
                                                                                        other)),
                  404, "exchangeNotFound")
    await problem(await client.delete(path(claim["exchangeUrl"]), headers=await token_for(web_node, ["read"])), 403,
                  "forbidden")
    assert (await institution.state(claim))["state"] == "pending"  # neither refusal cancelled it


# --- ids and workflows ------------------------------------------------------------------------------------------


async def test_an_exchange_is_found_only_under_its_own_workflow(client: TestClient, institution: Institution) -> None:
    claim = await institution.create("claim", {"credential": unsigned_badge()})
    wrong = f"/workflows/present/exchanges/{claim['id']}"
    await problem(await client.get(wrong, headers=institution.auth()), 404, "exchangeNotFound")
    await problem(await client.post(wrong, json={}), 404, "exchangeNotFound")
    await problem(await client.get(wrong + "/request"), 404, "exchangeNotFound")
    await problem(await client.get(wrong + "/protocols"), 404, "exchangeNotFound")
    await problem(await client.delete(wrong, headers=institution.auth()), 404, "exchangeNotFound")
    for method in ("GET", "POST", "DELETE"):
        response = await client.request(method, f"/workflows/issue/exchanges/{claim['id']}", json={},
                                        headers=institution.auth())
        await problem(response, 404, "unknownWorkflow")
    await problem(await client.get(f"/interactions/{'x' * 129}"), 404, "exchangeNotFound")
    assert (await institution.state(claim))["state"] == "pending"


async def test_closed_exchanges_refuse_every_wallet_route(client: TestClient, web_node: Node,
                                                         institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    assert (await client.delete(path(exchange["exchangeUrl"]), headers=institution.auth())).status == 200
    learner: SigningKey = did_key_signer()
    challenge = exchange["links"]["lcwLegacy"].split("challenge=")[1].split("&")[0]
    before = issued(web_node)
    url = path(exchange["exchangeUrl"])
    await problem(await client.post(url + "/credential-request", json=create_presentation(
        [], learner, challenge=challenge)), 409, "exchangeInvalid")
    await problem(await client.get(url + "/request"), 409, "exchangeInvalid")
    await problem(await client.delete(url, headers=institution.auth()), 409, "exchangeInvalid")
    assert (await client.get(url + "/protocols")).status == 200  # the protocols are still answered
    assert issued(web_node) == before
