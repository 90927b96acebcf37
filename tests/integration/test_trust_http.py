"""Trust over one node's HTTP API: a node that is both a regulator (its default identity, and its own trust
anchor) and a provider (a second identity) publishes an accreditation and verifies its own badge with
recognition; the node default turns recognition on; the trust routes answer as documented."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient

from vcnode.node import Node
from vcnode.trust.examples import example_badge, example_documents

ACCREDITATION = "https://vcnode.dev/examples/statements/accreditation-hk"


async def _set_up(node: Node, client: TestClient) -> tuple[str, str, str]:
    regulator = node.identities.default_did or ""
    provider = (await node.identities.create("key", name="provider")).did
    node.trust.settings = replace(node.trust.settings, anchors=(regulator,))
    _, token = await node.tokens.create(["issue"])
    documents = example_documents({"hk-regulator": regulator, "hk-provider": provider}, ("frameworks",
                                                                                          "accreditations"))
    for document in documents:
        response = await client.post("/trust/statements", json={"statement": document},
                                     headers={"Authorization": f"Bearer {token}"})
        assert response.status == 201, await response.text()
        assert response.headers["Location"].startswith("/trust/statements/")
    return regulator, provider, token


async def test_a_node_recognises_a_badge_of_a_provider_it_accredits(web_node: Node, client: TestClient) -> None:
    regulator, provider, token = await _set_up(web_node, client)
    unsigned = example_badge("hk-cloud-data", issuer=provider, learner_id="did:example:learner",
                             credential_id="urn:uuid:7a1e0000-0000-4000-8000-000000000001")
    response = await client.post("/credentials/issue", json={"credential": unsigned},
                                 headers={"Authorization": f"Bearer {token}"})
    badge = (await response.json())["verifiableCredential"]
    response = await client.post("/credentials/verify", json={"verifiableCredential": badge,
                                                              "options": {"recognition": True}})
    body = await response.json()
    assert response.status == 200 and body["verified"] is True
    recognition = body["recognition"]
    assert recognition["recognised"] is True, recognition
    [hop] = recognition["path"]["hops"]
    assert hop["statement"] == ACCREDITATION and hop["evidence"]["source"] == "self"
    assert hop["evidence"]["statusCheck"]["source"] == "self"
    assert recognition["equivalent"]["frameworkCode"] == "HKQF" and recognition["equivalent"]["level"] == "4"

    # The node default: recognition on every verification, unless a request says false.
    web_node.config.recognition_default = True
    body = await (await client.post("/credentials/verify", json={"verifiableCredential": badge})).json()
    assert body["recognition"]["recognised"] is True
    body = await (await client.post("/credentials/verify", json={"verifiableCredential": badge,
                                                                 "options": {"recognition": False}})).json()
    assert "recognition" not in body

    # A tampered badge: not verified (400), and recognition is still reported beside it, separately.
    tampered = {**badge, "name": "Something else"}
    response = await client.post("/credentials/verify", json={"verifiableCredential": tampered})
    body = await response.json()
    assert response.status == 400 and body["code"] == "invalidSignature"
    assert body["recognition"]["issuer"] == provider

    # The routes: the statements held, one by its short id, the anchors.
    statements = (await (await client.get("/trust/statements")).json())["statements"]
    assert {s["id"] for s in statements} >= {ACCREDITATION}
    held = next(s for s in statements if s["id"] == ACCREDITATION)
    assert held["issuer"] == regulator and held["proof"] == "verified"
    signed = await (await client.get("/trust/statements/" + ACCREDITATION)).json()
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    anchors = await (await client.get("/trust/anchors")).json()
    assert anchors["anchors"] == [regulator] and anchors["recognitionDefault"] is True


async def test_publishing_refuses_what_it_cannot_state(web_node: Node, client: TestClient) -> None:
    _, provider, token = await _set_up(web_node, client)
    headers = {"Authorization": f"Bearer {token}"}
    [document] = example_documents({"hk-regulator": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                                    "hk-provider": provider}, ("accreditations",))
    response = await client.post("/trust/statements", json={"statement": document}, headers=headers)
    body = await response.json()
    assert response.status == 422 and body["code"] == "unknownIssuer", body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    document["issuer"] = web_node.identities.default_did
    del document["credentialSubject"]["scope"]["framework"]  # maxLevel without a framework
    response = await client.post("/trust/statements", json={"statement": document}, headers=headers)
    body = await response.json()
    assert response.status == 422 and body["code"] == "invalidStatement", body
    response = await client.post("/trust/statements", json={"statement": {**document, "proof": {}}}, headers=headers)
    assert response.status == 400
    response = await client.post("/trust/statements", json={"statement": []}, headers=headers)
    assert response.status == 400
    response = await client.post("/trust/statements", json={"statement": document})
    assert response.status == 401


async def test_a_crash_between_signing_and_anchoring_is_finished_on_the_next_start(
        web_node: Node, node_env: dict[str, str]) -> None:
    [document] = example_documents({"hk-regulator": web_node.identities.default_did or "",
                                    "hk-provider": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
                                   ("accreditations",))

    async def crash(*_: object) -> None:
        raise KeyboardInterrupt  # the process stops here: signed and stored, not anchored

    anchor = web_node.anchors.publish_trust_statement
    web_node.anchors.publish_trust_statement = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        await web_node.publish_statement(document)
    web_node.anchors.publish_trust_statement = anchor  # type: ignore[method-assign]
    assert await web_node.anchors.store.list_anchor(ACCREDITATION) is None
    await web_node.close()
    reopened = await Node.open(web_node.config, environ=node_env)
    try:
        await reopened.trust.ready()
        signed = reopened.trust.document(ACCREDITATION)
        assert signed is not None and signed == await reopened.credentials.get(ACCREDITATION)
        assert (await reopened.anchors.store.list_anchor(ACCREDITATION)).version == 1
        await reopened.trust.ready()  # done once: nothing is anchored twice
        assert len(await reopened.anchors.store.entries(reopened.identities.default_did, 1, 100)) == 1
    finally:
        await reopened.close()
