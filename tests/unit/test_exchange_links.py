"""Exchange links and QR codes (vcnode.exchanges.links) and Query by Example matching (vcnode.exchanges.query)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from vcnode.errors import InvalidInput
from vcnode.exchanges.links import exchange_links, origin, qr_png, qr_svg
from vcnode.exchanges.query import CredentialQuery, matches_example

BASE = "https://poly.example/vc/"


def test_every_link_form_names_the_same_exchange() -> None:
    links = exchange_links(BASE, "claim", "abc_-123", challenge="c h/al", issuer="did:web:poly.example")
    assert links.exchange_url == "https://poly.example/vc/workflows/claim/exchanges/abc_-123"
    assert links.interaction_url == "https://poly.example/vc/interactions/abc_-123?iuv=1"
    assert links.interaction_scheme == "interaction:" + links.interaction_url
    lcw = urlsplit(links.lcw)
    assert f"{lcw.scheme}://{lcw.netloc}{lcw.path}" == "https://lcw.app/request"
    message = json.loads(parse_qs(lcw.query)["request"][0])
    offer_uri = quote(links.exchange_url + "/credential-offer", safe="")
    offer = f"openid-credential-offer://?credential_offer_uri={offer_uri}"
    assert message == {"credentialRequestOrigin": "https://poly.example",
                       "protocols": {"vcapi": links.exchange_url, "OID4VCI": offer}}
    assert links.oid4vci == offer and links.qr_text("oid4vci") == offer
    legacy = parse_qs(urlsplit(links.lcw_legacy or "").query)
    assert legacy == {"issuer": ["did:web:poly.example"], "auth_type": ["bearer"], "challenge": ["c h/al"],
                      "vc_request_url": [links.exchange_url + "/credential-request"]}
    assert set(links.to_json()["links"]) == {"interaction", "lcw", "lcwLegacy", "oid4vci"}


def test_a_presentation_request_has_no_legacy_link() -> None:
    links = exchange_links(BASE, "present", "x")
    assert links.lcw_legacy is None and "lcwLegacy" not in links.to_json()["links"]
    assert links.oid4vci is None and "OID4VCI" not in links.protocols and "oid4vci" not in links.to_json()["links"]


def test_ids_are_escaped_in_urls() -> None:
    links = exchange_links(BASE, "claim", "a/b?c")
    assert links.exchange_url.endswith("/exchanges/a%2Fb%3Fc")
    assert links.interaction_url.endswith("/interactions/a%2Fb%3Fc?iuv=1")


def test_origin_is_the_domain_wallets_sign_for() -> None:
    assert origin("https://poly.example:8443/vc") == "https://poly.example:8443"
    assert origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_qr_codes_are_real_images() -> None:
    png = qr_png("https://poly.example/interactions/abc?iuv=1")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 200
    root = ElementTree.fromstring(qr_svg("https://poly.example/interactions/abc?iuv=1"))
    assert root.tag.endswith("svg")


BADGE = {"type": ["VerifiableCredential", "OpenBadgeCredential"],
         "issuer": {"id": "did:web:poly.example", "name": "Poly"},
         "credentialSubject": {"achievement": {"id": "https://poly.example/a/1", "name": "SQL"}}}


@pytest.mark.parametrize(("example", "matches"), [
    ({"type": ["OpenBadgeCredential"]}, True),
    ({"type": ["OpenBadgeCredential", "VerifiableCredential"]}, True),  # every value, in any order
    ({"type": ["OpenBadgeCredential", "Other"]}, False),
    ({"type": "OpenBadgeCredential"}, False),  # a literal against an array is not equal
    ({"issuer": {"id": "did:web:poly.example"}}, True),  # objects match member by member
    ({"issuer": {"id": "did:web:other.example"}}, False),
    ({"issuer": "did:web:poly.example"}, False),  # the issuer is an object here
    ({"credentialSubject": {"achievement": {"id": "https://poly.example/a/1"}}}, True),
    ({"credentialSubject": {"achievement": {"id": "https://poly.example/a/2"}}}, False),
    ({"missing": {"x": 1}}, False),
    ({}, True),
])
def test_query_by_example_matches_like_the_learner_credential_wallet(example: dict, matches: bool) -> None:
    assert matches_example(example, BADGE) is matches


def test_credential_query_builds_the_example_and_refuses_junk() -> None:
    query = CredentialQuery.from_json({"issuer": "did:web:poly.example", "achievement": "https://poly.example/a/1"})
    assert matches_example(query.example(), BADGE)
    assert query.request()["type"] == "QueryByExample" and "reason" in query.request()["credentialQuery"]
    assert CredentialQuery.from_json(None).example() == {"type": ["OpenBadgeCredential"]}
    for junk in ([], {"type": 3}, {"issuer": ""}, {"nope": "x"}, {"reason": "x" * 5000}):
        with pytest.raises(InvalidInput):
            CredentialQuery.from_json(junk)
