"""What the VC API issuer and verifier suites send under their ``JWT`` tag, over the node's HTTP app: a VCDM 1.1
credential (the verifier suite's has no ``issuanceDate``) issued with the options scripts/conformance_suites.py
registers for that tag, which must come back as a credential object with an embedded proof (``created``,
``verificationMethod``, ``proofValue``, ``proofPurpose``) that verifies, and is refused once any of those is
removed (the verifier suite's negative tests)."""

from __future__ import annotations

import copy
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.integration.test_vcapi import expect_json, issue
from vcnode.node import Node

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import conformance_suites as cs

pytestmark = pytest.mark.integration

# The verifier suite's mock-data/vc.js: VCDM 1.1, no issuanceDate (the issuer suite's validVc.json sends one).
SUITE_VC = {"@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/suites/ed25519-2020/v1"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r"}}


async def _issued(client: TestClient, web_node: Node, credential: dict, status: int = 201,
                  credential_id: str | None = None) -> dict:
    did = web_node.identities.list()[0].did
    _, token = await web_node.tokens.create(["issue"], identity=did)
    body = {**copy.deepcopy(credential), "id": credential_id or f"urn:uuid:{uuid.uuid4()}", "issuer": did}
    return (await expect_json(await issue(client, token, body, cs.JWT_OPTIONS), status))["verifiableCredential"]


async def test_a_vcdm_1_1_credential_without_issuance_date_is_dated_by_the_issuer(client: TestClient,
                                                                                   web_node: Node) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    issued = await _issued(client, web_node, SUITE_VC, credential_id=credential_id)
    dated = datetime.fromisoformat(issued["issuanceDate"])
    # a retry of the same request is the same credential (the date is the issuer's, not the request's)
    retried = await _issued(client, web_node, SUITE_VC, status=200, credential_id=credential_id)
    assert retried == issued
    assert before - timedelta(seconds=1) <= dated <= datetime.now(UTC) + timedelta(seconds=1)
    # one that names its own issuanceDate keeps it; a VC 2.0 credential gets no validFrom it did not ask for
    own = await _issued(client, web_node, {**SUITE_VC, "issuanceDate": "2020-01-01T00:00:00Z"})
    assert own["issuanceDate"] == "2020-01-01T00:00:00Z"
    v2 = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
          "credentialSubject": SUITE_VC["credentialSubject"]}
    assert "validFrom" not in await _issued(client, web_node, v2)


async def test_the_jwt_tag_issues_an_embedded_proof_the_verifier_checks_whole(client: TestClient,
                                                                               web_node: Node) -> None:
    issued = await _issued(client, web_node, SUITE_VC)
    proof = issued["proof"]
    assert isinstance(proof, dict) and {"type", "created", "verificationMethod", "proofValue",
                                        "proofPurpose"} <= set(proof)

    async def verify(document: dict) -> object:
        return await client.post("/credentials/verify",
                                 json={"verifiableCredential": document, "options": {"checks": ["proof"]}})

    assert (await verify(issued)).status == 200
    for member in ("type", "created", "verificationMethod", "proofValue", "proofPurpose"):
        broken = copy.deepcopy(issued)
        del broken["proof"][member]
        assert (await verify(broken)).status in (400, 422), member
