"""The desk's trust page over HTTP, as a logged-in browser sends it: an accreditation published from the form is
signed, anchored, listed with its checks in words and served by the trust API; withdrawn with a reason, it is
listed as withdrawn, the reason is in the audit log and recognition stops; a recognition agreement carries its
level map; wrong fields are named; scopes (``issue`` to publish, ``status`` to withdraw) and identities hold."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

from aiohttp.test_utils import TestClient

from tests.integration.test_desk_batches import Desk, client_desk
from vcnode.node import Node
from vcnode.trust.examples import example_badge, example_documents

HKQF = "https://vcnode.dev/examples/frameworks/hkqf"


def accreditation_form(desk: Desk, issuer: str, subject: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": desk.csrf, "kind": "accreditation", "issuer": issuer, "issuer_name": "HK Regulator",
            "subject": subject, "subject_name": "Harbour Institute", "framework": "HKQF", "max_level": "4",
            "fields": "Information and Communication Technologies (ISCED-F 06)", "jurisdiction": "hk",
            "valid_until": "2030-12-31", "to_framework": "", "level_map": "", **fields}


def statement_blocks(page: str) -> dict[str, str]:
    """Each listed statement's HTML by its id."""
    return {unescape(match.group(1)): match.group(0) for match in re.finditer(
        r'<article[^>]*data-statement-id="([^"]+)".*?</article>', page, re.S)}


async def test_publish_list_verify_and_withdraw_an_accreditation(client: TestClient, web_node: Node) -> None:
    regulator = web_node.identities.default_did
    provider = (await web_node.identities.create("key", name="provider")).did
    web_node.trust.settings = replace(web_node.trust.settings, anchors=(regulator,))
    _, token = await web_node.tokens.create(["issue", "status"])
    # The framework descriptor is held, so the form may name it by its code.
    [framework] = example_documents({"hk-regulator": regulator}, ("frameworks",))[:1]
    await web_node.publish_statement(framework)

    desk = client_desk(client)
    status, page = await desk.log_in(token, "/desk/trust")
    assert status == 200 and "Publish a statement" in page
    response = await desk.request("POST", "/desk/trust", data=accreditation_form(desk, regulator, provider))
    page = await response.text()
    assert response.status == 200 and "The statement was published" in page, page
    [statement_id] = [key for key, block in statement_blocks(page).items() if "Harbour Institute" in block]
    block = statement_blocks(page)[statement_id]
    assert ">Accreditation<" in block and "HK Regulator accredits Harbour Institute" in block
    assert "HKQF up to level 4" in block and "jurisdictions: HK" in block
    assert 'data-check="proof" data-code="verified"' in block and "Signature verified" in block
    assert 'data-check="status" data-code="valid"' in block and "In force (not withdrawn)" in block
    assert "Published by this node" in block and "anchor log" in block
    assert statement_id.startswith(web_node.config.base_url + "/trust/statements/")
    served = await (await client.get("/trust/statements/" + statement_id.rsplit("/", 1)[1])).json()
    assert served["credentialSubject"]["scope"]["framework"] == HKQF and served["proof"]

    badge = await _issue_badge(web_node, client, provider)
    assert (await _recognition(client, badge))["recognised"] is True

    desk.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = await desk.request("POST", "/desk/trust/withdraw", data={
        "csrf_token": desk.csrf, "statement": statement_id, "reason": "provider closed"})
    page = await response.text()
    assert response.status == 200 and "The statement was withdrawn" in page
    block = statement_blocks(page)[statement_id]
    assert 'data-check="status" data-code="withdrawn"' in block and "Withdrawn by its issuer" in block
    assert "Withdraw this statement" not in block
    [change] = await web_node.store.status_changes(statement_id)
    assert change.reason == "provider closed" and change.actor.startswith("token:")
    recognition = await _recognition(client, badge)
    assert recognition["recognised"] is False


async def _issue_badge(node: Node, client: TestClient, provider: str) -> dict:
    _, token = await node.tokens.create(["issue"])
    unsigned = example_badge("hk-cloud-data", issuer=provider, learner_id="did:example:learner",
                             credential_id="urn:uuid:7a1e0000-0000-4000-8000-0000000000d1")
    response = await client.post("/credentials/issue", json={"credential": unsigned},
                                 headers={"Authorization": f"Bearer {token}"})
    return (await response.json())["verifiableCredential"]


async def _recognition(client: TestClient, badge: dict) -> dict:
    response = await client.post("/credentials/verify", json={"verifiableCredential": badge,
                                                              "options": {"recognition": True}})
    return (await response.json())["recognition"]


async def test_an_agreement_carries_its_level_map_and_wrong_fields_are_named(
        client: TestClient, web_node: Node) -> None:
    regulator = web_node.identities.default_did
    _, token = await web_node.tokens.create(["issue"])
    desk = client_desk(client)
    await desk.log_in(token, "/desk/trust")
    wrong = accreditation_form(desk, regulator, "not a did", framework="", jurisdiction="Hong Kong",
                               valid_until="2001-01-01")
    response = await desk.request("POST", "/desk/trust", data=wrong)
    page = await response.text()
    assert response.status == 422 and "Nothing was published" in page
    for text in ("Enter the DID of the provider or regulator", "Enter the framework",
                 "Use two-letter country or territory codes", "Give a date in the future"):
        assert text in page
    assert web_node.trust.statements() == []
    agreement = accreditation_form(desk, regulator, "did:example:nz-regulator", kind="agreement",
                                   subject_name="NZ Authority", framework=HKQF, max_level="5",
                                   to_framework="https://vcnode.dev/examples/frameworks/nzqcf",
                                   level_map="4 = 6\n5 → 7")
    response = await desk.request("POST", "/desk/trust", data=agreement)
    page = await response.text()
    assert response.status == 200, page
    [block] = statement_blocks(page).values()
    assert ">Recognition agreement<" in block
    assert "HK Regulator recognises the accreditations of NZ Authority" in block
    assert "4 ↔ 6; 5 ↔ 7" in block
    # No withdraw button without the status scope, and withdrawing is refused.
    assert "Withdraw this statement" not in block
    [statement_id] = statement_blocks(page)
    response = await desk.request("POST", "/desk/trust/withdraw", data={"csrf_token": desk.csrf,
                                                                       "statement": statement_id})
    assert response.status == 403


async def test_scopes_and_identities_hold_on_the_trust_page(client: TestClient, web_node: Node) -> None:
    regulator = web_node.identities.default_did
    other = (await web_node.identities.create("key", name="other-regulator")).did
    _, reader = await web_node.tokens.create(["read"])
    _, bound = await web_node.tokens.create(["issue", "status"], identity=other)
    statement = await web_node.publish_statement({
        **example_documents({"hk-regulator": regulator, "hk-provider": "did:example:p"}, ("accreditations",))[0]})

    desk = client_desk(client)
    status, page = await desk.log_in(reader, "/desk/trust")
    assert status == 200 and statement["id"] in page  # reading is open to any desk token
    assert "Publish a statement" not in page and "Withdraw this statement" not in page
    response = await desk.request("POST", "/desk/trust", data=accreditation_form(desk, regulator, "did:example:x"))
    assert response.status == 403

    desk = client_desk(client)
    status, page = await desk.log_in(bound, "/desk/trust")
    assert "Withdraw this statement" not in statement_blocks(page)[statement["id"]]  # another identity's
    response = await desk.request("POST", "/desk/trust/withdraw", data={"csrf_token": desk.csrf,
                                                                       "statement": statement["id"]})
    assert response.status == 404
    response = await desk.request("POST", "/desk/trust", data=accreditation_form(desk, regulator, "did:example:x"))
    assert response.status == 422 and "Choose an identity this token may act for." in await response.text()
    assert [s["id"] for s in web_node.trust.statements()] == [statement["id"]]
