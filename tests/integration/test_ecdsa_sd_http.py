"""ecdsa-sd-2023 over the VC API and the command line: a P-256 identity issues base proofs with
``options.mandatoryPointers``, the holder derives (``/credentials/derive``, ``vcnode derive``),
``/credentials/verify`` accepts the derived credential and refuses a base proof, a tampered disclosure and a
malformed proof value with named 400 problems (never a 5xx)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.cluster import fresh_node
from tests.integration.test_cli import assert_one_line_error, run
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
    [base] = issued["proof"]  # an Open Badges credential: proof as an array, as 1EdTech's schema wants
    assert base["cryptosuite"] == "ecdsa-sd-2023"
    assert parse_base_proof_value(base["proofValue"]).mandatory_pointers == options["mandatoryPointers"]

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


async def test_the_holder_derives_over_http_and_bad_requests_are_named(client: TestClient, web_node: Node) -> None:
    """``POST /credentials/derive`` (the VC API holder's endpoint the vc-di-ecdsa suite drives): the derived
    credential itself, 201; named 4xx problems for what cannot be derived."""
    identity = await web_node.identities.create("key", name="sd", key_type="P-256")
    _, token = await web_node.tokens.create(["issue"], identity=identity.did)
    issued = (await expect_json(await issue(client, token, badge(identity.did), {"cryptosuite": "ecdsa-sd-2023"}),
                                201))["verifiableCredential"]

    async def derive(body: object) -> object:
        return await client.post("/credentials/derive", json=body)

    derived = await expect_json(await derive({"verifiableCredential": issued,
                                              "options": {"selectivePointers": ["/credentialSubject/achievement"]}}),
                                201)
    assert derived == derive_credential(issued, ["/credentialSubject/achievement"])
    report = await expect_json(await client.post("/credentials/verify", json={"verifiableCredential": derived}), 200)
    assert report["verified"] is True, report["errors"]
    for body, status, code in (
            ({"verifiableCredential": issued, "options": {"selectivePointers": ["/credentialSubject/grade"]}},
             400, "pointerSelectsNothing"),
            ({"verifiableCredential": derived, "options": {"selectivePointers": []}}, 400, "noBaseProof"),
            ({"verifiableCredential": issued, "options": {"selectivePointers": "/name"}}, 400, "badRequest"),
            ({"verifiableCredential": "nope"}, 400, "badRequest"),
            ({"verifiableCredential": {**issued, "@context": ["https://unknown.example/v1"]}}, 422, "unknownContext"),
            ({"verifiableCredential": {**issued, "proof": [{**issued["proof"][0], "proofValue": "u2V0A_w"}]}}, 422,
             "malformedProofValue")):
        await expect_problem(await derive(body), status, code)


def test_issue_with_the_suite_derive_and_verify_from_the_command_line(tmp_path: Path) -> None:
    """`vcnode issue --suite ecdsa-sd-2023` makes a base proof (default mandatory pointers), `vcnode derive`
    reveals chosen fields with no node, `vcnode verify` accepts the derived credential and refuses the base."""
    home = tmp_path / "node"
    fresh_node(home)
    created = run(home, "identity", "create", "--did-method", "key", "--key-type", "p256", "--name", "sd")
    assert created.returncode == 0, created.stderr
    did = created.stdout.strip()
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://example.org/vocab#"}],
                  "type": ["VerifiableCredential"], "issuer": did, "validFrom": "2026-01-01T00:00:00Z",
                  "credentialSubject": {"id": "did:example:learner", "achievement": "Data Analytics", "grade": "B+"}}
    (tmp_path / "c.json").write_text(json.dumps(credential))
    base, derived = tmp_path / "base.json", tmp_path / "derived.json"
    issued = run(home, "issue", str(tmp_path / "c.json"), "--suite", "ecdsa-sd-2023", "--out", str(base))
    assert issued.returncode == 0, issued.stderr
    proof = json.loads(base.read_text())["proof"]
    assert parse_base_proof_value(proof["proofValue"]).mandatory_pointers == ["/issuer", "/validFrom"]
    done = run(tmp_path / "no-node", "derive", str(base), "--reveal", "/credentialSubject/achievement", "--out",
               str(derived))
    assert done.returncode == 0, done.stderr
    subject = json.loads(derived.read_text())["credentialSubject"]
    assert subject == {"id": "did:example:learner", "achievement": "Data Analytics"}
    verified = run(home, "verify", str(derived), "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["verified"], verified.stdout
    refused = run(home, "verify", str(base), "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["errors"][0]["code"] == "baseProofNotVerifiable"
    assert_one_line_error(run(tmp_path / "no-node", "derive", str(base), "--reveal", "/credentialSubject/email"),
                          "selects nothing")
