"""Pathways over HTTP: a learner presents micro-credentials (challenge-protected) and the provider node says
which pathways they satisfy, then issues the stacked award. A real node and server on 127.0.0.1, real keys."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import did_key_signer
from vcnode.credentials import create_presentation, issue_credential
from vcnode.credentials.issue import sign
from vcnode.exchanges.challenges import ChallengeService, TooManyChallenges
from vcnode.exchanges.pathways import PathwayExchange, evaluate_presentation
from vcnode.http.pathway_routes import CHALLENGES_KEY
from vcnode.keys.signer import SigningKey
from vcnode.node import Node
from vcnode.trust import component_digest
from vcnode.trust.examples import example_badge, example_documents

NODE_DID = "did:web:example.edu"
PROBLEM = "application/problem+json"
PATHWAY = "https://hcp.example/pathways/certificate-data-analytics"
ACHIEVEMENTS = "https://hcp.example/achievements/"
FIVE = ["daf", "dviz", "sql", "ml", "stats"]  # 5 + 5 + 5 + 10 + 7.5 = 32.5 ECTS of the 30 needed
JSON = {"Content-Type": "application/json"}
_SERIAL = itertools.count(1)


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#", 1)[0]


@dataclass
class Provider:
    """The node as a provider: its pathway published, tokens, and a client."""

    client: TestClient
    node: Node
    issue_token: str
    status_token: str
    learner: SigningKey = field(default_factory=did_key_signer)

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {**JSON, "Authorization": f"Bearer {token or self.issue_token}"}

    async def component(self, key: str, *, learner: str | None = None,
                        valid_from: str = "2026-03-01T00:00:00Z", credits: float | None = None) -> dict[str, Any]:
        """A component micro-credential issued by the node over HTTP, with a revocation entry."""
        badge = example_badge(f"ie-{key}", issuer=NODE_DID, learner_id=learner or did_of(self.learner),
                              credential_id=f"urn:uuid:00000000-0000-4000-8000-{next(_SERIAL):012d}",
                              valid_from=valid_from, credits_earned=credits)
        response = await self.client.post("/credentials/issue", headers=self.auth(), json={
            "credential": badge, "options": {"statusPurpose": "revocation"}})
        assert response.status == 201, await response.text()
        return (await response.json())["verifiableCredential"]

    async def challenge(self) -> str:
        response = await self.client.post("/challenges")
        assert response.status == 201 and response.headers["Cache-Control"] == "no-store"
        body = await response.json()
        assert set(body) == {"challenge", "expires"} and len(body["challenge"]) >= 32
        return body["challenge"]

    async def present(self, credentials: list[dict[str, Any]], *, holder: SigningKey | None = None,
                      domain: str | None = None) -> tuple[dict[str, Any], str]:
        challenge = await self.challenge()
        return create_presentation(credentials, holder or self.learner, challenge=challenge, domain=domain), challenge

    async def evaluate(self, credentials: list[dict[str, Any]], status: int = 200,
                       **options: Any) -> dict[str, Any]:
        presentation, challenge = await self.present(credentials)
        response = await self.client.post("/pathways/evaluate", json={
            "verifiablePresentation": presentation, "options": {"challenge": challenge, **options}})
        body = await response.json(content_type=None)
        assert response.status == status, body
        return body

    async def award(self, credentials: list[dict[str, Any]], status: int = 201, pathway: str = PATHWAY,
                    **options: Any) -> dict[str, Any]:
        presentation, challenge = await self.present(credentials)
        response = await self.client.post("/pathways/award", headers=self.auth(), json={
            "verifiablePresentation": presentation, "options": {"challenge": challenge, "pathway": pathway,
                                                                **options}})
        body = await response.json(content_type=None)
        assert response.status == status, body
        if status >= 400:
            assert response.headers["Content-Type"] == PROBLEM
        return body

    async def revoke(self, credential_id: str) -> None:
        response = await self.client.post("/credentials/status", headers=self.auth(self.status_token), json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True})
        assert response.status == 200, await response.text()


@pytest.fixture
async def provider(client: TestClient, web_node: Node) -> Provider:
    pathway = example_documents({"eu-provider": NODE_DID}, ["pathways"])[0]
    await web_node.publish_statement(pathway)
    _, issue_token = await web_node.tokens.create(["issue"])
    _, status_token = await web_node.tokens.create(["status"])
    return Provider(client, web_node, issue_token, status_token)


def only(body: dict[str, Any], pathway: str = PATHWAY) -> dict[str, Any]:
    [result] = [r for r in body["pathways"] if r["pathway"] == pathway]
    return result


def excluded(result: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((e["achievement"].removeprefix(ACHIEVEMENTS), e["code"]) for e in result["excluded"])


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body = await response.json(content_type=None)
    assert response.status == status, body
    assert response.headers["Content-Type"] == PROBLEM
    assert body["code"] == code and body["status"] == status and body["detail"], body
    assert body.pop("requestId") == response.headers["X-Request-Id"]  # differs per request; the rest must not
    return body


# --- evaluation -------------------------------------------------------------------------------------------------


async def test_satisfied(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    body = await provider.evaluate(credentials)
    assert body["holder"] == did_of(provider.learner) and body["unavailable"] == [] and body["warnings"] == []
    result = only(body)
    assert result["outcome"] == "satisfied" and result["credits"] == 32.5 and result["provider"] == NODE_DID
    assert [c["credential"] for c in result["counted"]] == [c["id"] for c in credentials]
    assert all(c["status"] == "valid" for c in result["counted"])  # the node's own lists were checked
    assert result["missing"] == {"components": 0, "achievements": [ACHIEVEMENTS + "ethics"], "credits": 0,
                                 "windowExceeded": False}


async def test_one_credit_short(provider: Provider) -> None:
    credentials = [await provider.component(key, credits=credits)
                   for key, credits in (("daf", 10), ("dviz", 10), ("sql", 5), ("ml", 4))]
    result = only(await provider.evaluate(credentials))
    assert result["outcome"] == "partly" and result["credits"] == 29
    assert result["missing"]["credits"] == 1 and result["missing"]["components"] == 0


async def test_a_revoked_component_is_excluded(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    await provider.revoke(credentials[3]["id"])  # ml, 10 credits
    result = only(await provider.evaluate(credentials))
    assert result["outcome"] == "partly" and result["credits"] == 22.5 and result["missing"]["credits"] == 7.5
    assert excluded(result) == [("ml", "revoked")]
    assert result["excluded"][0]["credential"] == credentials[3]["id"]


async def test_a_component_of_another_learner_is_excluded(provider: Provider) -> None:
    someone = did_of(did_key_signer())
    credentials = [await provider.component(key, learner=someone if key == "ml" else None) for key in FIVE]
    result = only(await provider.evaluate(credentials))
    assert result["outcome"] == "partly" and excluded(result) == [("ml", "otherLearner")]
    assert someone in result["excluded"][0]["message"]


async def test_the_window_exceeded(provider: Provider) -> None:
    dates = {"daf": "2019-06-01", "dviz": "2020-01-15", "sql": "2024-09-01", "ml": "2025-03-01", "stats": "2025-06-01"}
    credentials = [await provider.component(key, valid_from=f"{dates[key]}T00:00:00Z") for key in FIVE]
    result = only(await provider.evaluate(credentials))
    assert result["outcome"] == "partly" and result["missing"]["windowExceeded"] is True
    assert result["window"]["exceeded"] is True and result["window"]["spanYears"] == 6.0
    assert {code for _, code in excluded(result)} == {"outsideWindow"}


async def test_a_tampered_component_does_not_count(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in [*FIVE, "ethics"]]
    credentials[0] = copy.deepcopy(credentials[0])
    credentials[0]["credentialSubject"]["creditsEarned"] = 30
    result = only(await provider.evaluate(credentials))  # the presentation is fine; one credential is not
    assert excluded(result) == [("daf", "notVerified")] and result["outcome"] == "satisfied"


async def test_pathways_are_filtered_and_unusable_ones_are_not_used(provider: Provider) -> None:
    node, outsider = provider.node, did_key_signer()
    # Another provider's pathway (replicated), and a forgery of it signed by someone else.
    theirs = example_documents({"eu-provider": did_of(outsider)}, ["pathways"])[0]
    theirs["id"] = "https://other.example/statements/pathway"
    theirs["credentialSubject"]["id"] = "https://other.example/pathways/data"
    node.trust.index.add_document(issue_credential(theirs, outsider), signer=did_of(outsider))
    forged = copy.deepcopy(theirs)
    forged["id"], forged["credentialSubject"]["id"] = "https://other.example/statements/f", "https://other.example/f"
    node.trust.index.add_document(sign(forged, did_key_signer()), proof="failed")
    # This node's second pathway, withdrawn after publication.
    second = example_documents({"eu-provider": NODE_DID}, ["pathways"])[0]
    second["id"] = "https://example.edu/statements/pathway-2"
    second["credentialSubject"]["id"] = "https://hcp.example/pathways/withdrawn"
    signed = await node.publish_statement(second)
    await provider.revoke(signed["id"])

    credentials = [await provider.component(key) for key in FIVE]
    body = await provider.evaluate(credentials)
    assert {r["pathway"]: r["outcome"] for r in body["pathways"]} == {
        PATHWAY: "satisfied", "https://other.example/pathways/data": "notStarted"}  # all by the wrong issuer
    assert excluded(only(body, "https://other.example/pathways/data"))[0][1] == "wrongIssuer"
    assert sorted((u["pathway"], u["code"]) for u in body["unavailable"]) == [
        ("https://hcp.example/pathways/withdrawn", "withdrawn"), ("https://other.example/f", "forgedStatement")]

    body = await provider.evaluate(credentials, pathways=[PATHWAY, "https://nowhere.example/p"])
    assert [r["pathway"] for r in body["pathways"]] == [PATHWAY]
    assert [(u["pathway"], u["code"]) for u in body["unavailable"]] == [("https://nowhere.example/p", "unknownPathway")]
    body = await provider.evaluate(credentials, provider=did_of(outsider))
    assert [r["pathway"] for r in body["pathways"]] == ["https://other.example/pathways/data"]


async def test_evaluation_without_the_server(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    presentation, challenge = await provider.present(credentials)
    evaluation = await evaluate_presentation(provider.node, presentation, {"challenge": challenge})
    assert evaluation.holder == did_of(provider.learner) and evaluation.results[0].satisfied


# --- challenges and the presentation ----------------------------------------------------------------------------


async def test_challenge_missing_unknown_reused_or_expired_is_rejected(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    presentation, challenge = await provider.present(credentials)
    client = provider.client
    await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation}),
                  400, "challengeRequired")
    await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation,
                                                                "options": {"challenge": 5}}), 400, "challengeRequired")
    await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation,
                                                                "options": {"challenge": "made-up"}}),
                  400, "challengeUnknown")
    ok = await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation,
                                                       "options": {"challenge": challenge}})
    assert ok.status == 200
    await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation,
                                                                "options": {"challenge": challenge}}),
                  409, "challengeUsed")
    # A presentation signed with a challenge this node never handed out.
    forged = create_presentation(credentials, provider.learner, challenge="made-up")
    await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": forged,
                                                                "options": {"challenge": "made-up"}}),
                  400, "challengeUnknown")
    # Expired: ten minutes later.
    service = client.server.app[CHALLENGES_KEY]
    presentation, challenge = await provider.present(credentials)
    later = time.time() + service.ttl + 1
    service.clock = lambda: later
    try:
        await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation,
                                                                    "options": {"challenge": challenge}}),
                      400, "challengeExpired")
        await provider.challenge()  # handing out a new one purges the expired ones
        await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": presentation,
                                                                    "options": {"challenge": challenge}}),
                      400, "challengeUnknown")
    finally:
        service.clock = time.time


async def test_a_presentation_for_another_challenge_or_domain_is_rejected_without_using_up_the_challenge(
        provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    presentation, _ = await provider.present(credentials, domain="hcp.example")
    other = await provider.challenge()
    body = await problem(await provider.client.post("/pathways/evaluate", json={
        "verifiablePresentation": presentation, "options": {"challenge": other, "domain": "hcp.example"}}),
        400, "challengeMismatch")
    assert body["verified"] is False and body["errors"]  # the verification report comes with the problem
    signed = create_presentation(credentials, provider.learner, challenge=other, domain="hcp.example")
    await problem(await provider.client.post("/pathways/evaluate", json={
        "verifiablePresentation": signed, "options": {"challenge": other, "domain": "elsewhere.example"}}),
        400, "domainMismatch")
    # A rejected presentation does not consume the challenge: the right one still gets through.
    ok = await provider.client.post("/pathways/evaluate", json={
        "verifiablePresentation": signed, "options": {"challenge": other, "domain": "hcp.example"}})
    assert ok.status == 200, await ok.text()


async def test_a_presentation_signed_by_someone_other_than_its_holder_is_rejected(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    challenge = await provider.challenge()
    mallory = did_key_signer()
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "holder": did_of(provider.learner), "verifiableCredential": credentials}
    signed = sign(presentation, mallory, purpose="authentication", challenge=challenge)
    body = await problem(await provider.client.post("/pathways/evaluate", json={
        "verifiablePresentation": signed, "options": {"challenge": challenge}}), 400, "controllerMismatch")
    assert body["verified"] is False
    # Unsigned, or without a holder: nothing is proven.
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    await problem(await provider.client.post("/pathways/evaluate", json={
        "verifiablePresentation": unsigned, "options": {"challenge": challenge}}), 400, "noProof")
    anonymous = sign({key: value for key, value in presentation.items() if key != "holder"}, provider.learner,
                     purpose="authentication", challenge=challenge)
    await problem(await provider.client.post("/pathways/evaluate", json={
        "verifiablePresentation": anonymous, "options": {"challenge": challenge}}), 400, "holderNotNamed")


async def test_request_errors(provider: Provider) -> None:
    client = provider.client
    await problem(await client.post("/pathways/evaluate", json={}), 400, "badRequest")
    await problem(await client.post("/pathways/evaluate", data=b"x", headers={"Content-Type": "text/plain"}),
                  415, "unsupportedMediaType")
    challenge = await provider.challenge()
    for options in ({"challenge": challenge, "pathways": "x"}, {"challenge": challenge, "provider": 3},
                    {"challenge": challenge, "pathways": ["x"] * 101}, [challenge]):
        await problem(await client.post("/pathways/evaluate", json={"verifiablePresentation": {},
                                                                    "options": options}), 400, "invalidInput")
    await problem(await client.get("/pathways/evaluate"), 405, "methodNotAllowed")


async def test_the_challenge_table_is_bounded(provider: Provider) -> None:
    service = ChallengeService(provider.node.store, max_open=3)
    await service.issue()
    await provider.challenge()  # the app's service: the same table
    await service.issue()
    with pytest.raises(TooManyChallenges):
        await service.issue()
    response = await provider.client.post("/challenges")
    assert response.status == 201  # the app's own bound is 10,000


# --- the stacked award ------------------------------------------------------------------------------------------


async def test_the_award_is_issued_once_the_pathway_is_satisfied(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    body = await provider.award(credentials)
    award = body["verifiableCredential"]
    assert body["pathway"]["outcome"] == "satisfied"
    assert award["issuer"]["id"] == NODE_DID and award["issuer"]["name"] == "Harbour City Polytechnic (example)"
    assert award["credentialSubject"]["id"] == did_of(provider.learner)
    assert award["credentialSubject"]["achievement"]["id"] == "https://hcp.example/achievements/certificate-data-analytics"
    assert award["credentialSubject"]["creditsEarned"] == 32.5
    assert {r["id"]: r["digestMultibase"] for r in award["relatedResource"]} == {
        c["id"]: component_digest(c) for c in credentials}
    assert award["credentialStatus"]["statusPurpose"] == "revocation"
    verified = await provider.client.post("/credentials/verify", json={"verifiableCredential": award})
    assert verified.status == 200, await verified.text()
    stored = await provider.client.get("/credentials/" + award["id"], headers=provider.auth())
    assert await stored.json() == award

    again = await provider.award(credentials, status=200)  # a retry (new challenge): the same award
    assert again["verifiableCredential"] == award


async def test_the_award_is_refused_when_the_pathway_is_partly_done(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    await provider.revoke(credentials[3]["id"])
    body = await provider.award(credentials, status=409)
    assert body["code"] == "pathwayNotSatisfied" and body["result"]["outcome"] == "partly"
    assert body["result"]["missing"]["credits"] == 7.5


async def test_the_award_of_another_providers_pathway_is_refused(provider: Provider) -> None:
    outsider = did_key_signer()
    theirs = example_documents({"eu-provider": did_of(outsider)}, ["pathways"])[0]
    theirs["id"], theirs["credentialSubject"]["id"] = "https://other.example/s", "https://other.example/p"
    provider.node.trust.index.add_document(issue_credential(theirs, outsider), signer=did_of(outsider))
    credentials = [await provider.component(key) for key in FIVE]
    body = await provider.award(credentials, status=403, pathway="https://other.example/p")
    assert body["code"] == "pathwayNotOwned"
    body = await provider.award(credentials, status=404, pathway="https://nowhere.example/p")
    assert body["code"] == "unknownPathway"


async def test_the_award_needs_an_issue_token_for_the_provider(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    presentation, challenge = await provider.present(credentials)
    request = {"verifiablePresentation": presentation, "options": {"challenge": challenge, "pathway": PATHWAY}}
    await problem(await provider.client.post("/pathways/award", json=request), 401, "unauthorized")
    await problem(await provider.client.post("/pathways/award", json=request,
                                             headers=provider.auth(provider.status_token)), 403, "forbidden")
    _, scoped = await provider.node.tokens.create(["issue"], identity="did:web:example.edu:identities:x")
    await problem(await provider.client.post("/pathways/award", json=request, headers=provider.auth(scoped)),
                  403, "forbidden")
    await problem(await provider.client.post("/pathways/award", json={
        "verifiablePresentation": presentation, "options": {"challenge": challenge}},
        headers=provider.auth()), 400, "invalidInput")
    ok = await provider.client.post("/pathways/award", json=request, headers=provider.auth())
    assert ok.status == 201, await ok.text()  # none of the refusals used up the challenge


async def test_a_token_for_another_identity_is_refused_alike_for_held_and_unknown_pathways(
        provider: Provider) -> None:
    """Issue #11 item 12: a token bound to one identity must not learn which pathways the node's other
    identities offer from the answer: the node's own pathway, another provider's and an unknown one are
    refused with the same problem."""
    credentials = [await provider.component(key) for key in FIVE]
    outsider = did_key_signer()
    theirs = example_documents({"eu-provider": did_of(outsider)}, ["pathways"])[0]
    theirs["id"], theirs["credentialSubject"]["id"] = "https://other.example/s", "https://other.example/p"
    provider.node.trust.index.add_document(issue_credential(theirs, outsider), signer=did_of(outsider))
    other = await provider.node.identities.create("key", name="faculty")
    _, scoped = await provider.node.tokens.create(["issue"], identity=other.did)
    answers = []
    for pathway in (PATHWAY, "https://other.example/p", "https://nowhere.example/p"):
        presentation, challenge = await provider.present(credentials)
        response = await provider.client.post("/pathways/award", headers=provider.auth(scoped), json={
            "verifiablePresentation": presentation, "options": {"challenge": challenge, "pathway": pathway}})
        answers.append(await problem(response, 403, "forbidden"))
    assert answers[0] == answers[1] == answers[2]


async def test_concurrent_awards_issue_one_credential(provider: Provider) -> None:
    credentials = [await provider.component(key) for key in FIVE]
    requests = []
    for _ in range(3):  # one exchange object each, as separate processes would have: the store decides
        presentation, challenge = await provider.present(credentials)
        requests.append(PathwayExchange(provider.node).award(presentation, {"challenge": challenge,
                                                                            "pathway": PATHWAY}))
    awards = await asyncio.gather(*requests)
    assert sorted(a.created for a in awards) == [False, False, True]
    assert len({a.credential["proof"][0]["proofValue"] for a in awards}) == 1
