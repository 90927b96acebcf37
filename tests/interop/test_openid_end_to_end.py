"""OpenID end to end, between two real nodes on 127.0.0.1: an institution issues the EUDI learning credential
(``dc+sd-jwt``, with a Token Status List entry) to an OpenID wallet over OID4VCI (the Credo protocol layer,
tests/interop/oid4vci.mjs: pre-authorised code with tx_code, ES256 did:jwk holder key); the same wallet presents
it to an employer's ``present`` exchange over OID4VP (tests/interop/oid4vp.mjs: request by reference, the JAR
verified against the employer's did:key, a DCQL query for the EUDI ``vct`` and two claims, only those disclosed,
a KB-JWT, direct_post). The employer reads the institution's Status List Token over HTTP: valid, then, once the
institution revokes the credential (``POST /credentials/status``) and re-publishes, ``revoked``. (Before the
fix this test came with, the OID4VP verifier gave the status check a deadline already past: every SD-JWT VC
whose Status List Token was not cached was ``statusUnavailable``.)"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.harness import run_harness
from tests.interop.test_lcw_exchanges import Served, key_node_templates, served, unsigned_badge
from vcnode.keys.vault import Vault

pytestmark = pytest.mark.interop
__all__ = ["key_node_templates"]

SD_JWT = "EUDILearningCredential_dc+sd-jwt"
LEARNING = "urn:eu.europa.ec.eudi:learning:credential:1"
# The EUDI type and two claims: achievement_title is always disclosed (the type metadata's sd "never"),
# credits_available only when the holder chooses to.
QUERY = {"query": {"format": "dc+sd-jwt", "vct": [LEARNING],
                   "claims": [{"path": ["achievement_title"]}, {"path": ["credits_available"], "values": [5]}]}}


@pytest.fixture
async def nodes(key_node_templates: dict[str, tuple[Path, Vault]],
                tmp_path: Path) -> AsyncIterator[tuple[Served, Served]]:
    # status_list_ttl 0: the Status List Token says ttl 1 and max-age 0, so the employer does not keep it.
    async with served(key_node_templates["institution"], tmp_path / "institution", status_list_ttl=0) as institution, \
            served(key_node_templates["employer"], tmp_path / "employer") as employer:
        yield institution, employer


async def harness(script: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await asyncio.to_thread(run_harness, script, jobs)


def jwk_of(did_jwk: str) -> dict[str, Any]:
    """The public JWK a did:jwk names (serialisations differ: the node writes its members sorted)."""
    encoded = did_jwk.removeprefix("did:jwk:")
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


async def present(employer: Served, received: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new present exchange at the employer answered by the wallet with the credential it holds: what the
    wallet saw, and the exchange's state as its creator reads it."""
    exchange = await employer.create("present", QUERY)
    [presented] = await harness("oid4vp.mjs", [{"op": "present", "link": exchange["links"]["oid4vp"],
                                                "credential": {"format": "dc+sd-jwt", "token": received["credential"],
                                                               "holder": received["holder"]}}])
    return presented, await employer.state(exchange)


async def test_wallet_receives_the_eudi_credential_presents_it_elsewhere_and_the_revocation_shows(
        nodes: tuple[Served, Served]) -> None:
    institution, employer = nodes
    claim = await institution.create("claim", {"credential": unsigned_badge(institution.did)})
    [received] = await harness("oid4vci.mjs", [{"op": "claim", "offer": claim["links"]["oid4vci"],
                                                "txCode": claim["txCode"], "key": "did:jwk",
                                                "configuration": SD_JWT, "keep": True}])
    assert received["ok"], received
    assert received["steps"] == ["offer", "metadata", "token", "nonce", "credential"]
    issued = await institution.state(claim)
    assert issued["state"] == "complete" and issued["result"]["format"] == "dc+sd-jwt"

    presented, state = await present(employer, received)
    assert presented["ok"] and presented["body"] == {}, presented
    assert presented["steps"] == ["jar", "jarVerified", "matched", "submitted"], presented
    assert presented["clientId"] == f"decentralized_identifier:{employer.did}"
    assert presented["issuer"] == institution.did
    assert state["state"] == "complete", state
    report = state["result"]
    assert report["verified"] is True, report
    [credential] = report["credentials"]
    assert credential["vct"] == LEARNING and credential["issuer"] == institution.did
    assert credential["holderBinding"] == "passed" and credential["matchesQuery"] is True
    assert jwk_of(state["holder"]) == jwk_of(received["subject"])  # the key the wallet proved at issuance
    # Only the selectively disclosable claim the query asks for was disclosed; the others stayed with the wallet.
    assert credential["disclosed"] == ["credits_available"], credential
    claims = credential["claims"]
    assert claims["credits_available"] == 5 and claims["achievement_title"] == "Data Analytics Fundamentals"
    assert "achievement_id" not in claims and "achievement_criteria" not in claims
    # Status: read from the institution's Status List Token, over HTTP.
    checks = report["report"]["results"]
    assert checks["keyBinding"]["verified"] is True and checks["status"]["verified"] is True, checks
    [entry] = checks["status"]["entries"]
    assert entry["uri"].startswith(f"{institution.base}/status/") and entry["uri"].endswith("/token")
    assert entry["uri"] == claims["status"]["status_list"]["uri"] and entry["status"] == 0, entry

    # The institution revokes it over its API and re-publishes the token.
    _, status_token = await institution.node.tokens.create(["status"])
    async with institution.session.post(f"{institution.base}/credentials/status",
                                        headers={"Authorization": f"Bearer {status_token}"},
                                        json={"credentialId": issued["result"]["credentialId"],
                                              "credentialStatus": {"type": "BitstringStatusListEntry",
                                                                   "statusPurpose": "revocation"},
                                              "status": True, "reason": "awarded in error"}) as response:
        update = await response.json()
        assert response.status == 200 and (update["before"], update["after"]) == (0, 1), update
    assert await institution.node.status.publish_changed() >= 1

    presented, state = await present(employer, received)
    assert presented["ok"], presented  # a credential's status is reported, not refused
    report = state["result"]
    assert state["state"] == "complete" and report["verified"] is False, state
    [credential] = report["credentials"]
    assert credential["holderBinding"] == "passed" and credential["matchesQuery"] is True
    assert [e["code"] for e in credential["errors"]] == ["revoked"], credential
    [entry] = report["report"]["results"]["status"]["entries"]
    assert entry["status"] == 1 and entry["uri"] == claims["status"]["status_list"]["uri"], entry
