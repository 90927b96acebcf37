"""SD-JWT VC issuance over OpenID4VCI (``EUDILearningCredential_dc+sd-jwt``) and its IETF Token Status List: the
node's real app on 127.0.0.1, a real store and keys; the wallet's proofs signed with the project's JOSE code (the
independent wallet and verifier are in tests/interop/test_oid4vci.py). One claim yields one credential, in the
format the wallet picks; its revocation shows in the Status List Token served at ``/status/{id}/token``."""

from __future__ import annotations

import base64
import time
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.integration.test_exchanges_http import BASE, Institution, path, unsigned_badge
from tests.integration.test_oid4vci import (
    GRANT,
    Wallet,
    access,
    c_nonce,
    oauth_error,
    offer,
    offer_uri,
    request_credential,
    token,
)
from vcnode.jose import verify_with_did
from vcnode.node import Node
from vcnode.sdjwt import LEARNING_CREDENTIAL_VCT, SdJwtVcOptions, verify_sd_jwt_vc
from vcnode.status.token_list import MEDIA_TYPE, TokenStatusList, read_status_list_token

SD_JWT = "EUDILearningCredential_dc+sd-jwt"
LDP = "OpenBadgeCredential_ldp_vc"
STATUS_TOKEN_PATH = "/status/{}/token"


@pytest.fixture
async def institution(client: TestClient, web_node: Node) -> Institution:
    _, api_token = await web_node.tokens.create(["exchange"])
    return Institution(client, api_token)


def payload(sd_jwt: str) -> dict[str, Any]:
    part = sd_jwt.split("~", 1)[0].split(".")[1]
    return orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def credential_id_of(web_node: Node, exchange: dict[str, Any]) -> str:
    """The id the claim's credential is stored under (the exchange's result)."""
    record = await web_node.store.get_exchange(exchange["exchangeUrl"].rsplit("/", 1)[1])
    assert record is not None and record.result is not None
    return str(orjson.loads(record.result)["credentialId"])


def body(configuration: str, jwt: str) -> dict[str, Any]:
    return {"credential_configuration_id": configuration, "proofs": {"jwt": [jwt]}}


async def issue_sd_jwt(client: TestClient, institution: Institution, wallet: Wallet,
                       credential: dict[str, Any] | None = None) -> tuple[dict[str, Any], str, str]:
    """A claim, issued as an SD-JWT VC to ``wallet``: (exchange, access token, SD-JWT VC)."""
    exchange = await institution.create("claim", {"credential": credential or unsigned_badge()})
    access_token = await access(client, exchange)
    response = await request_credential(client, access_token, body(SD_JWT, wallet.proof(await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    [item] = issued["credentials"]
    assert isinstance(item["credential"], str)
    return exchange, access_token, item["credential"]


async def status_token(client: TestClient, web_node: Node, uri: str) -> tuple[Any, TokenStatusList]:
    """The response for the Status List Token at ``uri`` and the list it carries (signature verified by the
    issuer's DID)."""
    response = await client.get(path(uri), headers={"Accept": MEDIA_TYPE})
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == MEDIA_TYPE
    text = await response.text()
    verified = await verify_with_did(text, web_node.resolver)
    return response, read_status_list_token(verified, uri=uri, now=int(time.time()))


async def revoke(client: TestClient, web_node: Node, credential_id: str, status: bool = True) -> Any:
    _, status_token_value = await web_node.tokens.create(["status"])
    return await client.post("/credentials/status", headers={"Authorization": f"Bearer {status_token_value}"},
                             json={"credentialId": credential_id, "status": status,
                                   "credentialStatus": {"type": "BitstringStatusListEntry",
                                                        "statusPurpose": "revocation"}})


async def test_metadata_jwt_vc_issuer_and_type_metadata(client: TestClient, web_node: Node) -> None:
    metadata = await (await client.get("/.well-known/openid-credential-issuer")).json()
    config = metadata["credential_configurations_supported"][SD_JWT]
    assert config["format"] == "dc+sd-jwt" and config["vct"] == LEARNING_CREDENTIAL_VCT
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256", "ES384", "EdDSA"]
    assert config["cryptographic_binding_methods_supported"] == ["jwk"]
    assert {"path": ["achievement_title"]}.items() <= next(
        c for c in config["credential_metadata"]["claims"] if c["path"] == ["achievement_title"]).items()
    response = await client.get("/.well-known/jwt-vc-issuer")
    assert response.status == 200
    issuer = await response.json()
    assert issuer["issuer"] == BASE
    key = web_node.identities.signing_key(web_node.identities.default_did or "")
    [listed] = [k for k in issuer["jwks"]["keys"] if k["kid"] == key.verification_method]
    assert {k: listed[k] for k in key.signer.public_jwk} == key.signer.public_jwk
    assert listed["alg"] == key.signer.alg
    response = await client.get(f"/.well-known/vct/{LEARNING_CREDENTIAL_VCT}")
    assert response.status == 200
    assert (await response.json())["vct"] == LEARNING_CREDENTIAL_VCT
    response = await client.get("/.well-known/vct/urn:example:other")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("kind", ["did:jwk", "did:key"])
async def test_sd_jwt_vc_issued_bound_revoked_and_shown_in_the_token(client: TestClient, institution: Institution,
                                                                     web_node: Node, kind: str) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    assert (await offer(client, exchange))["credential_configuration_ids"] == [LDP, SD_JWT]
    access_token = await access(client, exchange)
    wallet = Wallet(kind)
    response = await request_credential(client, access_token, body(SD_JWT, wallet.proof(await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    sd_jwt = issued["credentials"][0]["credential"]
    claims = payload(sd_jwt)
    issuer = web_node.identities.default_did
    assert claims["iss"] == issuer and claims["vct"] == LEARNING_CREDENTIAL_VCT
    assert claims["cnf"] == {"jwk": wallet.pair.public_jwk}
    reference = claims["status"]["status_list"]
    assert reference["uri"].startswith(f"{BASE}/status/") and reference["uri"].endswith("/token")
    state = await institution.state(exchange)
    assert state["state"] == "complete" and state["holder"] == wallet.did

    # vcnode's own verifier, its status read through the node's checker (the node's own token, from the store).
    options = SdJwtVcOptions(status=web_node.status_checker, vct=[LEARNING_CREDENTIAL_VCT])
    result = await verify_sd_jwt_vc(sd_jwt, web_node.resolver, options)
    assert result.verified, result.to_json()
    assert result.claims is not None and result.claims["achievement_title"]
    assert result.claims["cnf"] == {"jwk": wallet.pair.public_jwk}

    response, listed = await status_token(client, web_node, reference["uri"])
    assert listed.status(reference["idx"]) == 0 and listed.issuer == issuer and listed.bits == 1
    etag = response.headers["ETag"]
    again = await client.get(path(reference["uri"]), headers={"If-None-Match": etag})
    assert again.status == 304

    # Revoked by the claim's credential id, as an ldp_vc would be.
    credential_id = await credential_id_of(web_node, exchange)
    response = await revoke(client, web_node, credential_id)
    update = await response.json()
    assert response.status == 200, update
    assert update["statusListIndex"] == str(reference["idx"]) and update["after"] == 1
    response, listed = await status_token(client, web_node, reference["uri"])
    assert listed.status(reference["idx"]) == 1
    assert response.headers["ETag"] != etag
    result = await verify_sd_jwt_vc(sd_jwt, web_node.resolver, options)
    assert not result.verified and "revoked" in str(result.to_json())
    # Irreversible, and logged.
    response = await revoke(client, web_node, credential_id, status=False)
    assert response.status == 409 and (await response.json())["code"] == "revocationIrreversible"
    [change] = await web_node.status.log(credential_id)
    assert change["after"] == 1
    # The re-signed token is anchored in the issuer's log, like a list credential.
    await web_node.status.publish_changed()
    assert await web_node.anchors.list_anchor(reference["uri"]) is not None


async def test_one_claim_one_credential_whichever_format(client: TestClient, institution: Institution) -> None:
    wallet = Wallet("did:jwk")
    exchange, access_token, sd_jwt = await issue_sd_jwt(client, institution, wallet)
    # The same wallet's retry gets the same SD-JWT VC; the other format, or another wallet, is refused.
    response = await request_credential(client, access_token, body(SD_JWT, wallet.proof(await c_nonce(client))))
    assert (await response.json())["credentials"][0]["credential"] == sd_jwt
    response = await request_credential(client, access_token, body(LDP, wallet.proof(await c_nonce(client))))
    await oauth_error(response, 400, "credential_request_denied")
    other = Wallet("did:key")
    response = await request_credential(client, access_token, body(SD_JWT, other.proof(await c_nonce(client))))
    await oauth_error(response, 400, "credential_request_denied")
    # And a claim issued as ldp_vc is not given again as an SD-JWT VC.
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    access_token = await access(client, exchange)
    response = await request_credential(client, access_token, body(LDP, wallet.proof(await c_nonce(client))))
    assert response.status == 200
    response = await request_credential(client, access_token, body(SD_JWT, wallet.proof(await c_nonce(client))))
    await oauth_error(response, 400, "credential_request_denied")
    # The offer of a complete claim is gone.
    response = await client.get(path(offer_uri(exchange)))
    assert response.status == 409


async def test_stored_enveloped_and_token_only_for_referenced_lists(client: TestClient, institution: Institution,
                                                                    web_node: Node) -> None:
    wallet = Wallet("did:key")
    exchange, _, sd_jwt = await issue_sd_jwt(client, institution, wallet)
    credential_id = await credential_id_of(web_node, exchange)
    _, read_token = await web_node.tokens.create(["read"])
    response = await client.get(f"/credentials/{credential_id}", headers={"Authorization": f"Bearer {read_token}"})
    stored = await response.json()
    assert response.status == 200, stored
    assert stored["type"] == ["EnvelopedVerifiableCredential"]
    assert stored["id"] == f"data:application/dc+sd-jwt,{sd_jwt}"
    # A Bitstring list no SD-JWT VC references is not served as a token.
    ldp_exchange = await institution.create("claim", {"credential": unsigned_badge()})
    access_token = await access(client, ldp_exchange)
    response = await request_credential(client, access_token, body(LDP, wallet.proof(await c_nonce(client))))
    credential = (await response.json())["credentials"][0]["credential"]
    list_url = credential["credentialStatus"]["statusListCredential"] if isinstance(
        credential["credentialStatus"], dict) else credential["credentialStatus"][0]["statusListCredential"]
    token_url = payload(sd_jwt)["status"]["status_list"]["uri"]
    if f"{list_url}/token" != token_url:
        response = await client.get(path(f"{list_url}/token"))
        assert response.status == 404
    response = await client.get("/status/nosuchlist/token")
    assert response.status == 404 and response.headers["Content-Type"] == "application/problem+json"


async def test_token_endpoint_still_refuses_for_the_sd_jwt_configuration(client: TestClient,
                                                                         institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    grant = (await offer(client, exchange))["grants"][GRANT]
    response = await token(client, grant["pre-authorized_code"], "000000" if exchange["txCode"] != "000000"
                           else "111111")
    await oauth_error(response, 400, "invalid_grant")
    access_token = await access(client, exchange)
    wallet = Wallet("did:jwk")
    response = await request_credential(client, access_token, body(SD_JWT, wallet.proof("not-a-nonce")))
    await oauth_error(response, 400, "invalid_nonce")
