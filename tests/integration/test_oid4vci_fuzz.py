"""Arbitrary requests never make the OpenID4VCI routes fail, and junk never issues a credential.

The token, nonce, credential and credential offer routes get junk forms (any parameters, repeated ones,
non-UTF-8 bytes, any content type), junk bearer tokens, junk credential requests and junk proof JWTs (random
headers and claims, really signed by a did:key or did:jwk key, with and without a valid access token). Every
answer is < 500; every 4xx of the OAuth endpoints but a rate limit is an OAuth error (``{"error",
"error_description"}``); a claim a wallet sent junk to is never ``complete`` and nothing is issued. Reuses the
exchange fuzz server (a real node on 127.0.0.1 in a background thread); bounded to seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.test_exchanges_fuzz import (
    EXCHANGE_FUZZ,
    ExchangeServer,
    exchange_ids,
    path,
    serving,
    unsigned_badge,
)
from tests.integration.test_vcapi_fuzz import content_types, encode, json_values, keys, wild_values
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.jose import sign_compact
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
FORM = "application/x-www-form-urlencoded"
ED = Ed25519KeyPair.generate()
P = P256KeyPair.generate()
KIDS = [f"{did_key_for(ED.public_multikey)}#{ED.public_multikey}", f"{did_jwk_for(P.public_jwk)}#0",
        did_key_for(ED.public_multikey), "did:web:example.edu#key-1", "did:key:z6Mk#x", "did:jwk:e30#0", "", "x"]


class OpenIdServer(ExchangeServer):
    """The exchange fuzz server with one claim redeemed for two access tokens (one granted authorisation
    details), and another claim's unredeemed code for junk authorisation details."""

    def prepare(self) -> None:
        self.claim = self.create("claim", {"credential": unsigned_badge()})
        self.access_token = self.redeem(self.claim)["access_token"]
        answer = self.redeem(self.claim, json.dumps([{"type": "openid_credential",
                                                      "credential_configuration_id": "OpenBadgeCredential_ldp_vc"}]))
        self.detailed_token = answer["access_token"]
        self.identifier = answer["authorization_details"][0]["credential_identifiers"][0]
        self.details_claim = self.create("claim", {"credential": unsigned_badge()})
        self.details_code = self.offer(self.details_claim)["grants"][GRANT]["pre-authorized_code"]
        self.issued_before = self.issued()

    def redeem(self, exchange: dict[str, Any], details: str | None = None) -> dict[str, Any]:
        code = self.offer(exchange)["grants"][GRANT]["pre-authorized_code"]
        form = {"grant_type": GRANT, "pre-authorized_code": code, "tx_code": exchange["txCode"]}
        if details is not None:
            form["authorization_details"] = details
        status, _, payload = self.request("POST", "/token", urlencode(form).encode(), {"Content-Type": FORM})
        assert status == 200, payload
        return json.loads(payload)

    def offer(self, exchange: dict[str, Any]) -> dict[str, Any]:
        [uri] = parse_qs(urlsplit(exchange["links"]["oid4vci"]).query)["credential_offer_uri"]
        status, _, payload = self.request("GET", path(uri))
        assert status == 200, payload
        return json.loads(payload)

    def nothing_issued(self) -> None:
        assert self.issued() == self.issued_before
        assert self.state(self.claim)["state"] == "active"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdServer]:
    yield from serving(OpenIdServer, tmp_path_factory, "oid4vci-fuzz")


params = st.sampled_from(["grant_type", "pre-authorized_code", "tx_code", "code", "client_id", "scope"]) | keys
param_values = st.sampled_from([GRANT, "", "000000", "123456", "x" * 600, "\u00e9", "%00", "a&b=c"]) \
    | st.text(max_size=40)
forms = st.one_of(
    st.lists(st.tuples(params, param_values), max_size=6).map(lambda pairs: urlencode(pairs).encode()),
    st.binary(max_size=300),
    st.builds(lambda n: b"grant_type=" + b"a" * n, st.integers(0, 40_000)),
    st.builds(encode, json_values),
)


@EXCHANGE_FUZZ
@given(body=forms, content_type=st.sampled_from([FORM, f"{FORM}; charset=utf-8", "application/json", ""])
       | content_types)
def test_junk_token_requests_are_oauth_errors(server: OpenIdServer, body: bytes, content_type: str) -> None:
    server.oauth("POST", "/token", body, {"Content-Type": content_type} if content_type else {})
    server.nothing_issued()


detail_items = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["openid_credential", "other"]) | wild_values,
    "credential_configuration_id": st.sampled_from(["OpenBadgeCredential_ldp_vc", "EUDILearningCredential_dc+sd-jwt",
                                                    "x"]) | wild_values,
    "locations": st.lists(st.sampled_from(["http://127.0.0.1:1", "https://issuer.example"]) | wild_values,
                          max_size=3) | wild_values,
    "claims": wild_values})
junk_details = st.one_of(st.text(max_size=60), st.builds(json.dumps, json_values),
                         st.builds(json.dumps, st.lists(detail_items | wild_values, max_size=10)))


@EXCHANGE_FUZZ
@given(details=junk_details)
def test_junk_authorization_details_in_token_requests_are_oauth_errors(server: OpenIdServer, details: str) -> None:
    """A real code with a wrong PIN and any authorisation details: an OAuth error, never a token."""
    form = {"grant_type": GRANT, "pre-authorized_code": server.details_code, "tx_code": "x",
            "authorization_details": details}
    status, _, payload = server.request("POST", "/token", urlencode(form).encode(), {"Content-Type": FORM})
    assert status in (400, 429), payload
    if status == 400:
        assert json.loads(payload)["error"] in ("invalid_authorization_details", "invalid_grant"), payload
    server.nothing_issued()


header_values = st.sampled_from(["openid4vci-proof+jwt", "JWT", "", None]) | json_values
claim_values = st.fixed_dictionaries({}, optional={
    "aud": st.sampled_from(["http://127.0.0.1:1", "https://issuer.example"]) | json_values,
    "iat": st.integers(-(2**40), 2**40) | st.just(int(time.time())) | json_values,
    "nonce": st.text(max_size=30) | json_values, "iss": json_values, "exp": json_values})


@st.composite
def proof_jwts(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["signed", "jwk", "text", "value"]))
    if kind == "text":
        return draw(st.text(max_size=200) | st.sampled_from(["e30.e30.", "a.b.c", "..", "x" * 10_000]))
    if kind == "value":
        return draw(wild_values)
    pair = draw(st.sampled_from([ED, P]))
    header: dict[str, Any] = {"typ": draw(header_values)}
    extra = draw(st.dictionaries(st.sampled_from(["crit", "b64", "x5c", "cty", "jku"]) | keys, json_values,
                                 max_size=2))
    header.update({k: v for k, v in extra.items() if k not in ("alg", "kid")})
    if kind == "jwk":
        header["jwk"] = draw(st.sampled_from([pair.public_jwk, {"kty": "OKP"}, {**pair.public_jwk, "d": "x"}])
                             | json_values)
        kid = None
    else:
        kid = draw(st.sampled_from(KIDS))
    try:
        return sign_compact(draw(claim_values), pair, kid=kid, header=header)
    except Exception:  # a header the signer refuses (joserfc checks registered members): send it as text
        return json.dumps(header)


requests = st.one_of(
    st.builds(lambda c, p: {"credential_configuration_id": c, "proofs": {"jwt": [p]}},
              st.sampled_from(["OpenBadgeCredential_ldp_vc", "EUDILearningCredential_dc+sd-jwt", "x", ""])
              | json_values, proof_jwts()),
    st.builds(lambda p: {"credential_configuration_id": "OpenBadgeCredential_ldp_vc",
                         "proof": {"proof_type": "jwt", "jwt": p}}, proof_jwts()),
    st.dictionaries(st.sampled_from(["credential_configuration_id", "proofs", "proof", "credential_identifier",
                                     "format"]) | keys, wild_values, max_size=4),
    wild_values,
)


@EXCHANGE_FUZZ
@given(body=requests | st.builds(lambda i, p: {"credential_identifier": i, "proofs": {"jwt": [p]}},
                                 st.text(max_size=60) | json_values, proof_jwts()),
       token=st.sampled_from(["valid", "detailed", "none", "junk"]), junk_token=st.text(max_size=80))
def test_junk_credential_requests_are_oauth_errors_and_issue_nothing(server: OpenIdServer, body: Any, token: str,
                                                                     junk_token: str) -> None:
    headers = {"Content-Type": "application/json"}
    if token in ("valid", "detailed"):
        headers["Authorization"] = f"Bearer {server.access_token if token == 'valid' else server.detailed_token}"
    elif token == "junk":
        headers["Authorization"] = quote(junk_token, safe=" ")
    server.oauth("POST", "/credential", encode(body), headers)
    server.nothing_issued()


@EXCHANGE_FUZZ
@given(exchange_id=exchange_ids, body=st.binary(max_size=100))
def test_junk_offers_and_nonces_never_fail(server: OpenIdServer, exchange_id: str, body: bytes) -> None:
    status, _, payload = server.request("GET", f"/workflows/claim/exchanges/{quote(exchange_id, safe='')}"
                                        "/credential-offer")
    assert status < 500 and status in (200, 404, 409, 410, 429), payload[:300]
    server.oauth("POST", "/nonce", body, {"Content-Type": "application/octet-stream"})
    server.nothing_issued()


@EXCHANGE_FUZZ
@given(segment=st.text(max_size=60) | st.sampled_from(["urn:eu.europa.ec.eudi:learning:credential:1", "..", "%2F"]),
       etag=st.text(max_size=60))
def test_junk_sd_jwt_vc_metadata_and_status_token_requests_never_fail(server: OpenIdServer, segment: str,
                                                                     etag: str) -> None:
    """The SD-JWT VC routes (type metadata, issuer keys, Status List Tokens) answer junk ids with a 4xx."""
    quoted = quote(segment, safe=":")
    headers = {"If-None-Match": quote(etag, safe=' "')}
    for route in (f"/.well-known/vct/{quoted}", f"/status/{quoted}/token", "/.well-known/jwt-vc-issuer"):
        status, _, payload = server.request("GET", route, None, headers)
        assert status < 500 and status in (200, 304, 404, 405, 429), f"{route} -> {status} {payload[:300]!r}"
    server.nothing_issued()
