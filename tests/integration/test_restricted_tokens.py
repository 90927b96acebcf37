"""A token bound to one identity, used the way an outsider holding it would (issue #11, items 3 and 12): it
signs nothing as another identity of the node, whatever form ``issuer`` takes, and no route that takes an id
tells it which ids exist (another identity's credential answers exactly like a missing one)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.integration.test_vcapi import bearer, expect_problem
from vcnode.node import Node
from vcnode.trust.examples import example_documents

FOREIGN = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
MISSING = "urn:uuid:00000000-0000-4000-8000-00000000dead"
STATUS_CHANGE = {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
                 "status": True}


def accreditation(regulator: Any, provider: str) -> dict[str, Any]:
    [document] = example_documents({"hk-regulator": FOREIGN, "hk-provider": provider}, ("accreditations",))
    document["issuer"] = regulator
    return document


async def test_a_statement_is_signed_only_by_the_identity_the_token_may_use(web_node: Node,
                                                                           client: TestClient) -> None:
    default = web_node.identities.default_did or ""
    other = (await web_node.identities.create("key", name="faculty")).did
    _, token = await web_node.tokens.create(["issue"], identity=default)
    await web_node.trust.ready()
    held_before = {s["id"] for s in (await (await client.get("/trust/statements")).json())["statements"]}

    for issuer in ({"id": other, "name": "Faculty of Law"}, {"id": other}, other):
        document = accreditation(issuer, provider="did:example:provider")
        response = await client.post("/trust/statements", json={"statement": document}, headers=bearer(token))
        problem = await expect_problem(response, 403, "forbidden")
        assert default in problem["detail"]
    held = {s["id"] for s in (await (await client.get("/trust/statements")).json())["statements"]}
    assert held == held_before  # nothing was signed, anchored or replicated as the other identity
    assert await web_node.anchors.store.head(other) is None

    # The identity the token may use still publishes, in either form of issuer.
    document = accreditation({"id": default, "name": "Regulator"}, provider="did:example:provider")
    response = await client.post("/trust/statements", json={"statement": document}, headers=bearer(token))
    assert response.status == 201, await response.text()
    signed = (await response.json())["verifiableCredential"]
    assert signed["proof"]["verificationMethod"].startswith(default + "#")


async def test_a_restricted_token_cannot_tell_which_credentials_exist(web_node: Node, client: TestClient) -> None:
    default = web_node.identities.default_did or ""
    other = (await web_node.identities.create("key", name="faculty")).did
    _, issuer_token = await web_node.tokens.create(["issue"])
    response = await client.post("/credentials/issue", headers=bearer(issuer_token), json={
        "credential": badge(default), "options": {"statusPurpose": "revocation"}})
    assert response.status == 201, await response.text()
    existing = (await response.json())["verifiableCredential"]["id"]
    _, restricted = await web_node.tokens.create(["read", "status"], identity=other)

    def same(a: dict[str, Any], b: dict[str, Any]) -> None:
        """Two problems that differ only in the id they echo."""
        assert a["detail"].replace(existing, MISSING) == b["detail"] and {**a, "detail": ""} == {**b, "detail": ""}

    theirs = await expect_problem(await client.get("/credentials/" + quote(existing, safe=""),
                                                   headers=bearer(restricted)), 404, "notFound")
    missing = await expect_problem(await client.get("/credentials/" + quote(MISSING, safe=""),
                                                    headers=bearer(restricted)), 404, "notFound")
    same(theirs, missing)

    theirs = await expect_problem(await client.post("/credentials/status", headers=bearer(restricted), json={
        "credentialId": existing, **STATUS_CHANGE}), 404, "notFound")
    missing = await expect_problem(await client.post("/credentials/status", headers=bearer(restricted), json={
        "credentialId": MISSING, **STATUS_CHANGE}), 404, "notFound")
    same(theirs, missing)
    assert (await web_node.status.log(existing, 10)) == []  # and the other identity's credential is untouched


async def test_a_restricted_token_is_refused_alike_for_held_and_unknown_issuers(web_node: Node,
                                                                               client: TestClient) -> None:
    default = web_node.identities.default_did or ""
    other = (await web_node.identities.create("key", name="faculty")).did
    _, restricted = await web_node.tokens.create(["issue"], identity=other)

    held = await expect_problem(await client.post("/credentials/issue", headers=bearer(restricted), json={
        "credential": badge(default)}), 403, "forbidden")
    unknown = await expect_problem(await client.post("/credentials/issue", headers=bearer(restricted), json={
        "credential": badge(FOREIGN)}), 403, "forbidden")
    assert held == unknown and default not in unknown["detail"]

    held = await expect_problem(await client.post("/trust/statements", headers=bearer(restricted), json={
        "statement": accreditation({"id": default}, "did:example:p")}), 403, "forbidden")
    unknown = await expect_problem(await client.post("/trust/statements", headers=bearer(restricted), json={
        "statement": accreditation({"id": FOREIGN}, "did:example:p")}), 403, "forbidden")
    assert held == unknown


async def test_a_credential_naming_no_issuer_is_malformed_for_a_restricted_token_too(web_node: Node,
                                                                                     client: TestClient) -> None:
    # The VC API issuer suite sends a credential without `issuer` with a token bound to one identity: that is
    # a malformed request (422), not a forbidden one.
    other = (await web_node.identities.create("key", name="faculty")).did
    _, restricted = await web_node.tokens.create(["issue"], identity=other)
    for issuer in (None, 42, {"name": "no id"}):
        credential = {key: value for key, value in badge(other).items() if key != "issuer"}
        if issuer is not None:
            credential["issuer"] = issuer
        await expect_problem(await client.post("/credentials/issue", headers=bearer(restricted), json={
            "credential": credential}), 422, "invalidIssuer")
