"""The W3C VC API over a real did:web node: issue, verify, fetch issued credentials, verify presentations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from tests.builders import badge, did_key_signer
from vcnode.config import load_config
from vcnode.credentials import create_presentation
from vcnode.keys.signer import SigningKey
from vcnode.node import Node, initialise
from vcnode.serve.app import build_app

NODE_DID = "did:web:example.edu"
PROBLEM = "application/problem+json"
JSON = "application/json"
SUITE_CASES = [
    ({}, "DataIntegrityProof", "eddsa-rdfc-2022"),
    ({"cryptosuite": "eddsa-jcs-2022"}, "DataIntegrityProof", "eddsa-jcs-2022"),
    ({"type": "Ed25519Signature2020"}, "Ed25519Signature2020", None),
]






def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def expect_problem(response: ClientResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem with ``status`` (and ``code``); return its body."""
    text = await response.text()
    assert response.status == status, text
    assert response.headers["Content-Type"] == PROBLEM, text
    body = orjson.loads(text)
    assert body["type"].startswith("urn:vcnode:problem:") and body["title"] and body["detail"], body
    assert body["status"] == status and isinstance(body["code"], str) and body["code"], body
    assert body["type"] == f"urn:vcnode:problem:{body['code']}"
    # Every problem names its request; popped, so two problems compare by what they say (the id always differs).
    assert body.pop("requestId") == response.headers["X-Request-Id"], body
    if code is not None:
        assert body["code"] == code, body
    return body


async def expect_json(response: ClientResponse, status: int) -> dict[str, Any]:
    """Assert a plain JSON response with ``status``; return its body."""
    text = await response.text()
    assert response.status == status, text
    assert response.headers["Content-Type"] == JSON, text
    return orjson.loads(text)


@pytest.fixture
async def issue_token(web_node: Node) -> str:
    _, token = await web_node.tokens.create(["issue"], identity=None)
    return token


async def issue(client: TestClient, token: str, credential: Any, options: Any = None) -> ClientResponse:
    body: dict[str, Any] = {"credential": credential}
    if options is not None:
        body["options"] = options
    return await client.post("/credentials/issue", json=body, headers=bearer(token))


# --- issue and verify ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "proof_type", "cryptosuite"), SUITE_CASES)
async def test_issue_then_verify_each_suite(client: TestClient, issue_token: str, options: dict[str, Any],
                                            proof_type: str, cryptosuite: str | None) -> None:
    credential = badge(NODE_DID)
    body = await expect_json(await issue(client, issue_token, credential, options), 201)
    assert set(body) == {"verifiableCredential"}
    signed = body["verifiableCredential"]
    [proof] = signed["proof"]  # an Open Badge: a proof array (1EdTech's schemas)
    assert proof["type"] == proof_type
    assert proof.get("cryptosuite") == cryptosuite
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].startswith(NODE_DID + "#")
    assert proof.get("proofValue")
    assert {k: v for k, v in signed.items() if k not in ("proof", "@context")} == \
        {k: v for k, v in credential.items() if k != "@context"}

    report = await expect_json(await client.post("/credentials/verify", json={"verifiableCredential": signed}), 200)
    assert report["verified"] is True
    assert isinstance(report["checks"], list) and "proof" in report["checks"]
    assert isinstance(report["warnings"], list)
    assert report["errors"] == []

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Data Analytics"
    response = await client.post("/credentials/verify", json={"verifiableCredential": tampered})
    problem = await expect_problem(response, 400, "invalidSignature")
    assert problem["verified"] is False
    assert problem["errors"][0]["code"] == "invalidSignature"
    assert problem["title"] == "Verification failed"


async def test_issue_with_a_did_key_identity_of_the_node(client: TestClient, web_node: Node) -> None:
    identity = await web_node.identities.create("key", name="short-courses")
    _, token = await web_node.tokens.create(["issue"], identity=identity.did)
    signed = (await expect_json(await issue(client, token, badge(identity.did)), 201))["verifiableCredential"]
    assert signed["proof"][0]["verificationMethod"].startswith(identity.did + "#")
    report = await expect_json(await client.post("/credentials/verify", json={"verifiableCredential": signed}), 200)
    assert report["verified"] is True and report["errors"] == []


# --- issue errors -------------------------------------------------------------------------------------------


async def test_issue_without_authorization_is_401(client: TestClient) -> None:
    response = await client.post("/credentials/issue", json={"credential": badge(NODE_DID)})
    await expect_problem(response, 401, "unauthorized")


@pytest.mark.parametrize("header", ["Bearer vcn_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "vcn_abc"])
async def test_issue_with_a_bad_token_is_401(client: TestClient, header: str) -> None:
    response = await client.post("/credentials/issue", json={"credential": badge(NODE_DID)},
                                 headers={"Authorization": header})
    await expect_problem(response, 401, "unauthorized")


async def test_revoked_token_is_401(client: TestClient, web_node: Node) -> None:
    record, token = await web_node.tokens.create(["issue"])
    await web_node.tokens.revoke(record.id)
    await expect_problem(await issue(client, token, badge(NODE_DID)), 401, "unauthorized")


async def test_issue_with_a_status_only_token_is_403(client: TestClient, web_node: Node) -> None:
    _, token = await web_node.tokens.create(["status"])
    await expect_problem(await issue(client, token, badge(NODE_DID)), 403, "forbidden")


async def test_issue_with_a_token_for_another_identity_is_403(client: TestClient, web_node: Node) -> None:
    other = await web_node.identities.create("key", name="short-courses")
    _, token = await web_node.tokens.create(["issue"], identity=other.did)
    problem = await expect_problem(await issue(client, token, badge(NODE_DID)), 403, "forbidden")
    assert other.did in problem["detail"]


async def test_issue_for_an_issuer_the_node_does_not_hold_is_422(client: TestClient, issue_token: str) -> None:
    foreign = did_key_signer().verification_method.split("#")[0]
    problem = await expect_problem(await issue(client, issue_token, badge(foreign)), 422, "unknownIssuer")
    assert NODE_DID in problem["detail"]  # it names the identities that can issue


async def test_issue_without_an_issuer_is_422(client: TestClient, issue_token: str) -> None:
    credential = badge(NODE_DID)
    del credential["issuer"]
    await expect_problem(await issue(client, issue_token, credential), 422, "invalidIssuer")


async def test_issue_breaking_the_data_model_is_422_with_every_error(client: TestClient, issue_token: str) -> None:
    credential = badge(NODE_DID)
    del credential["credentialSubject"]
    problem = await expect_problem(await issue(client, issue_token, credential), 422, "invalidCredential")
    assert isinstance(problem["errors"], list) and problem["errors"]
    assert all({"code", "message", "check"} <= set(error) for error in problem["errors"])


async def test_issue_with_an_open_badges_violation_is_422(client: TestClient, issue_token: str) -> None:
    credential = badge(NODE_DID)
    credential["credentialSubject"]["type"] = ["Learner"]
    problem = await expect_problem(await issue(client, issue_token, credential), 422, "invalidCredential")
    assert problem["errors"][0]["code"] == "invalidAchievementSubject"


async def test_issue_with_an_undefined_term_is_422(client: TestClient, issue_token: str) -> None:
    credential = badge(NODE_DID)
    credential["credentialSubject"]["favouriteColour"] = "teal"
    problem = await expect_problem(await issue(client, issue_token, credential), 422, "undefinedTerm")
    assert "favouriteColour" in problem["detail"]


@pytest.mark.parametrize("options", [{"cryptosuite": "ecdsa-sd-2022"}, {"cryptosuite": "Ed25519Signature2020"},
                                     {"type": "JsonWebSignature2020"}, {"type": "eddsa-rdfc-2022"},
                                     {"cryptosuite": 7}, {"type": ["Ed25519Signature2020"]}])
async def test_issue_with_an_unknown_suite_is_400(client: TestClient, issue_token: str,
                                                  options: dict[str, Any]) -> None:
    await expect_problem(await issue(client, issue_token, badge(NODE_DID), options), 400, "invalidInput")


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019", "ecdsa-sd-2023"])
async def test_issue_with_a_p256_suite_from_an_ed25519_issuer_is_400(client: TestClient, issue_token: str,
                                                                      suite: str) -> None:
    await expect_problem(await issue(client, issue_token, badge(NODE_DID), {"cryptosuite": suite}), 400,
                         "keyTypeMismatch")


@pytest.mark.parametrize("options", ["eddsa-jcs-2022", 1, ["x"], True])
async def test_issue_with_options_not_an_object_is_400(client: TestClient, issue_token: str, options: Any) -> None:
    await expect_problem(await issue(client, issue_token, badge(NODE_DID), options), 400, "badRequest")


@pytest.mark.parametrize("raw", [b"", b"{", b"{'credential': {}}", b"\xff\xfe", b"NaN", b'{"credential": {}} x'])
async def test_issue_with_a_body_that_is_not_json_is_400(client: TestClient, issue_token: str, raw: bytes) -> None:
    response = await client.post("/credentials/issue", data=raw,
                                 headers={**bearer(issue_token), "Content-Type": JSON})
    await expect_problem(response, 400, "badRequest")


@pytest.mark.parametrize("value", [[], [{"credential": {}}], "credential", 1, None])
async def test_issue_with_a_body_that_is_not_an_object_is_400(client: TestClient, issue_token: str,
                                                              value: Any) -> None:
    response = await client.post("/credentials/issue", data=orjson.dumps(value),
                                 headers={**bearer(issue_token), "Content-Type": JSON})
    problem = await expect_problem(response, 400, "badRequest")
    assert "object" in problem["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          "multipart/form-data; boundary=x"])
async def test_issue_with_the_wrong_content_type_is_415(client: TestClient, issue_token: str,
                                                        content_type: str) -> None:
    response = await client.post("/credentials/issue", data=orjson.dumps({"credential": badge(NODE_DID)}),
                                 headers={**bearer(issue_token), "Content-Type": content_type})
    await expect_problem(response, 415, "unsupportedMediaType")


async def test_issue_accepts_a_json_suffix_media_type(client: TestClient, issue_token: str) -> None:
    response = await client.post("/credentials/issue", data=orjson.dumps({"credential": badge(NODE_DID)}),
                                 headers={**bearer(issue_token), "Content-Type": "application/ld+json"})
    await expect_json(response, 201)


async def test_issue_with_a_body_over_1_mib_is_413(client: TestClient, issue_token: str) -> None:
    credential = badge(NODE_DID)
    credential["description"] = "x" * (1024 * 1024 + 1)
    await expect_problem(await issue(client, issue_token, credential), 413, "requestTooLarge")


async def test_issue_with_json_nested_deeper_than_64_is_400(client: TestClient, issue_token: str) -> None:
    deep: Any = "bottom"
    for _ in range(70):
        deep = {"a": deep}
    credential = badge(NODE_DID)
    credential["credentialSubject"]["nested"] = deep
    problem = await expect_problem(await issue(client, issue_token, credential), 400, "badRequest")
    assert "64" in problem["detail"]
    # Nesting far beyond what a recursive parser survives is still a 400.
    raw = b'{"credential": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post("/credentials/issue", data=raw, headers={**bearer(issue_token), "Content-Type": JSON})
    await expect_problem(response, 400, "badRequest")


@pytest.mark.parametrize("body", [{}, {"options": {}}, {"credential": None}, {"credential": "urn:x"},
                                  {"credential": [badge(NODE_DID)]}, {"verifiableCredential": badge(NODE_DID)}])
async def test_issue_without_a_credential_object_is_400(client: TestClient, issue_token: str,
                                                        body: dict[str, Any]) -> None:
    response = await client.post("/credentials/issue", json=body, headers=bearer(issue_token))
    problem = await expect_problem(response, 400, "badRequest")
    assert "credential" in problem["detail"]


async def test_authorization_is_checked_before_the_body(client: TestClient) -> None:
    response = await client.post("/credentials/issue", data=b"not json", headers={"Content-Type": "text/plain"})
    await expect_problem(response, 401, "unauthorized")


# --- fetching issued credentials ----------------------------------------------------------------------------


async def test_get_an_issued_credential(client: TestClient, web_node: Node, issue_token: str) -> None:
    credential_id = "urn:uuid:0b6a2f7e-3c1d-4e5f-8a9b-c0d1e2f3a4b5"
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID, credential_id)), 201))[
        "verifiableCredential"]
    path = "/credentials/" + quote(credential_id, safe="")
    assert await expect_json(await client.get(path, headers=bearer(issue_token)), 200) == signed
    _, read_token = await web_node.tokens.create(["read"])
    assert await expect_json(await client.get(path, headers=bearer(read_token)), 200) == signed
    # An https id with slashes, query-like and fragment-like characters survives the round trip.
    url_id = "https://example.edu/credentials/3732?x=1&y=%20#frag"
    await expect_json(await issue(client, issue_token, badge(NODE_DID, url_id)), 201)
    fetched = await expect_json(await client.get("/credentials/" + quote(url_id, safe=""),
                                                 headers=bearer(issue_token)), 200)
    assert fetched["id"] == url_id


async def test_a_credential_without_an_id_is_stored_under_the_location_returned(client: TestClient,
                                                                                 issue_token: str) -> None:
    credential = badge(NODE_DID)
    credential.pop("id", None)
    response = await issue(client, issue_token, credential)
    signed = (await expect_json(response, 201))["verifiableCredential"]
    assert "id" not in signed and response.headers["Location"].startswith("/credentials/urn:uuid:")
    assert await expect_json(await client.get(response.headers["Location"], headers=bearer(issue_token)), 200) == signed


async def test_get_an_unknown_credential_is_404(client: TestClient, issue_token: str) -> None:
    path = "/credentials/" + quote("urn:uuid:00000000-0000-0000-0000-000000000000", safe="")
    await expect_problem(await client.get(path, headers=bearer(issue_token)), 404, "notFound")


async def test_get_a_credential_needs_a_token(client: TestClient, web_node: Node, issue_token: str) -> None:
    credential_id = "urn:uuid:9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a"
    await expect_json(await issue(client, issue_token, badge(NODE_DID, credential_id)), 201)
    path = "/credentials/" + quote(credential_id, safe="")
    await expect_problem(await client.get(path), 401, "unauthorized")
    await expect_problem(await client.get(path, headers=bearer("vcn_nope")), 401, "unauthorized")
    _, status_token = await web_node.tokens.create(["status"])
    await expect_problem(await client.get(path, headers=bearer(status_token)), 403, "forbidden")


# --- presentations ------------------------------------------------------------------------------------------


def awarded_to(holder: SigningKey, credential_id: str = "urn:uuid:2f1a3c1e-5b8e-4c4f-9b0a-7f1e2d3c4b5a"
               ) -> dict[str, Any]:
    """A badge of the node whose subject is ``holder``'s DID."""
    credential = badge(NODE_DID, credential_id)
    credential["credentialSubject"]["id"] = holder.verification_method.split("#")[0]
    return credential


async def test_verify_a_presentation_with_challenge_and_domain(client: TestClient, issue_token: str) -> None:
    holder = did_key_signer()
    signed = (await expect_json(await issue(client, issue_token, awarded_to(holder)), 201))["verifiableCredential"]
    presentation = create_presentation([signed], holder, challenge="abc", domain="employer.example")

    body = {"verifiablePresentation": presentation, "options": {"challenge": "abc", "domain": "employer.example"}}
    report = await expect_json(await client.post("/presentations/verify", json=body), 200)
    assert report["verified"] is True and report["errors"] == []
    assert "proof" in report["checks"] and "credentials" in report["checks"]
    assert report["results"]["credentials"]["credentials"][0]["verified"] is True
    binding = report["results"]["credentials"]["credentials"][0]["results"]["holderBinding"]
    assert binding["verified"] is True and binding["outcome"] == "passed"
    assert binding["subject"] == binding["holder"] == presentation["holder"]

    body["options"] = {"challenge": "wrong", "domain": "employer.example"}
    problem = await expect_problem(await client.post("/presentations/verify", json=body), 400, "challengeMismatch")
    assert problem["verified"] is False and problem["errors"][0]["code"] == "challengeMismatch"

    body["options"] = {"challenge": "abc", "domain": "other.example"}
    problem = await expect_problem(await client.post("/presentations/verify", json=body), 400)
    assert problem["verified"] is False

    body["options"] = {"challenge": 5}
    await expect_problem(await client.post("/presentations/verify", json=body), 400, "invalidInput")


async def test_a_presentation_of_someone_elses_credential_fails(client: TestClient, issue_token: str) -> None:
    """The attack of issue 12: a holder presents a badge whose subject is another DID. Verified before, with
    no warning; now the credential's holder binding fails and so does the presentation."""
    learner, impostor = did_key_signer(), did_key_signer()
    badge_of_learner = (await expect_json(await issue(client, issue_token, awarded_to(learner)), 201))[
        "verifiableCredential"]
    stolen = create_presentation([badge_of_learner], impostor, challenge="abc", domain="employer.example")
    body = {"verifiablePresentation": stolen, "options": {"challenge": "abc", "domain": "employer.example"}}
    problem = await expect_problem(await client.post("/presentations/verify", json=body), 400, "holderMismatch")
    assert problem["verified"] is False and problem["errors"][0]["path"] == "verifiableCredential[0]"
    [sub] = problem["results"]["credentials"]["credentials"]
    assert sub["verified"] is False and [e["code"] for e in sub["errors"]] == ["holderMismatch"]
    assert sub["results"]["proof"]["verified"] is True  # the credential itself is genuine
    binding = sub["results"]["holderBinding"]
    assert binding["outcome"] == "failed" and binding["holder"] == stolen["holder"]
    assert binding["subjects"] == [badge_of_learner["credentialSubject"]["id"]]
    # A verifier that accepts credentials presented by others says so; the mismatch is then a warning.
    body["options"]["holderBinding"] = "allowMismatch"
    report = await expect_json(await client.post("/presentations/verify", json=body), 200)
    [sub] = report["results"]["credentials"]["credentials"]
    assert sub["verified"] is True and sub["results"]["holderBinding"]["allowed"] is True
    assert [w["code"] for w in sub["warnings"]] == ["holderMismatch"]
    body["options"]["holderBinding"] = "ignore"
    await expect_problem(await client.post("/presentations/verify", json=body), 400, "invalidInput")


async def test_a_node_may_allow_holder_mismatches_by_default(tmp_path: Path, node_env: dict[str, str]) -> None:
    """``holder_binding = "allowMismatch"`` (an operator's explicit choice) is the default for requests that
    do not say; a request asking for ``required`` still gets it."""
    config = load_config(tmp_path / "lenient", environ={**node_env, "VCNODE_HOLDER_BINDING": "allowMismatch"},
                         overrides={"domain": "example.edu"})
    node = await initialise(config, did_method="web", environ=node_env)
    try:
        server = TestServer(build_app(node), host="127.0.0.1")
        async with TestClient(server) as lenient:
            _, token = await node.tokens.create(["issue"])
            learner, impostor = did_key_signer(), did_key_signer()
            signed = (await expect_json(await issue(lenient, token, awarded_to(learner)), 201))["verifiableCredential"]
            stolen = create_presentation([signed], impostor, challenge="abc")
            body: dict[str, Any] = {"verifiablePresentation": stolen, "options": {"challenge": "abc"}}
            report = await expect_json(await lenient.post("/presentations/verify", json=body), 200)
            assert report["results"]["credentials"]["credentials"][0]["warnings"][0]["code"] == "holderMismatch"
            body["options"]["holderBinding"] = "required"
            await expect_problem(await lenient.post("/presentations/verify", json=body), 400, "holderMismatch")
    finally:
        await node.close()


async def test_an_unsigned_presentation_cannot_bind_its_holder(client: TestClient, issue_token: str) -> None:
    """Naming the subject as holder proves nothing without the holder's proof: anyone can copy the badge."""
    learner = did_key_signer()
    signed = (await expect_json(await issue(client, issue_token, awarded_to(learner)), 201))["verifiableCredential"]
    copied = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
              "holder": signed["credentialSubject"]["id"], "verifiableCredential": [signed]}
    problem = await expect_problem(await client.post("/presentations/verify", json={"verifiablePresentation": copied}),
                                   400, "holderNotProven")
    assert problem["results"]["credentials"]["credentials"][0]["results"]["holderBinding"]["outcome"] == "failed"
    # A credential whose subject has no id is not bound to anyone: the check does not apply.
    anonymous = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                 "id": "urn:uuid:2f1a3c1e-5b8e-4c4f-9b0a-7f1e2d3c4b5b", "issuer": NODE_DID,
                 "credentialSubject": {"name": "whoever holds this ticket"}}
    signed = (await expect_json(await issue(client, issue_token, anonymous), 201))["verifiableCredential"]
    report = await expect_json(await client.post("/presentations/verify", json={"verifiablePresentation": {
        **copied, "verifiableCredential": [signed]}}), 200)
    binding = report["results"]["credentials"]["credentials"][0]["results"]["holderBinding"]
    assert binding["checked"] is False and binding["outcome"] == "notApplicable"
    assert "holderBinding" not in report["results"]["credentials"]["credentials"][0]["checks"]


async def test_presentation_with_a_tampered_credential_fails(client: TestClient, issue_token: str) -> None:
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID)), 201))["verifiableCredential"]
    signed["name"] = "Something else"
    presentation = create_presentation([signed], did_key_signer(), challenge="abc", domain="employer.example")
    body = {"verifiablePresentation": presentation, "options": {"challenge": "abc", "domain": "employer.example"}}
    problem = await expect_problem(await client.post("/presentations/verify", json=body), 400,
                                   "credentialNotVerified")
    assert problem["verified"] is False


@pytest.mark.parametrize("body", [{}, {"options": {"challenge": "abc"}}, {"verifiableCredential": {}}])
async def test_verify_presentation_without_a_presentation_is_400(client: TestClient, body: dict[str, Any]) -> None:
    problem = await expect_problem(await client.post("/presentations/verify", json=body), 400, "badRequest")
    assert "verifiablePresentation" in problem["detail"]


# --- junk -----------------------------------------------------------------------------------------------------


JUNK = [None, 42, "x", [], {}, True, 1.5, [None], {"@context": 5}, {"@context": ["x"], "type": 1},
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "proof": 7},
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
         "issuer": NODE_DID, "credentialSubject": {"id": "did:example:1"}, "proof": {"type": "DataIntegrityProof",
                                                                                    "cryptosuite": [],
                                                                                    "proofValue": 5}}]


@pytest.mark.parametrize("junk", JUNK)
async def test_verify_junk_credentials_is_400(client: TestClient, junk: Any) -> None:
    response = await client.post("/credentials/verify", json={"verifiableCredential": junk})
    problem = await expect_problem(response, 400)
    assert problem["verified"] is False and problem["errors"]


@pytest.mark.parametrize("junk", JUNK)
async def test_verify_junk_presentations_is_400(client: TestClient, junk: Any) -> None:
    response = await client.post("/presentations/verify", json={"verifiablePresentation": junk})
    problem = await expect_problem(response, 400)
    assert problem["verified"] is False and problem["errors"]


async def test_presentation_with_a_holder_that_is_not_a_string_is_400(client: TestClient, issue_token: str) -> None:
    """Regression: a non-string holder reached the proof check as its controller and crashed it (500)."""
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID)), 201))["verifiableCredential"]
    presentation = create_presentation([signed], did_key_signer(), challenge="abc")
    for holder in (False, 5, {"id": 7}, ["did:example:1"]):
        body = {"verifiablePresentation": {**presentation, "holder": holder}, "options": {"challenge": "abc"}}
        problem = await expect_problem(await client.post("/presentations/verify", json=body), 400)
        assert problem["verified"] is False
        assert "invalidHolder" in [error["code"] for error in problem["errors"]]


@pytest.mark.parametrize("context", ["", "#", None, 5, [""], {"@base": ""}])
async def test_verify_malformed_embedded_context_is_400(client: TestClient, issue_token: str, context: Any) -> None:
    """Regression (found by the fuzz test): an embedded ``{"@context": ""}`` made pyld raise ValueError (500)."""
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID)), 201))["verifiableCredential"]
    signed["name"] = {"@context": context}
    problem = await expect_problem(await client.post("/credentials/verify", json={"verifiableCredential": signed}),
                                   400)
    assert problem["verified"] is False


@pytest.mark.parametrize("proof_type", [["DataIntegrityProof"], {"id": "x"}])
async def test_verify_a_proof_whose_type_is_not_a_string_is_400(client: TestClient, issue_token: str,
                                                                 proof_type: Any) -> None:
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID)), 201))["verifiableCredential"]
    signed["proof"][0]["type"] = proof_type
    response = await client.post("/credentials/verify", json={"verifiableCredential": signed})
    problem = await expect_problem(response, 400, "unknownProofType")
    assert problem["verified"] is False


@pytest.mark.parametrize("previous", [[{"id": "urn:a"}], {"id": "urn:a"}, [["urn:a"]]])
async def test_verify_a_previous_proof_that_is_not_a_string_is_400(client: TestClient, issue_token: str,
                                                                   previous: Any) -> None:
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID)), 201))["verifiableCredential"]
    [proof] = signed["proof"]
    signed["proof"] = [{**proof, "id": "urn:a"}, {**proof, "previousProof": previous}]
    response = await client.post("/credentials/verify", json={"verifiableCredential": signed})
    problem = await expect_problem(response, 400)
    assert problem["verified"] is False


@pytest.mark.parametrize(("path", "body"), [
    ("/credentials/verify", {}),
    ("/credentials/verify", {"credential": {}}),
    ("/credentials/verify", {"verifiableCredential": {}, "options": []}),
    ("/credentials/verify", {"verifiableCredential": {}, "options": {"domain": 1}}),
    ("/presentations/verify", {"verifiablePresentation": {}, "options": "abc"}),
])
async def test_verify_request_errors_are_400(client: TestClient, path: str, body: dict[str, Any]) -> None:
    await expect_problem(await client.post(path, json=body), 400)


@pytest.mark.parametrize("path", ["/credentials/verify", "/presentations/verify"])
async def test_verify_body_errors(client: TestClient, path: str) -> None:
    await expect_problem(await client.post(path, data=b"{", headers={"Content-Type": JSON}), 400, "badRequest")
    await expect_problem(await client.post(path, data=b"[]", headers={"Content-Type": JSON}), 400, "badRequest")
    await expect_problem(await client.post(path, data=b"{}", headers={"Content-Type": "text/plain"}), 415,
                         "unsupportedMediaType")
    await expect_problem(await client.post(path, data=b"{}"), 415, "unsupportedMediaType")
    big = b'{"verifiableCredential": "' + b"x" * (1024 * 1024) + b'"}'
    await expect_problem(await client.post(path, data=big, headers={"Content-Type": JSON}), 413, "requestTooLarge")
    # GET /credentials/{id} does not claim /credentials/verify: it is POST only, like /presentations/verify
    response = await client.get(path)
    await expect_problem(response, 405, "methodNotAllowed")
    assert response.headers["Allow"] == "POST"


async def test_get_credential_respects_scope_identity_and_case_insensitive_scheme(client: TestClient,
                                                                                  web_node: Any,
                                                                                  issue_token: str) -> None:
    signed = (await expect_json(await issue(client, issue_token, badge(NODE_DID)), 201))["verifiableCredential"]
    path = "/credentials/" + quote(signed["id"], safe="")
    _, reader = await web_node.tokens.create(["read"])
    assert (await client.get(path, headers={"Authorization": f"bearer {reader}"})).status == 200
    _, status_only = await web_node.tokens.create(["status"])
    assert (await client.get(path, headers=bearer(status_only))).status == 403
    other = await web_node.identities.create("key", name="other-provider")
    _, restricted = await web_node.tokens.create(["read"], identity=other.did)
    assert (await client.get(path, headers=bearer(restricted))).status == 404  # as if it did not exist
