"""ecdsa-sd-2023 over the VC API: a P-256 identity issues base proofs with ``options.mandatoryPointers``, the
holder derives, ``/credentials/verify`` accepts the derived credential and refuses a base proof, a tampered
disclosure and a malformed proof value with named 400 problems (never a 5xx)."""

from __future__ import annotations

import copy

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.integration.test_vcapi import expect_json, expect_problem, issue
from vcnode.credentials.derive import derive_credential
from vcnode.node import Node
from vcnode.proofs.ecdsa_sd_2023 import parse_base_proof_value

pytestmark = pytest.mark.integration


async def test_issue_derive_and_verify_over_http(client: TestClient, web_node: Node) -> None:
    identity = await web_node.identities.create("key", name="sd", key_type="P-256")
    _, token = await web_node.tokens.create(["issue"], identity=identity.did)
    credential = badge(identity.did)
    credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": "B+"}]
    options = {"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": ["/issuer", "/credentialSubject/achievement"]}
    issued = (await expect_json(await issue(client, token, credential, options), 201))["verifiableCredential"]
    assert issued["proof"]["cryptosuite"] == "ecdsa-sd-2023"
    assert parse_base_proof_value(issued["proof"]["proofValue"]).mandatory_pointers == options["mandatoryPointers"]

    async def verify(document: dict) -> object:
        return await client.post("/credentials/verify", json={"verifiableCredential": document})

    derived = derive_credential(issued, ["/name"])
    assert "result" not in derived["credentialSubject"] and derived["credentialSubject"]["achievement"]
    report = await expect_json(await verify(derived), 200)
    assert report["verified"] is True, report["errors"]

    await expect_problem(await verify(issued), 400, "baseProofNotVerifiable")
    tampered = copy.deepcopy(derived)
    tampered["name"] = "Another badge"
    await expect_problem(await verify(tampered), 400, "invalidDisclosure")
    changed = copy.deepcopy(derived)
    changed["credentialSubject"]["achievement"]["name"] = "Advanced Data Privacy"
    await expect_problem(await verify(changed), 400, "invalidSignature")
    malformed = copy.deepcopy(derived)
    malformed["proof"]["proofValue"] = "u2V0B_____w"
    await expect_problem(await verify(malformed), 400, "malformedProofValue")


async def test_mandatory_pointers_that_select_nothing_or_are_not_a_list_are_400(client: TestClient,
                                                                                web_node: Node) -> None:
    identity = await web_node.identities.create("key", name="sd", key_type="P-256")
    _, token = await web_node.tokens.create(["issue"], identity=identity.did)
    response = await issue(client, token, badge(identity.did),
                           {"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": ["/credentialSubject/grade"]})
    await expect_problem(response, 400, "pointerSelectsNothing")
    response = await issue(client, token, badge(identity.did),
                           {"cryptosuite": "ecdsa-sd-2023", "mandatoryPointers": "/issuer"})
    await expect_problem(response, 400)
