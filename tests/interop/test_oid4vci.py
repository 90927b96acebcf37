"""OpenID4VCI interop: the protocol layer of the Credo wallet framework (@openid4vc/openid4vci and
@openid4vc/oauth2, with keys and signatures by the Node ``jose`` library; tests/interop/oid4vci.mjs) drives
the node's pre-authorised code flow end to end against a real node on 127.0.0.1: offer, metadata, token with
the tx_code, nonce, proof JWT (ES256 did:jwk, EdDSA did:key), credential; the badge it receives verifies at
the node and names the wallet's DID. The same client's mistakes (a wrong tx_code up to the attempt limit, a
reused code, a replayed or stale proof, a wrong aud or nonce) get the right OAuth errors. The same library
drives the authorisation code flow (PKCE S256, issuer_state) with the test as the learner's browser on the
login page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.harness import run_harness
from tests.interop.test_lcw_exchanges import Served, key_node_templates, served, unsigned_badge
from vcnode.keys.vault import Vault

pytestmark = pytest.mark.interop
__all__ = ["key_node_templates"]  # the session fixture, shared with the LCW interop tests


@pytest.fixture
async def institution(key_node_templates: dict[str, tuple[Path, Vault]], tmp_path: Path) -> AsyncIterator[Served]:
    async with served(key_node_templates["institution"], tmp_path / "institution") as node:
        yield node


async def wallet(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await asyncio.to_thread(run_harness, "oid4vci.mjs", jobs)


async def claims(institution: Served, count: int) -> list[dict[str, Any]]:
    return [await institution.create("claim", {"credential": unsigned_badge(institution.did)}) for _ in range(count)]


async def test_credo_wallet_receives_the_badge_over_openid4vci(institution: Served) -> None:
    exchanges = await claims(institution, 2)
    results = await wallet([{"op": "claim", "offer": x["links"]["oid4vci"], "txCode": x["txCode"], "key": key}
                            for x, key in zip(exchanges, ["did:jwk", "did:key"], strict=True)])
    for exchange, result in zip(exchanges, results, strict=True):
        assert result["ok"], result
        assert result["steps"] == ["offer", "metadata", "token", "nonce", "credential"]
        credential = result["credential"]
        assert credential["credentialSubject"]["id"] == result["subject"]
        report = await institution.verify(credential)
        assert report["verified"] is True, report
        state = await institution.state(exchange)
        assert state["state"] == "complete" and state["holder"] == result["subject"]
    assert results[0]["subject"].startswith("did:jwk:") and results[1]["subject"].startswith("did:key:z6Mk")


@pytest.mark.parametrize("configuration", ["OpenBadgeCredential_ldp_vc", "EUDILearningCredential_dc+sd-jwt"])
async def test_credo_wallet_proves_a_p384_key_with_es384(institution: Served, configuration: str) -> None:
    """The library reads ES384 in the metadata and signs its proof with a P-384 did:jwk; the node issues to it."""
    [exchange] = await claims(institution, 1)
    [result] = await wallet([{"op": "claim", "offer": exchange["links"]["oid4vci"], "txCode": exchange["txCode"],
                              "key": "did:jwk:P-384", "configuration": configuration}])
    assert result["ok"], result
    assert result["subject"].startswith("did:jwk:")
    if configuration == "OpenBadgeCredential_ldp_vc":
        assert result["credential"]["credentialSubject"]["id"] == result["subject"]
        report = await institution.verify(result["credential"])
        assert report["verified"] is True, report
    else:
        assert isinstance(result["credential"], str) and result["credential"].count("~") >= 1
    assert (await institution.state(exchange))["holder"] == result["subject"]


async def test_the_same_client_gets_oauth_errors_for_its_mistakes(institution: Served) -> None:
    limit = institution.node.config.oid4vci_tx_code_attempts
    exchanges = await claims(institution, 6)
    pin = exchanges[0]["txCode"]
    wrong = str((int(pin) + 1) % 10 ** len(pin)).zfill(len(pin))
    jobs = [{"op": "claim", "offer": x["links"]["oid4vci"], "txCode": x["txCode"], "key": "did:jwk", "attack": a}
            for x, a in zip(exchanges, ["wrongTxCode", "reuseCode", "replayProof", "staleProof", "wrongAud",
                                        "wrongNonce"], strict=True)]
    jobs[0].update(tries=limit, wrongTxCode=wrong)
    locked, reused, replayed, stale, wrong_aud, wrong_nonce = await wallet(jobs)
    assert [e["error"] for e in locked["errors"]] == ["invalid_grant"] * limit, locked
    assert locked["last"]["error"]["error"] == "invalid_grant" and "locked" in locked["last"]["error"]["description"]
    assert reused["error"]["error"] == "invalid_grant" and "already used" in reused["error"]["description"], reused
    assert replayed["first"]["ok"] and replayed["error"]["error"] == "invalid_nonce", replayed
    assert stale["error"]["error"] == "invalid_proof" and "stale" in stale["error"]["description"], stale
    assert wrong_aud["error"]["error"] == "invalid_proof" and "aud" in wrong_aud["error"]["description"], wrong_aud
    assert wrong_nonce["error"]["error"] == "invalid_nonce", wrong_nonce
    # Only the replayed proof's first request issued anything.
    states = [(await institution.state(x))["state"] for x in exchanges]
    assert states == ["pending", "active", "complete", "active", "active", "active"]


SD_JWT = "EUDILearningCredential_dc+sd-jwt"


async def sd_jwt_verifier(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await asyncio.to_thread(run_harness, "sdjwt.mjs", jobs)


async def test_credo_wallet_receives_the_sd_jwt_vc_and_sd_jwt_verifies_it_and_its_status(institution: Served) -> None:
    """The Credo protocol layer receives the EUDI learning credential (dc+sd-jwt); @sd-jwt/sd-jwt-vc verifies it
    with the key the issuer's JWT VC Issuer Metadata lists for its kid, fetching the Status List Token itself,
    and @sd-jwt/jwt-status-list reads its entry: 0, then 1 once the claim's credential id is revoked."""
    exchanges = await claims(institution, 2)
    results = await wallet([{"op": "claim", "offer": x["links"]["oid4vci"], "txCode": x["txCode"], "key": key,
                             "configuration": SD_JWT}
                            for x, key in zip(exchanges, ["did:jwk", "did:key"], strict=True)])
    tokens = []
    for exchange, result in zip(exchanges, results, strict=True):
        assert result["ok"], result
        assert isinstance(result["credential"], str) and result["credential"].endswith("~")
        tokens.append(result["credential"])
        state = await institution.state(exchange)
        assert state["state"] == "complete" and state["holder"] == result["subject"]
    checks = await sd_jwt_verifier([{"op": "verifyIssued", "token": t, "issuer": institution.base} for t in tokens])
    for check, result in zip(checks, results, strict=True):
        assert check["verified"], check
        assert check["status"] == 0
        payload = check["payload"]
        assert payload["iss"] == institution.did and check["kid"].startswith(institution.did + "#")
        assert payload["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"
        assert payload["cnf"]["jwk"]["x"] == result["publicJwk"]["x"]
        assert payload["achievement_title"]  # disclosed by the library from the issued disclosures
    # Revoke the first claim's credential, by the id its exchange completed with.
    record = await institution.node.store.get_exchange(exchanges[0]["exchangeUrl"].rsplit("/", 1)[1])
    assert record is not None and record.result is not None
    update = await institution.node.status.update(json.loads(record.result)["credentialId"], "revocation", 1,
                                                  actor="test")
    assert update.after == 1
    revoked, valid = await sd_jwt_verifier([{"op": "verifyIssued", "token": t, "issuer": institution.base}
                                            for t in tokens])
    assert revoked["status"] == 1 and not revoked["verified"], revoked
    assert "Status is not valid" in revoked["message"], revoked
    assert valid["verified"] and valid["status"] == 0, valid


async def login_claims(institution: Served, count: int) -> list[dict[str, Any]]:
    return [await institution.create("claim", {"credential": unsigned_badge(institution.did),
                                               "oid4vci": {"grants": ["authorization_code"]}})
            for _ in range(count)]


async def test_credo_wallet_receives_both_formats_over_the_authorisation_code_flow(institution: Served) -> None:
    """The Credo protocol layer builds the authorisation request (PKCE S256, issuer_state, scope) from the
    offer; the test plays the learner's browser on the login page (cookie, CSRF token, the claim's code); the
    library checks the redirect's iss and redeems the code with its verifier; the credential is issued."""
    exchanges = await login_claims(institution, 2)
    results = await wallet([{"op": "authcode", "offer": x["links"]["oid4vci"], "loginCode": x["txCode"],
                             "key": "did:jwk", "configuration": configuration}
                            for x, configuration in zip(exchanges, ["OpenBadgeCredential_ldp_vc", SD_JWT],
                                                        strict=True)])
    for exchange, result in zip(exchanges, results, strict=True):
        assert result["ok"], result
        assert result["steps"] == ["offer", "metadata", "authorize", "login", "token", "nonce", "credential"]
        assert result["request"]["code_challenge_method"] == "S256" and result["request"]["issuer_state"]
        state = await institution.state(exchange)
        assert state["state"] == "complete" and state["holder"] == result["subject"]
    badge, sd_jwt = results
    assert badge["credential"]["credentialSubject"]["id"] == badge["subject"]
    assert (await institution.verify(badge["credential"]))["verified"] is True
    assert isinstance(sd_jwt["credential"], str) and sd_jwt["credential"].endswith("~")


async def test_the_same_client_is_refused_in_the_authorisation_code_flow(institution: Served) -> None:
    exchanges = await login_claims(institution, 4)
    pin = exchanges[0]["txCode"]
    wrong = str((int(pin) + 1) % 10 ** len(pin)).zfill(len(pin))
    jobs = [{"op": "authcode", "offer": x["links"]["oid4vci"], "loginCode": x["txCode"], "key": "did:key",
             "attack": attack, "wrongLoginCode": wrong}
            for x, attack in zip(exchanges, ["wrongVerifier", "reuseCode", "noCookie", "wrongLoginCode"],
                                 strict=True)]
    verifier, reused, no_cookie, wrong_code = await wallet(jobs)
    assert verifier["error"]["stage"] == "token" and verifier["error"]["error"] == "invalid_grant", verifier
    assert reused["error"]["error"] == "invalid_grant" and "already used" in reused["error"]["description"], reused
    assert no_cookie["error"] == {"stage": "login", "status": 403}, no_cookie
    assert wrong_code["error"] == {"stage": "login", "status": 400}, wrong_code
    states = [(await institution.state(x))["state"] for x in exchanges]
    assert states == ["pending", "active", "pending", "pending"]


async def test_credo_wallet_asks_by_authorization_details_and_gets_the_credential_by_identifier(
        institution: Served) -> None:
    """The Credo protocol layer sends RFC 9396 authorization_details (in the pre-authorised token request, and in
    the authorisation request of the code flow); the token responses grant them with credential_identifiers
    (OID4VCI 1.0 section 6.2) and the wallet gets the credential by credential_identifier, a request the
    library's own credential request parser accepts. Naming the configuration id instead, or an identifier
    the issuer never gave, is refused with the spec's error codes."""
    pre = await claims(institution, 4)
    login = await login_claims(institution, 1)
    jobs = [{"op": "claim", "offer": x["links"]["oid4vci"], "txCode": x["txCode"], "key": "did:jwk",
             "details": True, "configuration": configuration, "attack": attack}
            for x, configuration, attack in zip(pre, [SD_JWT, "OpenBadgeCredential_ldp_vc", SD_JWT, SD_JWT],
                                                [None, None, "configurationId", "unknownIdentifier"], strict=True)]
    jobs.append({"op": "authcode", "offer": login[0]["links"]["oid4vci"], "loginCode": login[0]["txCode"],
                 "key": "did:key", "details": True, "configuration": SD_JWT})
    sd_jwt, badge, by_configuration, unknown, authcode = await wallet(jobs)
    for result, configuration in ((sd_jwt, SD_JWT), (badge, "OpenBadgeCredential_ldp_vc"), (authcode, SD_JWT)):
        assert result["ok"], result
        granted = result["granted"]
        assert granted["type"] == "openid_credential" and granted["credential_configuration_id"] == configuration
        assert len(granted["credential_identifiers"]) == 1
    assert isinstance(sd_jwt["credential"], str) and sd_jwt["credential"].endswith("~")
    assert badge["credential"]["credentialSubject"]["id"] == badge["subject"]
    assert (await institution.verify(badge["credential"]))["verified"] is True
    assert "scope" not in authcode["request"] and "openid_credential" in authcode["request"]["authorization_details"]
    assert isinstance(authcode["credential"], str) and authcode["credential"].endswith("~")
    assert by_configuration["error"]["error"] == "invalid_credential_request", by_configuration
    assert unknown["error"]["error"] == "unknown_credential_identifier", unknown
    states = [(await institution.state(x))["state"] for x in [*pre, *login]]
    assert states == ["complete", "complete", "active", "active", "complete"]
