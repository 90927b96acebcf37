"""Arbitrary requests never make the OpenID4VP routes fail, and junk never completes a presentation request.

The request-object and response routes get junk forms (any parameters, repeated ones, non-UTF-8 bytes, any
content type), junk ``state`` values and junk ``vp_token`` values: JSON of any shape, SD-JWT-looking strings with
really signed junk JWTs and KB-JWTs (a did:key or a P-256 key), and presentations. Every answer is < 500; every
4xx but a rate limit is an OAuth error; the exchange a wallet sent junk to is never ``complete``. Reuses the
exchange fuzz server (a real node on 127.0.0.1 in a background thread); bounded to seconds.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.test_exchanges_fuzz import EXCHANGE_FUZZ, ExchangeServer, path, serving
from tests.integration.test_vcapi_fuzz import content_types, encode, json_values, keys, wild_values
from vcnode.did.self_certifying import did_key_for
from vcnode.jose import sign_compact
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair

FORM = "application/x-www-form-urlencoded"
ED = Ed25519KeyPair.generate()
P = P256KeyPair.generate()
KID = f"{did_key_for(ED.public_multikey)}#{ED.public_multikey}"


class VerifierServer(ExchangeServer):
    """The exchange fuzz server with one SD-JWT VC presentation request whose request object was fetched."""

    def prepare(self) -> None:
        self.exchange = self.create("present", {"query": {"format": "dc+sd-jwt", "vct": "urn:x"}})
        self.ldp = self.create("present", {})
        [uri] = parse_qs(urlsplit(self.exchange["links"]["oid4vp"]).query)["request_uri"]
        status, _, payload = self.request("GET", path(uri))
        assert status == 200, payload
        claims = json.loads(_b64decode(payload.decode().split(".")[1]))
        self.state_value, self.nonce, self.client_id = claims["state"], claims["nonce"], claims["client_id"]
        self.response_path = path(claims["response_uri"])

    def nothing_completed(self) -> None:
        assert self.state(self.exchange)["state"] == "active"
        assert self.state(self.ldp)["state"] in ("pending", "active")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VerifierServer]:
    yield from serving(VerifierServer, tmp_path_factory, "oid4vp-fuzz")


@st.composite
def jwts(draw: st.DrawFn, typ: str) -> str:
    pair = draw(st.sampled_from([ED, P]))
    claims = draw(st.fixed_dictionaries({}, optional={
        "iss": st.sampled_from([did_key_for(ED.public_multikey), "did:web:x"]) | json_values,
        "vct": st.just("urn:x") | json_values, "iat": st.just(int(time.time())) | json_values,
        "aud": json_values, "nonce": json_values, "sd_hash": json_values, "_sd": json_values,
        "cnf": st.just({"jwk": P.public_jwk}) | json_values, "status": json_values}))
    header = {"typ": draw(st.sampled_from([typ, "JWT", ""]) | json_values)}
    try:
        return sign_compact(claims, pair, kid=draw(st.sampled_from([KID, None, "x"])), header=header)
    except Exception:  # a header the signer refuses: send it as text
        return json.dumps(header)


sd_jwts = st.builds(lambda jwt, disclosures, kb: "~".join([jwt, *disclosures, kb]),
                    jwts("dc+sd-jwt"), st.lists(st.text(max_size=30) | st.just("WyJzIiwiYSIsMV0"), max_size=3),
                    jwts("kb+jwt") | st.just("") | st.text(max_size=20))
presentations = sd_jwts | wild_values | st.text(max_size=100)
vp_tokens = st.one_of(
    st.builds(lambda p: json.dumps({"credential": [p]}), presentations),
    st.builds(lambda p: json.dumps({"credential": p}), presentations),
    st.builds(json.dumps, json_values),
    st.text(max_size=200),
)


@EXCHANGE_FUZZ
@given(vp_token=vp_tokens, state=st.none() | st.just("RIGHT") | st.text(max_size=30))
def test_junk_vp_tokens_are_oauth_errors(server: VerifierServer, vp_token: str, state: str | None) -> None:
    form = {"vp_token": vp_token}
    if state is not None:
        form["state"] = server.state_value if state == "RIGHT" else state
    server.oauth("POST", server.response_path, urlencode(form).encode(), {"Content-Type": FORM})
    server.nothing_completed()


params = st.sampled_from(["vp_token", "state", "error", "error_description", "wallet_nonce", "id_token"]) | keys
forms = st.one_of(
    st.lists(st.tuples(params, st.text(max_size=40)), max_size=6).map(lambda pairs: urlencode(pairs).encode()),
    st.binary(max_size=300),
    st.builds(encode, json_values),
)


@EXCHANGE_FUZZ
@given(body=forms, content_type=st.sampled_from([FORM, "application/json", ""]) | content_types,
       route=st.sampled_from(["response", "request", "response-other", "request-other"]))
def test_junk_forms_on_both_routes_are_oauth_errors(server: VerifierServer, body: bytes, content_type: str,
                                                    route: str) -> None:
    base = server.response_path.rsplit("/", 1)[0]
    if route.endswith("-other"):
        base = base.replace(server.exchange["id"], server.ldp["id"][::-1])
    target = f"{base}/{route.split('-')[0]}"
    server.oauth("POST", target, body, {"Content-Type": content_type} if content_type else {})
    server.nothing_completed()
