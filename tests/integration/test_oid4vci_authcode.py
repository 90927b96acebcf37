"""OpenID4VCI authorisation code flow with PKCE S256 and ``issuer_state`` over claim exchanges: the node's real
app on 127.0.0.1 and a real store. The test plays the wallet and the learner's browser: it sends the
authorisation request, reads the login page's form (hidden fields, CSRF token, cookie), types the claim's code,
follows the redirect to get ``code`` and redeems it at ``/token`` with the verifier."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_exchanges_http import BASE, Institution, unsigned_badge
from tests.integration.test_oid4vci import (
    GRANT,
    LDP,
    SD_JWT,
    Wallet,
    c_nonce,
    details,
    identifier_body,
    oauth_error,
    offer,
    proofs,
    request_credential,
)
from vcnode.http.oid4vci_routes import OPENID_ISSUER_KEY
from vcnode.node import Node

AUTH = "authorization_code"
REDIRECT = "https://wallet.example/cb"
CLIENT = "test-wallet"


@pytest.fixture
async def institution(client: TestClient, web_node: Node) -> Institution:
    _, token = await web_node.tokens.create(["exchange"])
    return Institution(client, token)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action")
        if tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"] or ""] = values.get("value") or ""


def form_of(page: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(page)
    assert parser.action == "authorize", page
    return parser.fields


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


async def login_claim(institution: Institution, grants: list[str] | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"credential": unsigned_badge()}
    variables["oid4vci"] = {"grants": grants or [AUTH]}
    return await institution.create("claim", variables)


def request_params(issuer_state: str, challenge: str, /, **changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
                                     "code_challenge": challenge, "code_challenge_method": "S256",
                                     "state": "wallet-state-1", "issuer_state": issuer_state,
                                     "scope": "OpenBadgeCredential", "resource": BASE, **changes}
    return {name: value for name, value in params.items() if value is not None}


async def login_page(client: TestClient, params: dict[str, str]) -> dict[str, str]:
    response = await client.get("/authorize", params=params)
    page = await response.text()
    assert response.status == 200, page
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "form-action 'self'" in policy
    assert "<script" not in page and "src=" not in page and "href=" not in page  # nothing loaded from elsewhere
    return form_of(page)


async def submit(client: TestClient, fields: dict[str, str], login_code: str) -> Any:
    return await client.post("/authorize", data={**fields, "login_code": login_code}, allow_redirects=False)


def redirected(response: Any) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def authorisation_code(client: TestClient, exchange: dict[str, Any], challenge: str,
                             **changes: str | None) -> str:
    issuer_state = (await offer(client, exchange))["grants"][AUTH]["issuer_state"]
    fields = await login_page(client, request_params(issuer_state, challenge, **changes))
    response = await submit(client, fields, exchange["txCode"])
    assert response.status == 303, await response.text()
    answer = redirected(response)
    assert answer["state"] == "wallet-state-1" and answer["iss"] == BASE
    return answer["code"]


async def redeem(client: TestClient, code: str, verifier: str, **changes: str | None) -> Any:
    form: dict[str, str | None] = {"grant_type": AUTH, "code": code, "redirect_uri": REDIRECT,
                                   "code_verifier": verifier, "client_id": CLIENT, **changes}
    return await client.post("/token", data={name: value for name, value in form.items() if value is not None})


async def test_metadata_announces_the_authorisation_code_flow(client: TestClient) -> None:
    server = await (await client.get("/.well-known/oauth-authorization-server")).json()
    assert server["authorization_endpoint"] == f"{BASE}/authorize"
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["response_types_supported"] == ["code"]
    assert set(server["grant_types_supported"]) == {AUTH, GRANT}
    assert server["authorization_details_types_supported"] == ["openid_credential"]


async def test_offer_carries_the_grants_the_claim_asks_for(client: TestClient, institution: Institution) -> None:
    only_login = await offer(client, await login_claim(institution))
    assert set(only_login["grants"]) == {AUTH}
    assert only_login["grants"][AUTH]["issuer_state"]
    both = await offer(client, await login_claim(institution, [GRANT, AUTH]))
    assert set(both["grants"]) == {AUTH, GRANT}
    default = await offer(client, await institution.create("claim", {"credential": unsigned_badge()}))
    assert set(default["grants"]) == {GRANT}
    response = await institution.client.post("/workflows/claim/exchanges", headers=institution.auth(),
                                              json={"variables": {"credential": unsigned_badge(),
                                                                  "oid4vci": {"grants": ["implicit"]}}})
    assert response.status == 400


async def test_full_flow_issues_the_badge(client: TestClient, institution: Institution) -> None:
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    code = await authorisation_code(client, exchange, challenge)
    response = await redeem(client, code, verifier)
    body = await response.json()
    assert response.status == 200, body
    assert body["token_type"] == "Bearer"
    assert (await institution.state(exchange))["state"] == "active"
    wallet = Wallet("did:jwk")
    response = await request_credential(client, body["access_token"], proofs(wallet.proof(await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    assert issued["credentials"][0]["credential"]["credentialSubject"]["id"] == wallet.did
    assert (await institution.state(exchange))["state"] == "complete"
    # The claim is complete: its login page says so and redirects nowhere.
    issuer_state = f"{exchange['id']}." + "A" * 22
    response = await client.get("/authorize", params=request_params(issuer_state, challenge))
    assert response.status == 400 and "Location" not in response.headers


async def test_code_reuse_is_refused_and_revokes_the_token(client: TestClient, institution: Institution) -> None:
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    code = await authorisation_code(client, exchange, challenge)
    token = (await (await redeem(client, code, verifier)).json())["access_token"]
    await oauth_error(await redeem(client, code, verifier), 400, "invalid_grant")
    response = await request_credential(client, token, proofs(Wallet().proof(await c_nonce(client))))
    await oauth_error(response, 401, "invalid_token")


@pytest.mark.parametrize("change", [{"code_verifier": "x" * 43}, {"redirect_uri": REDIRECT + "/other"},
                                    {"client_id": "another-wallet"}])
async def test_binding_mismatch_spends_the_code(client: TestClient, institution: Institution,
                                                change: dict[str, str]) -> None:
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    code = await authorisation_code(client, exchange, challenge)
    await oauth_error(await redeem(client, code, verifier, **change), 400, "invalid_grant")
    await oauth_error(await redeem(client, code, verifier), 400, "invalid_grant")  # spent


async def test_token_request_refusals(client: TestClient, institution: Institution) -> None:
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    code = await authorisation_code(client, exchange, challenge)
    await oauth_error(await redeem(client, code, verifier, code_verifier=None), 400, "invalid_request")
    await oauth_error(await redeem(client, code, verifier, redirect_uri=None), 400, "invalid_request")
    await oauth_error(await redeem(client, code, "short"), 400, "invalid_request")
    await oauth_error(await redeem(client, "not-a-code", verifier), 400, "invalid_grant")
    await oauth_error(await redeem(client, code, verifier, client_secret="s"), 401, "invalid_client")
    response = await client.post("/token", data={"grant_type": "client_credentials"})
    await oauth_error(response, 400, "unsupported_grant_type")
    # None of these spent the code.
    assert (await redeem(client, code, verifier)).status == 200


async def test_wrong_code_and_attempt_limit_shared_with_the_pin(client: TestClient, institution: Institution,
                                                                 web_node: Node) -> None:
    exchange = await login_claim(institution, [GRANT, AUTH])
    wrong = str((int(exchange["txCode"]) + 1) % 1_000_000).zfill(6)
    limit = web_node.config.oid4vci_tx_code_attempts
    # One wrong PIN at /token counts against the login page too.
    grant = (await offer(client, exchange))["grants"][GRANT]
    response = await client.post("/token", data={"grant_type": GRANT, "pre-authorized_code":
                                                 grant["pre-authorized_code"], "tx_code": wrong})
    await oauth_error(response, 400, "invalid_grant")
    _, challenge = pkce()
    issuer_state = (await offer(client, exchange))["grants"][AUTH]["issuer_state"]
    fields = await login_page(client, request_params(issuer_state, challenge))
    for attempt in range(1, limit):
        response = await submit(client, fields, wrong)
        page = await response.text()
        assert response.status == 400 and "Location" not in response.headers
        assert f"Attempts left: {limit - attempt - 1}." in page
        fields = form_of(page)
    response = await submit(client, fields, exchange["txCode"])  # right, but too late
    assert response.status == 303
    answer = redirected(response)
    assert answer["error"] == "access_denied" and "code" not in answer


async def test_csrf_missing_or_wrong(client: TestClient, institution: Institution) -> None:
    exchange = await login_claim(institution)
    _, challenge = pkce()
    issuer_state = (await offer(client, exchange))["grants"][AUTH]["issuer_state"]
    fields = await login_page(client, request_params(issuer_state, challenge))
    without = {name: value for name, value in fields.items() if name != "csrf_token"}
    response = await submit(client, without, exchange["txCode"])
    assert response.status == 403 and "Location" not in response.headers
    response = await submit(client, {**fields, "csrf_token": fields["csrf_token"][:-2] + "AA"}, exchange["txCode"])
    assert response.status == 403
    # A token for another request (another code challenge) does not fit this one.
    response = await submit(client, {**fields, "code_challenge": pkce()[1]}, exchange["txCode"])
    assert response.status == 403
    # Another browser (no cookie) cannot post the form, even with the right token.
    client.session.cookie_jar.clear()
    response = await submit(client, fields, exchange["txCode"])
    assert response.status == 403
    # None of these was counted as a wrong code, and the form still works in the right browser.
    fields = await login_page(client, request_params(issuer_state, challenge))
    assert (await submit(client, fields, exchange["txCode"])).status == 303


@pytest.mark.parametrize(("changes", "error"), [
    ({"code_challenge_method": None}, "invalid_request"),
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "short"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "SomethingElse"}, "invalid_scope"),
    ({"resource": "https://elsewhere.example"}, "invalid_target"),
    ({"scope": None, "authorization_details": json.dumps([{"type": "openid_credential",
                                                          "credential_configuration_id": "nope"}])},
     "invalid_authorization_details"),
])
async def test_request_errors_are_redirected_once_the_uri_is_checked(
        client: TestClient, institution: Institution, changes: dict[str, str | None], error: str) -> None:
    exchange = await login_claim(institution)
    issuer_state = (await offer(client, exchange))["grants"][AUTH]["issuer_state"]
    response = await client.get("/authorize", params=request_params(issuer_state, pkce()[1], **changes),
                                allow_redirects=False)
    assert response.status == 302, await response.text()
    answer = redirected(response)
    assert answer["error"] == error and answer["state"] == "wallet-state-1" and answer["iss"] == BASE


@pytest.mark.parametrize("changes", [
    {"redirect_uri": "javascript:alert(1)"}, {"redirect_uri": "http://wallet.example/cb"},
    {"redirect_uri": "https://wallet.example/cb#frag"}, {"redirect_uri": None}, {"redirect_uri": "/relative"},
    {"redirect_uri": "data:text/html,x"}, {"client_id": None},
    {"issuer_state": None}, {"issuer_state": "unknown.AAAAAAAAAAAAAAAAAAAAAA"},
])
async def test_unsafe_requests_get_a_page_never_a_redirect(client: TestClient, institution: Institution,
                                                           changes: dict[str, str | None]) -> None:
    exchange = await login_claim(institution)
    issuer_state = (await offer(client, exchange))["grants"][AUTH]["issuer_state"]
    response = await client.get("/authorize", params=request_params(issuer_state, pkce()[1], **changes),
                                allow_redirects=False)
    assert response.status == 400, await response.text()
    assert "Location" not in response.headers and response.content_type == "text/html"


async def test_claim_without_login_refuses_the_page(client: TestClient, institution: Institution) -> None:
    exchange = await institution.create("claim", {"credential": unsigned_badge()})
    # A genuine issuer_state of a claim that did not ask for a login: a 400 page.
    issuer_state = await client.app[OPENID_ISSUER_KEY].authorization.issuer_state(exchange["id"])
    response = await client.get("/authorize", params=request_params(issuer_state, pkce()[1]),
                                allow_redirects=False)
    assert response.status == 400 and "Location" not in response.headers


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["response_type", "client_id", "redirect_uri", "code_challenge",
                                               "code_challenge_method", "state", "issuer_state", "scope",
                                               "authorization_details", "resource", "login_code", "csrf_token"]),
                              _text, max_size=12),
       post=st.booleans())
async def test_fuzzed_authorize_requests_never_fail_the_server(client: TestClient, params: dict[str, str],
                                                               post: bool) -> None:
    if post:
        response = await client.post("/authorize", data=urlencode(params), allow_redirects=False,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = await client.get("/authorize", params=params, allow_redirects=False)
    assert response.status < 500, await response.text()
    if response.status in (302, 303):
        assert urlsplit(response.headers["Location"]).scheme in ("https", "http")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(["code", "redirect_uri", "code_verifier", "client_id",
                                             "client_secret"]), _text, max_size=5))
async def test_fuzzed_authorization_code_token_requests_are_oauth_errors(client: TestClient,
                                                                         form: dict[str, str]) -> None:
    response = await client.post("/token", data=urlencode({"grant_type": AUTH, **form}),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    body = await response.json()
    assert response.status in (400, 401) and body["error"] in ("invalid_request", "invalid_grant",
                                                               "invalid_client"), body


async def test_authorization_details_approved_at_login_are_granted_with_credential_identifiers(
        client: TestClient, institution: Institution) -> None:
    """authorization_details at /authorize are bound to the code; the token response echoes them with
    credential_identifiers (OID4VCI 1.0 section 6.2) and the credential request names one of those."""
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    code = await authorisation_code(client, exchange, challenge, scope=None,
                                    authorization_details=details(SD_JWT, locations=[BASE]))
    # The token request may narrow the approved details, never widen them (RFC 9396 section 6.1).
    await oauth_error(await redeem(client, code, verifier, authorization_details=details(LDP)), 400,
                      "invalid_authorization_details")
    response = await redeem(client, code, verifier)  # the refusal did not spend the code
    body = await response.json()
    assert response.status == 200, body
    [granted] = body["authorization_details"]
    assert granted["credential_configuration_id"] == SD_JWT and granted["type"] == "openid_credential"
    [identifier] = granted["credential_identifiers"]
    access_token = body["access_token"]
    await oauth_error(await request_credential(client, access_token, {"credential_configuration_id": SD_JWT,
                                                                      "proofs": {"jwt": ["x"]}}),
                      400, "invalid_credential_request")
    await oauth_error(await request_credential(client, access_token, identifier_body("unknown", "x")), 400,
                      "unknown_credential_identifier")
    wallet = Wallet("did:key")
    response = await request_credential(client, access_token,
                                        identifier_body(identifier, wallet.proof(await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    assert issued["credentials"][0]["credential"].endswith("~")
    assert (await institution.state(exchange))["state"] == "complete"


async def test_token_request_authorization_details_after_a_scope_login(client: TestClient,
                                                                       institution: Institution) -> None:
    """A login by scope, then authorization_details in the token request: granted within what the claim offers;
    the token is then bound to the identifier (credential_configuration_id refused)."""
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    code = await authorisation_code(client, exchange, challenge)
    await oauth_error(await redeem(client, code, verifier, authorization_details=details("Other")), 400,
                      "invalid_authorization_details")
    body = await (await redeem(client, code, verifier, authorization_details=details(LDP))).json()
    [identifier] = body["authorization_details"][0]["credential_identifiers"]
    await oauth_error(await request_credential(client, body["access_token"], proofs("x")), 400,
                      "invalid_credential_request")
    wallet = Wallet("did:jwk")
    response = await request_credential(client, body["access_token"],
                                        identifier_body(identifier, wallet.proof(await c_nonce(client))))
    issued = await response.json()
    assert response.status == 200, issued
    assert issued["credentials"][0]["credential"]["credentialSubject"]["id"] == wallet.did


async def test_a_scope_only_flow_has_no_authorization_details(client: TestClient, institution: Institution) -> None:
    exchange = await login_claim(institution)
    verifier, challenge = pkce()
    body = await (await redeem(client, await authorisation_code(client, exchange, challenge), verifier)).json()
    assert "authorization_details" not in body and body["access_token"]


async def test_the_login_page_speaks_the_wallets_language(client: TestClient, institution: Institution) -> None:
    exchange = await login_claim(institution)
    _, challenge = pkce()
    issuer_state = (await offer(client, exchange))["grants"][AUTH]["issuer_state"]
    params = request_params(issuer_state, challenge)
    # The browser prefers Hong Kong Chinese: the page is in it, and says so in <html lang>.
    response = await client.get("/authorize", params=params, headers={"Accept-Language": "zh-HK,en;q=0.5"})
    page = await response.text()
    assert '<html lang="zh-Hant-HK">' in page and "領取你的憑證" in page and "你的代碼" in page
    # The wallet's ui_locales wins over the browser; the answer to the form keeps the form's language.
    response = await client.get("/authorize", params={**params, "ui_locales": "fr zh-Hant"},
                                headers={"Accept-Language": "en"})
    fields = form_of(await response.text())
    assert fields["ui_lang"] == "zh-Hant-HK"
    response = await submit(client, fields, "000000" if exchange["txCode"] != "000000" else "111111")
    page = await response.text()
    assert response.status == 400 and "代碼不正確。尚餘嘗試次數" in page
    # A request the page refuses is explained in the language too, with the wallet's technical detail.
    response = await client.get("/authorize", params={**params, "issuer_state": "x" * 30},
                                headers={"Accept-Language": "zh-HK"})
    assert "此連結不屬於此發出機構的任何憑證。" in await response.text()
