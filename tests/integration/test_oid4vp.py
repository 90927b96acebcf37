"""OpenID4VP 1.0 over ``present`` exchanges: the node's real app on 127.0.0.1, a real store and keys. The
wallet's SD-JWT VCs and key-binding JWTs are made with the project's SD-JWT and JOSE code (the independent
wallet, @openid4vc/openid4vp with @sd-jwt/sd-jwt-vc, is in tests/interop/test_oid4vp.py). Every refusal of the
OpenID routes is an OAuth error (``{"error", "error_description"}``), never problem+json."""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge, did_key_signer
from tests.integration.test_exchanges_http import Institution, path
from vcnode.credentials import create_presentation, issue_credential
from vcnode.did.self_certifying import did_jwk_for
from vcnode.jose import read_header, verify_with_did
from vcnode.keys.p256 import P256KeyPair
from vcnode.node import Node
from vcnode.sdjwt.issue import issue_sd_jwt_vc
from vcnode.sdjwt.present import key_binding_jwt, present_sd_jwt_vc, sd_hash, select_disclosures

LEARNING = "urn:eu.europa.ec.eudi:learning:credential:1"
FORM = "application/x-www-form-urlencoded"
SD_QUERY = {"query": {"format": "dc+sd-jwt", "vct": LEARNING,
                      "claims": [{"path": ["title"]}, {"path": ["issuer_country"], "values": ["NL"]}]}}


@pytest.fixture
async def employer(client: TestClient, web_node: Node) -> Institution:
    _, token = await web_node.tokens.create(["exchange"])
    return Institution(client, token)


def link_params(exchange: dict[str, Any]) -> dict[str, str]:
    link = exchange["links"]["oid4vp"]
    assert link.startswith("openid4vp://?") and exchange["protocols"]["OID4VP"] == link
    return {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}


async def request_claims(client: TestClient, node: Node, exchange: dict[str, Any]) -> dict[str, Any]:
    """Fetch the request object, check it the way a wallet does (signed by the client id's DID), its claims."""
    params = link_params(exchange)
    response = await client.get(path(params["request_uri"]))
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("application/oauth-authz-req+jwt")
    jar = await response.text()
    header = read_header(jar)
    assert header["typ"] == "oauth-authz-req+jwt"
    did = params["client_id"].removeprefix("decentralized_identifier:")
    verified = await verify_with_did(jar, node.resolver, did=did)
    claims = verified.claims()
    assert claims["client_id"] == params["client_id"] and header["kid"].startswith(did + "#")
    return claims


class Wallet:
    """A holder with a P-256 key and an SD-JWT VC from a did:key issuer."""

    def __init__(self, claims: dict[str, Any] | None = None) -> None:
        self.key = P256KeyPair.generate()
        self.issuer = did_key_signer()
        self.claims = claims or {"title": "Data Science", "issuer_country": "NL", "credits": 5}
        did = self.issuer.verification_method.split("#")[0]
        self.sd_jwt = issue_sd_jwt_vc(self.claims, self.issuer.signer, issuer=did,
                                      kid=self.issuer.verification_method, vct=LEARNING,
                                      holder_jwk=self.key.public_jwk)

    def present(self, request: dict[str, Any], **kb: Any) -> str:
        options = {"aud": request["client_id"], "nonce": request["nonce"], **kb}
        return present_sd_jwt_vc(self.sd_jwt, disclose={name: True for name in self.claims}, holder=self.key,
                                 **options)


async def respond(client: TestClient, request: dict[str, Any], presentation: Any, *,
                  state: str | None = None, raw: str | None = None) -> tuple[int, dict[str, Any]]:
    vp_token = raw if raw is not None else orjson.dumps({"credential": [presentation]}).decode()
    response = await client.post(path(request["response_uri"]), data={
        "vp_token": vp_token, "state": request["state"] if state is None else state})
    body = await response.json(content_type=None)
    if response.status != 200:
        assert response.headers["Content-Type"].startswith("application/json"), response.headers
        assert isinstance(body["error"], str) and isinstance(body["error_description"], str), body
    return response.status, body


async def test_the_request_object_is_signed_by_the_node_and_bound_to_the_exchange(
        client: TestClient, web_node: Node, employer: Institution) -> None:
    exchange = await employer.create("present", SD_QUERY)
    assert exchange["links"]["oid4vp"].startswith(
        "openid4vp://?client_id=decentralized_identifier%3A" + web_node.identities.default_did.replace(":", "%3A"))
    claims = await request_claims(client, web_node, exchange)
    assert claims["response_type"] == "vp_token" and claims["response_mode"] == "direct_post"
    assert claims["response_uri"] == exchange["exchangeUrl"] + "/openid4vp/response"
    assert claims["dcql_query"] == {"credentials": [{
        "id": "credential", "format": "dc+sd-jwt", "meta": {"vct_values": [LEARNING]},
        "claims": [{"path": ["title"]}, {"path": ["issuer_country"], "values": ["NL"]}]}]}
    assert claims["iss"] == web_node.identities.default_did and claims["exp"] > time.time()
    assert (await employer.state(exchange))["state"] == "active"
    again = await client.post(path(link_params(exchange)["request_uri"]), data={"wallet_nonce": "x"})
    assert again.status == 200
    ob = await employer.create("present", {"query": {"issuer": "did:key:z6MkI", "achievement": "urn:uuid:a"}})
    entry = (await request_claims(client, web_node, ob))["dcql_query"]["credentials"][0]
    assert entry["format"] == "ldp_vc" and entry["meta"]["type_values"][-1] == ["OpenBadgeCredential"]
    assert entry["claims"] == [{"path": ["issuer", "id"], "values": ["did:key:z6MkI"]},
                               {"path": ["credentialSubject", "achievement", "id"], "values": ["urn:uuid:a"]}]
    qr = await client.get(path(exchange["qrOid4vp"]["svg"]))
    assert qr.status == 200 and qr.content_type == "image/svg+xml"
    protocols = await client.get(path(exchange["interactionUrl"]), headers={"Accept": "application/json"})
    assert (await protocols.json())["protocols"]["OID4VP"] == exchange["links"]["oid4vp"]


async def test_an_sd_jwt_vc_presentation_completes_the_exchange(client: TestClient, web_node: Node,
                                                                 employer: Institution) -> None:
    exchange = await employer.create("present", {**SD_QUERY, "redirectUrl": "https://hr.example/done",
                                                 "recognition": True})
    request = await request_claims(client, web_node, exchange)
    wallet = Wallet()
    status, body = await respond(client, request, wallet.present(request))
    assert (status, body) == (200, {"redirect_uri": "https://hr.example/done"})
    state = await employer.state(exchange)
    assert state["state"] == "complete" and state["holder"] == did_jwk_for(wallet.key.public_jwk)
    result = state["result"]
    assert result["verified"] is True, result
    [credential] = result["credentials"]
    assert credential["holderBinding"] == "passed" and credential["matchesQuery"] is True
    assert credential["claims"]["credits"] == 5
    assert credential["issuer"] == wallet.issuer.verification_method.split("#")[0]
    assert result["recognition"][0]["basis"] == "issuer"
    # The same response again: the exchange is complete.
    status, body = await respond(client, request, wallet.present(request))
    assert status == 400 and body["error"] == "invalid_request" and "already answered" in body["error_description"]


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


def _alg_none(presentation: str, request: dict[str, Any]) -> str:
    """The presentation with its KB-JWT replaced by an unsigned one (built by hand: no JOSE library makes one)."""
    head, _, _ = presentation.rpartition("~")
    claims = {"iat": int(time.time()), "aud": request["client_id"], "nonce": request["nonce"],
              "sd_hash": sd_hash(head + "~")}
    return f"{head}~{_b64({'alg': 'none', 'typ': 'kb+jwt'})}.{_b64(claims)}."


async def test_a_wrong_key_binding_is_refused_and_the_exchange_stays_open(client: TestClient, web_node: Node,
                                                                         employer: Institution) -> None:
    exchange = await employer.create("present", SD_QUERY)
    request = await request_claims(client, web_node, exchange)
    wallet = Wallet()
    cases = {
        "keyBindingNonceMismatch": wallet.present(request, nonce="another"),
        "keyBindingAudienceMismatch": wallet.present(request, aud="decentralized_identifier:did:example:x"),
        "staleKeyBinding": wallet.present(request, iat=int(time.time()) - 3600),
        "missingKeyBinding": select_disclosures(wallet.sd_jwt, {"title": True}),
        "invalidKeyBinding": _alg_none(wallet.present(request), request),
    }
    for code, presentation in cases.items():
        status, body = await respond(client, request, presentation)
        assert status == 400 and body["error"] == "invalid_request", (code, body)
        assert body["error_description"].startswith(code), (code, body)
    state = await employer.state(exchange)
    assert state["state"] == "active" and state["attempts"] == len(cases)
    assert state["lastError"]["code"] == "invalidKeyBinding"
    # The right presentation still completes it.
    assert await respond(client, request, wallet.present(request)) == (200, {})


async def test_what_the_credential_is_goes_into_a_failed_report(client: TestClient, web_node: Node,
                                                               employer: Institution) -> None:
    exchanges = [await employer.create("present", SD_QUERY) for _ in range(2)]
    requests = [await request_claims(client, web_node, x) for x in exchanges]
    wallet = Wallet()
    # A disclosure changed after issuance (the holder re-signs the KB-JWT over it): it binds no holder, refused.
    presentation = select_disclosures(wallet.sd_jwt, {name: True for name in wallet.claims})
    parts = presentation.split("~")
    salt, name, _ = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=="))
    parts[1] = _b64([salt, name, "forged"])
    forged = "~".join(parts)
    forged += key_binding_jwt(forged, wallet.key, aud=requests[0]["client_id"], nonce=requests[0]["nonce"])
    status, body = await respond(client, requests[0], forged)
    assert status == 400 and body["error_description"].startswith("tamperedDisclosure"), body
    # Another issuer's signature over the same payload: refused alike.
    jwt, _, rest = wallet.present(requests[0]).partition("~")
    header, payload, _ = jwt.split(".")
    resigned = f"{header}.{payload}.{_b64('x')}~{rest}"
    status, body = await respond(client, requests[0], resigned)
    assert status == 400 and body["error_description"].startswith("invalidSignature"), body
    assert (await employer.state(exchanges[0]))["state"] == "active"
    # A genuine credential that does not satisfy the DCQL query (issuer_country FR): a failed report.
    other = Wallet({"title": "T", "issuer_country": "FR"})
    assert await respond(client, requests[1], other.present(requests[1])) == (200, {})
    mismatch = (await employer.state(exchanges[1]))["result"]
    assert mismatch["verified"] is False
    [credential] = mismatch["credentials"]
    assert credential["proofVerified"] is True and credential["matchesQuery"] is False
    assert [e["code"] for e in credential["errors"]] == ["queryMismatch"]


async def test_an_ldp_vp_signed_for_the_client_id_completes_the_exchange(client: TestClient, web_node: Node,
                                                                         employer: Institution) -> None:
    issuer, holder = did_key_signer(), did_key_signer()
    holder_did = holder.verification_method.split("#")[0]
    awarded = badge(issuer.verification_method.split("#")[0])
    awarded["credentialSubject"]["id"] = holder_did
    credential = issue_credential(awarded, issuer)
    exchanges = [await employer.create("present", {"query": {"issuer": credential["issuer"]["id"]}}),
                 await employer.create("present", {"query": {"achievement": "urn:uuid:not-this-one"}})]
    requests = [await request_claims(client, web_node, x) for x in exchanges]
    vc_api_domain = create_presentation([credential], holder, challenge=requests[0]["nonce"],
                                        domain="http://127.0.0.1:8080")
    status, body = await respond(client, requests[0], vc_api_domain)
    assert status == 400 and body["error_description"].startswith("domainMismatch"), body
    for request in requests:
        vp = create_presentation([credential], holder, challenge=request["nonce"], domain=request["client_id"])
        assert await respond(client, request, vp) == (200, {})
    good, mismatch = [(await employer.state(x))["result"] for x in exchanges]
    assert good["verified"] is True and good["holder"] == holder_did, good
    assert mismatch["verified"] is False and mismatch["credentials"][0]["matchesQuery"] is False


async def test_junk_responses_and_unknown_exchanges_are_oauth_errors(client: TestClient, web_node: Node,
                                                                     employer: Institution) -> None:
    exchange = await employer.create("present", SD_QUERY)
    request = await request_claims(client, web_node, exchange)
    wallet = Wallet()
    cases = [
        ({"state": "unknown"}, "invalid_request", "state"),
        ({"raw": "not json"}, "invalid_request", "vp_token"),
        ({"raw": orjson.dumps({"other": ["x~"]}).decode()}, "invalid_request", "credential"),
        ({"raw": orjson.dumps({"credential": ["a~", "b~"]}).decode()}, "invalid_request", "exactly one"),
        ({"raw": orjson.dumps({"credential": ["eyJhbGciOiJFUzI1NiJ9.e30.sig"]}).decode()},
         "vp_formats_not_supported", "SD-JWT"),
        ({"raw": orjson.dumps({"credential": [5]}).decode()}, "vp_formats_not_supported", "presentation"),
        ({"raw": ""}, "invalid_request", "missing"),
    ]
    for extra, error, words in cases:
        status, body = await respond(client, request, None, **extra)
        assert status == 400 and body["error"] == error and words in body["error_description"], (extra, body)
    response = await client.post(path(request["response_uri"]), json={"vp_token": {}})
    assert response.status == 400 and (await response.json())["error"] == "invalid_request"
    unknown = request["response_uri"].replace(exchange["id"], "nope")
    response = await client.post(path(unknown), data={"vp_token": "{}", "state": "x"})
    assert response.status == 400 and (await response.json())["error"] == "invalid_request"
    claim_request = path(link_params(exchange)["request_uri"]).replace(exchange["id"], "nope")
    response = await client.get(claim_request)
    assert response.status == 400 and (await response.json())["error"] == "invalid_request_uri"
    # The wallet declining: noted, answered 200.
    response = await client.post(path(request["response_uri"]), data={
        "error": "access_denied", "error_description": "the learner said no", "state": request["state"]})
    assert response.status == 200
    state = await employer.state(exchange)
    assert state["state"] == "active" and state["lastError"]["code"] == "walletError"
    assert await respond(client, request, wallet.present(request)) == (200, {})


async def test_the_unsigned_redirect_uri_form_is_for_configured_nodes_only(client: TestClient, web_node: Node,
                                                                           employer: Institution) -> None:
    variables = {**SD_QUERY, "openid4vp": {"clientIdPrefix": "redirect_uri"}}
    response = await client.post("/workflows/present/exchanges", headers=employer.auth(),
                                 json={"variables": variables})
    assert response.status == 400 and "oid4vp_allow_redirect_uri" in (await response.json())["detail"]
    web_node.config = dataclasses.replace(web_node.config, oid4vp_allow_redirect_uri=True)
    exchange = await employer.create("present", variables)
    params = link_params(exchange)
    assert params["client_id"] == "redirect_uri:" + params["response_uri"] and "request_uri" not in params
    request = {**params, "dcql_query": orjson.loads(params["dcql_query"])}
    refused = await client.get(path(exchange["exchangeUrl"] + "/openid4vp/request"))
    assert refused.status == 400 and (await refused.json())["error"] == "invalid_request_uri"
    wallet = Wallet()
    assert await respond(client, request, wallet.present(request)) == (200, {})
    assert (await employer.state(exchange))["result"]["verified"] is True
