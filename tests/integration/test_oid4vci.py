"""OpenID4VCI 1.0 pre-authorised code flow over claim exchanges (``ldp_vc``): the node's real app on 127.0.0.1,
a real store and keys; the wallet's proofs are signed with the project's JOSE code (the independent wallet,
@openid4vc/openid4vci with the Node ``jose`` library, is in tests/interop/test_oid4vci.py). Every error is an
OAuth error (``{"error", "error_description"}``), never problem+json."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import did_key_signer
from tests.integration.test_claim_batches_http import ACHIEVEMENT
from tests.integration.test_exchanges_http import BASE, Institution, claim, path, unsigned_badge
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.jose import sign_compact
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.node import Node

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OAUTH = "application/json"


@pytest.fixture
async def institution(client: TestClient, web_node: Node) -> Institution:
    _, token = await web_node.tokens.create(["exchange"])
    return Institution(client, token)


async def oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    body = await response.json(content_type=None)
    assert response.status == status, body
    assert response.headers["Content-Type"].startswith(OAUTH), response.headers["Content-Type"]
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str)
    return body


def offer_uri(exchange: dict[str, Any]) -> str:
    link = exchange["links"]["oid4vci"]
    assert link.startswith("openid-credential-offer://?")
    [uri] = parse_qs(urlsplit(link).query)["credential_offer_uri"]
    return uri


async def offer(client: TestClient, exchange: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(path(offer_uri(exchange)))
    assert response.status == 200, await response.text()
    return await response.json()


async def token(client: TestClient, code: str, tx_code: str | None) -> Any:
    form = {"grant_type": GRANT, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return await client.post("/token", data=form)


async def access(client: TestClient, exchange: dict[str, Any]) -> str:
    grant = (await offer(client, exchange))["grants"][GRANT]
    response = await token(client, grant["pre-authorized_code"], exchange["txCode"])
    body = await response.json()
    assert response.status == 200, body
    return body["access_token"]


async def c_nonce(client: TestClient) -> str:
    response = await client.post("/nonce")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    return (await response.json())["c_nonce"]


class Wallet:
    """A holder key (Ed25519 did:key or P-256 did:jwk) making proof JWTs."""

    def __init__(self, kind: str = "did:key") -> None:
        self.kind = kind
        if kind == "did:key":
            self.pair: Any = Ed25519KeyPair.generate()
            self.did = did_key_for(self.pair.public_multikey)
            self.kid = f"{self.did}#{self.pair.public_multikey}"
        else:
            self.pair = P256KeyPair.generate()
            self.did = did_jwk_for(self.pair.public_jwk)
            self.kid = f"{self.did}#0"

    def proof(self, nonce: str | None, *, aud: str = BASE, iat: float | None = None, typ: str = "openid4vci-proof+jwt",
              header: dict[str, Any] | None = None) -> str:
        claims: dict[str, Any] = {"aud": aud, "iat": int(time.time() if iat is None else iat)}
        if nonce is not None:
            claims["nonce"] = nonce
        return sign_compact(claims, self.pair, kid=None if header and "jwk" in header else self.kid,
                            header={"typ": typ, **(header or {})})


async def request_credential(client: TestClient, access_token: str, body: dict[str, Any]) -> Any:
    return await client.post("/credential", json=body, headers={"Authorization": f"Bearer {access_token}"})


def proofs(jwt: str) -> dict[str, Any]:
    return {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": [jwt]}}


async def test_metadata(client: TestClient) -> None:
    response = await client.get("/.well-known/openid-credential-issuer")
    assert response.status == 200
    metadata = await response.json()
    assert metadata["credential_issuer"] == BASE
    assert metadata["credential_endpoint"] == f"{BASE}/credential"
    assert metadata["nonce_endpoint"] == f"{BASE}/nonce"
    config = metadata["credential_configurations_supported"]["OpenBadgeCredential_ldp_vc"]
    assert config["format"] == "ldp_vc"
    assert "OpenBadgeCredential" in config["credential_definition"]["type"]
    assert config["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk"]
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256", "ES384", "EdDSA"]
    response = await client.get("/.well-known/oauth-authorization-server")
    server = await response.json()
    assert server["issuer"] == BASE and server["token_endpoint"] == f"{BASE}/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


@pytest.mark.parametrize("kind", ["did:key", "did:jwk"])
async def test_pre_authorised_flow_issues_the_badge_to_the_proven_did(client: TestClient, institution: Institution,
                                                                       kind: str) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    assert exchange["txCode"].isdigit() and len(exchange["txCode"]) == 6
    assert exchange["txCode"] not in exchange["links"]["oid4vci"]
    assert exchange["protocols"]["OID4VCI"] == exchange["links"]["oid4vci"]
    response = await client.get(path(exchange["interactionUrl"]), headers={"Accept": "application/json"})
    assert (await response.json())["protocols"]["OID4VCI"] == exchange["links"]["oid4vci"]
    credential_offer = await offer(client, exchange)
    assert credential_offer["credential_issuer"] == BASE
    assert credential_offer["credential_configuration_ids"] == ["OpenBadgeCredential_ldp_vc",
                                                                "EUDILearningCredential_dc+sd-jwt"]
    grant = credential_offer["grants"][GRANT]
    assert grant["tx_code"] == {**grant["tx_code"], "input_mode": "numeric", "length": 6}
    response = await token(client, grant["pre-authorized_code"], exchange["txCode"])
    body = await response.json()
    assert response.status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert (await institution.state(exchange))["state"] == "active"
    wallet = Wallet(kind)
    response = await request_credential(client, body["access_token"], proofs(wallet.proof(await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    [item] = issued["credentials"]
    credential = item["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["proof"][0]["proofPurpose"] == "assertionMethod"
    state = await institution.state(exchange)
    assert state["state"] == "complete" and state["holder"] == wallet.did
    response = await client.post("/credentials/verify", json={"verifiableCredential": credential})
    report = await response.json()
    assert report["verified"] is True, report
    # The VC API path of the same claim is now used: one claim, one credential.
    response = await client.get(path(offer_uri(exchange)))
    assert response.status == 409


async def test_wrong_tx_code_and_attempt_limit(client: TestClient, institution: Institution,
                                               web_node: Node) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    wrong = str((int(exchange["txCode"]) + 1) % 1_000_000).zfill(6)
    limit = web_node.config.oid4vci_tx_code_attempts
    for attempt in range(limit):
        # A new code each time: the limit is the exchange's, not the code's.
        grant = (await offer(client, exchange))["grants"][GRANT]
        body = await oauth_error(await token(client, grant["pre-authorized_code"], wrong), 400, "invalid_grant")
        assert f"{limit - attempt - 1} attempt(s) left" in body["error_description"]
    grant = (await offer(client, exchange))["grants"][GRANT]
    body = await oauth_error(await token(client, grant["pre-authorized_code"], exchange["txCode"]), 400,
                             "invalid_grant")
    assert "locked" in body["error_description"]


async def test_missing_tx_code_and_bad_grants(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    code = (await offer(client, exchange))["grants"][GRANT]["pre-authorized_code"]
    await oauth_error(await token(client, code, None), 400, "invalid_request")
    await oauth_error(await token(client, "not-a-code", exchange["txCode"]), 400, "invalid_grant")
    response = await client.post("/token", data={"grant_type": "client_credentials", "code": "x"})
    await oauth_error(response, 400, "unsupported_grant_type")
    response = await client.post("/token", json={"grant_type": GRANT, "pre-authorized_code": code})
    await oauth_error(response, 400, "invalid_request")  # JSON, not a form
    response = await client.post("/token", data=f"grant_type={GRANT}&pre-authorized_code={code}&"
                                 f"pre-authorized_code={code}&tx_code=1",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    await oauth_error(response, 400, "invalid_request")  # a parameter twice


async def test_reused_code_is_invalid_grant(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    code = (await offer(client, exchange))["grants"][GRANT]["pre-authorized_code"]
    assert (await token(client, code, exchange["txCode"])).status == 200
    body = await oauth_error(await token(client, code, exchange["txCode"]), 400, "invalid_grant")
    assert "already used" in body["error_description"]


async def test_token_errors(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    wallet = Wallet()
    nonce = await c_nonce(client)
    response = await client.post("/credential", json=proofs(wallet.proof(nonce)))
    await oauth_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    await oauth_error(await request_credential(client, "forged", proofs(wallet.proof(nonce))), 401, "invalid_token")
    response = await client.post("/credential", json=proofs(wallet.proof(nonce)), headers={"Authorization": "Basic x"})
    await oauth_error(response, 401, "invalid_token")
    # The nonce was not spent by the refused requests.
    response = await request_credential(client, await access(client, exchange), proofs(wallet.proof(nonce)))
    assert response.status == 200, await response.text()


async def test_proof_errors(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    bearer = await access(client, exchange)
    wallet = Wallet("did:jwk")

    async def refused(body: dict[str, Any], error: str) -> str:
        return (await oauth_error(await request_credential(client, bearer, body), 400, error))["error_description"]

    nonce = await c_nonce(client)
    assert "aud" in await refused(proofs(wallet.proof(nonce, aud="https://other.example")), "invalid_proof")
    assert "stale" in await refused(proofs(wallet.proof(nonce, iat=time.time() - 3600)), "invalid_proof")
    assert "future" in await refused(proofs(wallet.proof(nonce, iat=time.time() + 3600)), "invalid_proof")
    assert "typ" in await refused(proofs(wallet.proof(nonce, typ="JWT")), "invalid_proof")
    assert "nonce" in await refused(proofs(wallet.proof(None)), "invalid_proof")
    await refused(proofs(wallet.proof("never-issued")), "invalid_nonce")
    other = Wallet("did:key")  # signed by a key that is not the kid's
    forged = wallet.proof(nonce).split(".")
    forged[2] = other.proof(nonce).split(".")[2]
    await refused(proofs(".".join(forged)), "invalid_proof")
    await refused(proofs("e30.e30."), "invalid_proof")  # alg none, no signature
    await refused({"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}, "invalid_credential_request")
    await refused({"credential_configuration_id": "OpenBadgeCredential_ldp_vc",
                   "proofs": {"jwt": [wallet.proof(nonce), wallet.proof(nonce)]}}, "invalid_credential_request")
    await refused({**proofs(wallet.proof(nonce)), "credential_configuration_id": "Other"},
                  "unknown_credential_configuration")
    # A replayed proof: its nonce is spent by the first use.
    good = wallet.proof(nonce)
    assert (await request_credential(client, bearer, proofs(good))).status == 200
    other_claim = await institution.create("claim", {"credential": unsigned_badge()})
    await oauth_error(await request_credential(client, await access(client, other_claim), proofs(good)), 400,
                      "invalid_nonce")


async def test_jwk_header_proof_and_draft_singular_proof(client: TestClient, institution: Institution,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    wallet = Wallet("did:jwk")
    jwt = wallet.proof(await c_nonce(client), header={"jwk": wallet.pair.public_jwk})
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proof": {"proof_type": "jwt", "jwt": jwt}}
    response = await request_credential(client, await access(client, exchange), body)
    issued = await response.json()
    assert response.status == 200, issued
    assert issued["credentials"][0]["credential"]["credentialSubject"]["id"] == wallet.did
    assert "draft-era singular 'proof'" in caplog.text


async def test_claimed_by_vc_api_first_denies_the_openid_request(client: TestClient, institution: Institution,
                                                                 web_node: Node) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    bearer = await access(client, exchange)
    learner = did_key_signer()
    await claim(client, exchange, learner)
    response = await request_credential(client, bearer, proofs(Wallet().proof(await c_nonce(client))))
    await oauth_error(response, 400, "credential_request_denied")


async def test_batch_manifest_has_the_offer_and_tx_code(client: TestClient, institution: Institution) -> None:
    response = await client.post("/workflows/claim/batches", headers={**institution.auth(), "Accept": "text/csv"},
                                 json={"achievement": ACHIEVEMENT,
                                       "learners": [{"email": "a@example.org", "name": "A"}]})
    text = await response.text()
    assert response.status == 201, text
    [columns] = list(csv.DictReader(io.StringIO(text)))
    assert columns["oid4vciOffer"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert columns["oid4vciTxCode"].isdigit() and len(columns["oid4vciTxCode"]) == 6


async def test_a_code_raced_by_many_requests_gives_one_token(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    code = (await offer(client, exchange))["grants"][GRANT]["pre-authorized_code"]
    responses = await asyncio.gather(*(token(client, code, exchange["txCode"]) for _ in range(8)))
    assert sorted(response.status for response in responses) == [200] + [400] * 7


async def test_one_token_raced_for_two_credentials_issues_one(client: TestClient, institution: Institution,
                                                              web_node: Node) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    bearer = await access(client, exchange)
    wallets = [Wallet(), Wallet("did:jwk")]
    nonces = [await c_nonce(client), await c_nonce(client)]
    responses = await asyncio.gather(*(request_credential(client, bearer, proofs(w.proof(n)))
                                       for w, n in zip(wallets, nonces, strict=True)))
    statuses = sorted(response.status for response in responses)
    assert statuses == [200, 400], statuses
    state = await institution.state(exchange)
    assert state["state"] == "complete" and state["holder"] in {w.did for w in wallets}


LDP = "OpenBadgeCredential_ldp_vc"
SD_JWT = "EUDILearningCredential_dc+sd-jwt"


def details(*configurations: str, **extra: Any) -> str:
    return json.dumps([{"type": "openid_credential", "credential_configuration_id": c, **extra}
                       for c in configurations])


async def detailed_token(client: TestClient, exchange: dict[str, Any], raw: str) -> dict[str, Any]:
    """A pre-authorised token request with ``authorization_details``: the token response."""
    grant = (await offer(client, exchange))["grants"][GRANT]
    response = await client.post("/token", data={"grant_type": GRANT, "tx_code": exchange["txCode"],
                                                 "pre-authorized_code": grant["pre-authorized_code"],
                                                 "authorization_details": raw})
    body = await response.json()
    assert response.status == 200, body
    return body


def identifier_body(identifier: str, jwt: str, **extra: Any) -> dict[str, Any]:
    return {"credential_identifier": identifier, "proofs": {"jwt": [jwt]}, **extra}


async def test_token_grants_authorization_details_and_credential_identifiers(
        client: TestClient, institution: Institution) -> None:
    """OID4VCI 1.0 section 6.2: a token request with authorization_details gets them back with
    credential_identifiers; the credential request must then name one of those (section 8.2), not a
    credential_configuration_id, and only one this access token was issued for."""
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    body = await detailed_token(client, exchange, details(SD_JWT, locations=[BASE]))
    [granted] = body["authorization_details"]
    assert granted["type"] == "openid_credential" and granted["credential_configuration_id"] == SD_JWT
    assert granted["locations"] == [BASE]
    [identifier] = granted["credential_identifiers"]
    sd_token = body["access_token"]
    # A second token for the same claim, granted the ldp_vc configuration only.
    ldp_body = await detailed_token(client, exchange, details(LDP))
    [ldp_identifier] = ldp_body["authorization_details"][0]["credential_identifiers"]
    assert ldp_identifier != identifier
    wallet = Wallet("did:jwk")
    refused = [
        ({"credential_configuration_id": SD_JWT, "proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
        (identifier_body(identifier, "x", credential_configuration_id=SD_JWT), "invalid_credential_request"),
        (identifier_body(ldp_identifier, "x"), "invalid_credential_request"),  # genuine, not this token's
        (identifier_body(identifier + "x", "x"), "unknown_credential_identifier"),
        (identifier_body("CivilEngineeringDegree-2023", "x"), "unknown_credential_identifier"),
        ({"credential_identifier": 7, "proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
    ]
    for request, error in refused:
        await oauth_error(await request_credential(client, sd_token, request), 400, error)
    assert (await institution.state(exchange))["state"] == "active"
    response = await request_credential(client, sd_token, identifier_body(identifier, wallet.proof(
        await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    credential = issued["credentials"][0]["credential"]
    assert isinstance(credential, str) and credential.endswith("~")  # the SD-JWT VC the identifier names
    assert (await institution.state(exchange))["state"] == "complete"


async def test_token_without_authorization_details_refuses_credential_identifier(
        client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    body = await (await token(client, (await offer(client, exchange))["grants"][GRANT]["pre-authorized_code"],
                              exchange["txCode"])).json()
    assert "authorization_details" not in body
    other = await detailed_token(client, await institution.create("claim", {"credential": unsigned_badge()}),
                                 details(LDP))
    [identifier] = other["authorization_details"][0]["credential_identifiers"]
    await oauth_error(await request_credential(client, body["access_token"], identifier_body(identifier, "x")),
                      400, "invalid_credential_request")


@pytest.mark.parametrize("raw", [
    "not json", "[]", "{}", json.dumps([{"type": "openid_credential"}]),
    json.dumps([{"type": "other", "credential_configuration_id": LDP}]),
    details("UniversityDegreeCredential"), details(LDP, locations=["https://issuer.example"]),
    details(LDP, locations=BASE), details(*[LDP] * 9),
])
async def test_bad_authorization_details_in_the_token_request(client: TestClient, institution: Institution,
                                                             raw: str) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    grant = (await offer(client, exchange))["grants"][GRANT]
    response = await client.post("/token", data={"grant_type": GRANT, "tx_code": exchange["txCode"],
                                                 "pre-authorized_code": grant["pre-authorized_code"],
                                                 "authorization_details": raw})
    await oauth_error(response, 400, "invalid_authorization_details")
    # Nothing was spent: the same code and PIN still give a token.
    response = await token(client, grant["pre-authorized_code"], exchange["txCode"])
    assert response.status == 200, await response.text()
