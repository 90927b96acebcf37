"""Enveloped credentials over the VC API of a real did:web node on 127.0.0.1: ``/credentials/issue`` with
``options.envelope`` (vc+jwt, vc+sd-jwt, VC-JWT 1.1), ``/credentials/verify`` and ``/presentations/verify`` with
``EnvelopedVerifiableCredential`` / ``EnvelopedVerifiablePresentation``; and what an outsider sends — a forged
or tampered envelope, an unknown media type, a malformed data: URL — each a 4xx problem with a named code."""

from __future__ import annotations

import base64
import copy
import time
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge, did_key_signer
from tests.integration.test_vcapi import NODE_DID, bearer, expect_json, expect_problem, issue
from vcnode.envelopes import seal
from vcnode.node import Node
from vcnode.sdjwt.present import key_binding_jwt

V2 = "https://www.w3.org/ns/credentials/v2"
# An unsecured JWT naming a key that resolves: refused for its algorithm.
ALG_NONE = base64.urlsafe_b64encode(orjson.dumps({"alg": "none", "kid": did_key_signer().verification_method})).rstrip(
    b"=").decode()


@pytest.fixture
async def issue_token(web_node: Node) -> str:
    _, token = await web_node.tokens.create(["issue"], identity=None)
    return token


@pytest.mark.parametrize(("envelope", "media_type"), [
    ("vc+jwt", "application/vc+jwt"), ({"mediaType": "application/vc+sd-jwt"}, "application/vc+sd-jwt")])
async def test_issue_enveloped_then_verify(client: TestClient, issue_token: str, envelope: Any,
                                           media_type: str) -> None:
    body = await expect_json(await issue(client, issue_token, badge(NODE_DID), {"envelope": envelope}), 201)
    enveloped = body["verifiableCredential"]
    assert enveloped["type"] == "EnvelopedVerifiableCredential" and enveloped["@context"] == [V2]
    assert enveloped["id"].startswith(f"data:{media_type},")
    report = await expect_json(await client.post("/credentials/verify", json={"verifiableCredential": enveloped}),
                               200)
    assert report["verified"] is True and report["results"]["envelope"]["mediaType"] == media_type
    assert report["results"]["envelope"]["controller"] == NODE_DID
    # the stored copy is the envelope
    stored = await client.get("/credentials/" + badge(NODE_DID)["id"], headers=bearer(issue_token))
    assert (await stored.json()) == enveloped
    # a retry of the same request gets the same envelope back; the same id with a DI proof is another request
    again = await expect_json(await issue(client, issue_token, badge(NODE_DID), {"envelope": envelope}), 200)
    assert again["verifiableCredential"] == enveloped
    await expect_problem(await issue(client, issue_token, badge(NODE_DID)), 409, "credentialIdInUse")


async def test_tampered_and_forged_envelopes_are_refused(client: TestClient, issue_token: str) -> None:
    enveloped = (await expect_json(await issue(client, issue_token, badge(NODE_DID), {"envelope": "vc+jwt"}),
                                   201))["verifiableCredential"]
    header, payload, signature = enveloped["id"].split(",", 1)[1].split(".")
    tampered = {**enveloped, "id": f"data:application/vc+jwt,{header}.{payload[:-4]}AAAA.{signature}"}
    response = await client.post("/credentials/verify", json={"verifiableCredential": tampered})
    problem = await expect_problem(response, 400)
    assert problem["code"] in ("invalidSignature", "invalidJws") and problem["verified"] is False
    # Mallory signs the polytechnic's badge with her own did:key
    forged = seal(badge(NODE_DID), did_key_signer(), "vc+jwt")
    response = await client.post("/credentials/verify", json={"verifiableCredential": forged})
    await expect_problem(response, 400, "issuerMismatch")


@pytest.mark.parametrize(("url", "code"), [
    ("data:application/vc+cbor-unknown,AAAA", "unsupportedMediaType"),
    ("data:application/vc+jwt,eyJhbGciOiJub25lIn0.e30.", "missingKid"),
    (f"data:application/vc+jwt,{ALG_NONE}.e30.", "unsupportedAlgorithm"),
    ("data:application/vc+jwt,not a jwt", "invalidJws"),
    ("https://example.com/credential", "malformedDataUrl"),
    ("data:application/vc+jwt," + "a" * 300_000, "envelopeTooLarge")])
async def test_bad_envelopes_are_named_4xx(client: TestClient, url: str, code: str) -> None:
    body = {"verifiableCredential": {"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": url}}
    await expect_problem(await client.post("/credentials/verify", json=body), 400, code)
    presentation = {"verifiablePresentation": {"@context": [V2], "type": "EnvelopedVerifiablePresentation",
                                               "id": url.replace("vc+", "vp+")}}
    await expect_problem(await client.post("/presentations/verify", json=presentation), 400, code)


async def test_issue_refuses_unknown_and_ambiguous_envelopes(client: TestClient, issue_token: str) -> None:
    await expect_problem(await issue(client, issue_token, badge(NODE_DID), {"envelope": "vc+unknown"}), 400,
                         "unsupportedMediaType")
    await expect_problem(await issue(client, issue_token, badge(NODE_DID), {"envelope": "vp+jwt"}), 400,
                         "unsupportedMediaType")
    await expect_problem(await issue(client, issue_token, badge(NODE_DID), {"envelope": ["vc+jwt"]}), 400,
                         "unsupportedMediaType")
    await expect_problem(await issue(client, issue_token, badge(NODE_DID),
                                     {"envelope": "vc+jwt", "cryptosuite": "eddsa-rdfc-2022"}), 400)


async def test_vc_jwt_1_1_issue_and_verify(client: TestClient, issue_token: str) -> None:
    credential = badge(NODE_DID)
    token = (await expect_json(await issue(client, issue_token, credential, {"envelope": "application/jwt"}),
                               201))["verifiableCredential"]
    assert isinstance(token, str) and token.count(".") == 2
    report = await expect_json(await client.post("/credentials/verify", json={"verifiableCredential": token}), 200)
    assert report["verified"] is True and report["results"]["envelope"]["mediaType"] == "application/jwt"
    await expect_problem(await client.post("/credentials/verify", json={"verifiableCredential": token[:-6] + "AAAAAA"}),
                         400, "invalidSignature")


async def learners_enveloped_badge(client: TestClient, issue_token: str) -> tuple[Any, str, dict[str, Any]]:
    """A learner's P-256 did:key signer, its DID, and a vc+jwt badge about the learner issued by the node."""
    learner = did_key_signer("P-256")
    learner_did = learner.verification_method.split("#")[0]
    credential = badge(NODE_DID)
    credential["credentialSubject"]["id"] = learner_did
    enveloped = (await expect_json(await issue(client, issue_token, credential, {"envelope": "vc+jwt"}),
                                   201))["verifiableCredential"]
    return learner, learner_did, enveloped


async def test_enveloped_presentation_of_enveloped_credentials(client: TestClient, issue_token: str) -> None:
    learner, learner_did, enveloped = await learners_enveloped_badge(client, issue_token)
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner_did,
          "verifiableCredential": [enveloped], "nonce": "c-42"}
    body = {"verifiablePresentation": seal(vp, learner, "vp+jwt", kind="presentation"),
            "options": {"challenge": "c-42"}}
    report = await expect_json(await client.post("/presentations/verify", json=body), 200)
    assert report["verified"] is True and report["results"]["envelope"]["mediaType"] == "application/vp+jwt"
    inner = report["results"]["credentials"]["credentials"][0]
    assert inner["results"]["envelope"]["mediaType"] == "application/vc+jwt"
    assert inner["results"]["holderBinding"]["outcome"] == "passed"
    # replayed with another challenge
    await expect_problem(await client.post("/presentations/verify", json={**body, "options": {"challenge": "x"}}),
                         400, "challengeMismatch")
    # an unsigned presentation of the learner's enveloped credential by someone else: holder binding fails
    stolen = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": "did:example:thief",
              "verifiableCredential": [copy.deepcopy(enveloped)]}
    await expect_problem(await client.post("/presentations/verify", json={"verifiablePresentation": stolen}), 400,
                         "holderMismatch")


async def test_key_bound_vp_sd_jwt_replayed_to_another_challenge(client: TestClient, issue_token: str) -> None:
    """A learner's key-bound vp+sd-jwt answers one verifier's challenge and domain; Mallory, who saw it, replays
    it with the next challenge or strips its KB-JWT: both refused by name over HTTP."""
    learner, learner_did, enveloped = await learners_enveloped_badge(client, issue_token)
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner_did,
          "verifiableCredential": [enveloped], "cnf": {"jwk": learner.signer.public_jwk}}
    sealed = seal(vp, learner, "vp+sd-jwt", kind="presentation").get("id").split(",", 1)[1]
    bound = sealed + key_binding_jwt(sealed, learner.signer, aud="https://employer.example", nonce="c-7")
    body = {"verifiablePresentation": {"@context": [V2], "type": "EnvelopedVerifiablePresentation",
                                       "id": f"data:application/vp+sd-jwt,{bound}"},
            "options": {"challenge": "c-7", "domain": "https://employer.example"}}
    report = await expect_json(await client.post("/presentations/verify", json=body), 200)
    assert report["verified"] is True and report["results"]["keyBinding"]["verified"] is True, report
    await expect_problem(await client.post("/presentations/verify", json={
        **body, "options": {"challenge": "c-8", "domain": "https://employer.example"}}), 400,
        "keyBindingNonceMismatch")
    await expect_problem(await client.post("/presentations/verify", json={
        **body, "options": {"challenge": "c-7", "domain": "https://other.example"}}), 400,
        "keyBindingAudienceMismatch")
    old = sealed + key_binding_jwt(sealed, learner.signer, aud="https://employer.example", nonce="c-7",
                                   iat=int(time.time()) - 400)  # key_binding_max_age is 300 s (+ 60 s skew)
    stale = {**body["verifiablePresentation"], "id": f"data:application/vp+sd-jwt,{old}"}
    await expect_problem(await client.post("/presentations/verify", json={**body, "verifiablePresentation": stale}),
                         400, "staleKeyBinding")
    stripped = {**body["verifiablePresentation"], "id": f"data:application/vp+sd-jwt,{sealed}"}
    await expect_problem(await client.post("/presentations/verify", json={**body, "verifiablePresentation": stripped}),
                         400, "missingKeyBinding")


async def test_recognition_reads_the_enveloped_credential(web_node: Node, client: TestClient) -> None:
    """A node recognising a provider it accredits recognises the provider's badge enveloped as vc+jwt too."""
    from tests.integration.test_trust_http import _set_up
    from vcnode.trust.examples import example_badge

    _, provider, token = await _set_up(web_node, client)
    unsigned = example_badge("hk-cloud-data", issuer=provider, learner_id="did:example:learner",
                             credential_id="urn:uuid:7a1e0000-0000-4000-8000-000000000002")
    enveloped = (await expect_json(await issue(client, token, unsigned, {"envelope": "vc+jwt"}),
                                   201))["verifiableCredential"]
    body = await expect_json(await client.post("/credentials/verify", json={
        "verifiableCredential": enveloped, "options": {"recognition": True}}), 200)
    assert body["recognition"]["recognised"] is True, body["recognition"]
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "verifiableCredential": [enveloped]}
    body = await (await client.post("/presentations/verify", json={
        "verifiablePresentation": vp, "options": {"recognition": True, "holderBinding": "allowMismatch"}})).json()
    assert body["recognition"][0]["recognised"] is True and body["recognition"][0]["credential"] == unsigned["id"]
