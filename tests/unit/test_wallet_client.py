"""The Python holder client (``vcnode.exchanges.wallet``): every link form LCW v2.2.10 accepts, the
presentations it signs (checked by vcnode's own presentation verifier), and LCW's credential matching rules.

Interaction URLs are fetched from a real aiohttp server on 127.0.0.1; the exchange flows themselves are tested
end to end against the node's exchange routes (tests/interop)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from did_methods.key import KeyDriver
from tests.builders import badge
from vcnode.credentials import VerifyOptions, verify_presentation
from vcnode.did.resolver import Resolver
from vcnode.exchanges.wallet import (
    ExchangeError,
    HolderKey,
    LinkError,
    LinkTarget,
    WalletError,
    answer_request,
    compose_presentation,
    credential_matches_example,
    credentials_in,
    exchange_url_from_link,
    json_fetcher,
    legacy_presentation,
    matching_credentials,
)

SEED = bytes(range(32))
EXCHANGE = "https://issuer.example/workflows/claim/exchanges/x1"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
DID_AUTH = {"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}],
            "acceptedCryptosuites": [{"cryptosuite": "Ed25519Signature2020"}, {"cryptosuite": "eddsa-rdfc-2022"}]}


async def no_fetch(url: str) -> Any:
    raise AssertionError(f"this link form must not be fetched ({url})")


def resolve(link: str) -> LinkTarget:
    return asyncio.run(exchange_url_from_link(link, no_fetch))


# --- links ------------------------------------------------------------------------------------------------


@pytest.fixture
async def interactions() -> AsyncIterator[str]:
    """A server of interaction URLs: ``/interactions/{id}`` answers ``{"protocols": {"vcapi": …}}`` to a
    JSON GET (406 otherwise), ``/interactions/gone`` a problem, ``/interactions/oid4vp`` no vcapi."""
    async def interaction(request: web.Request) -> web.Response:
        name = request.match_info["id"]
        if request.headers.get("Accept") != "application/json":
            return web.Response(status=406, text="HTML page for people")
        if name == "gone":
            return web.json_response({"type": "urn:vcnode:problem:exchangeExpired", "title": "Gone",
                                      "detail": "the exchange expired", "code": "exchangeExpired"},
                                     status=410, content_type="application/problem+json")
        if name == "oid4vp":
            return web.json_response({"protocols": {"OID4VP": "openid4vp://?request_uri=x"}})
        return web.json_response({"protocols": {"vcapi": f"{EXCHANGE}/{name}"}})

    app = web.Application()
    app.router.add_get("/interactions/{id}", interaction)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/interactions"))
    finally:
        await server.close()


async def test_an_interaction_url_is_fetched_as_json_for_its_vcapi_url(interactions: str) -> None:
    async with aiohttp.ClientSession() as session:
        fetch = json_fetcher(session)
        plain = f"{interactions}/abc?iuv=1"
        for link in (plain, f"interaction:{plain}", f"interaction:{quote(plain, safe='')}", f"  {plain}\n"):
            assert await exchange_url_from_link(link, fetch) == LinkTarget("vcapi", f"{EXCHANGE}/abc"), link
        # LCW takes any URL with an iuv parameter for an interaction URL, whatever its value.
        target = await exchange_url_from_link(f"{interactions}/def?iuv=2", fetch)
        assert target.url == f"{EXCHANGE}/def"


async def test_an_interaction_url_without_vcapi_or_with_an_error_is_refused(interactions: str) -> None:
    async with aiohttp.ClientSession() as session:
        fetch = json_fetcher(session)
        with pytest.raises(LinkError, match="vcapi"):
            await exchange_url_from_link(f"{interactions}/oid4vp?iuv=1", fetch)
        with pytest.raises(ExchangeError) as raised:
            await exchange_url_from_link(f"{interactions}/gone?iuv=1", fetch)
        assert (raised.value.status, raised.value.code) == (410, "exchangeExpired")
        assert raised.value.problem is not None and raised.value.detail == "the exchange expired"
        with pytest.raises(LinkError, match="interaction URL"):
            await exchange_url_from_link("interaction:not a url", fetch)


def invitation(**extra: Any) -> dict[str, Any]:
    return {"credentialRequestOrigin": "https://issuer.example", "protocols": {"vcapi": EXCHANGE}, **extra}


@pytest.mark.parametrize("prefix", ["https://lcw.app/request", "https://lcw.app/request.html",
                                    "dccrequest://request", "org.dcconsortium://request", "https://lcw.app/mobile"])
def test_an_lcw_deep_link_carries_a_json_invitation(prefix: str) -> None:
    link = f"{prefix}?request={quote(json.dumps(invitation()), safe='')}"
    assert resolve(link) == LinkTarget("vcapi", EXCHANGE, origin="https://issuer.example")


def test_a_deep_link_request_is_decoded_twice_as_lcw_does() -> None:
    """LCW's query parser decodes the parameter (``+`` is a space), then decodeURI decodes it again: a '%'
    in the invitation must itself be encoded twice, and a bare '%' breaks the link (LCW ignores it)."""
    percent = invitation(note="100% sure")
    with pytest.raises(LinkError, match="decodeURI"):
        resolve(f"https://lcw.app/request?request={quote(json.dumps(percent), safe='')}")
    twice = quote(quote(json.dumps(percent), safe=" {}\":,/"), safe="")
    assert resolve(f"https://lcw.app/request?request={twice}").url == EXCHANGE
    # A URL with reserved escapes survives: decodeURI leaves %2F, %3F… encoded.
    encoded_url = f"{EXCHANGE}%2Fa%3Fb"
    link = f"https://lcw.app/request?request={quote(json.dumps(invitation(protocols={'vcapi': encoded_url})))}"
    assert resolve(link).url == encoded_url
    # An unencoded '+' is a space to the query parser.
    plus = json.dumps(invitation(protocols={"vcapi": EXCHANGE + "+x"}))
    assert resolve("https://lcw.app/request?request=" + plus.replace(" ", "")).url == EXCHANGE + " x"


def test_a_pasted_json_invitation_and_a_bare_exchange_url() -> None:
    assert resolve(json.dumps(invitation())).url == EXCHANGE
    # Not an LCW form (LCW would GET it as a credential): vcnode's client takes it for the exchange URL.
    assert resolve(EXCHANGE) == LinkTarget("vcapi", EXCHANGE)


def legacy_link(request_url: str, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"https://lcw.app/request?issuer=did:key:z6Mkissuer&{query}&vc_request_url={request_url}"


def test_the_legacy_credential_request_link() -> None:
    url = f"{EXCHANGE}/credential-request"
    target = resolve(legacy_link(quote(url, safe=""), auth_type="bearer", challenge="ch-9"))
    assert target == LinkTarget("legacy", url, challenge="ch-9", issuer="did:key:z6Mkissuer")
    assert resolve(legacy_link(url, auth_type="bearer")).challenge is None  # then the VP gets a random one
    # LCW reads only what lies between the first and the second '?': an unencoded query is cut off.
    assert resolve(legacy_link(url + "?token=t", auth_type="bearer")).url == url
    # auth_type defaults to "code", which LCW refuses.
    with pytest.raises(LinkError, match="auth_type"):
        resolve(legacy_link(quote(url, safe=""), challenge="ch-9"))
    with pytest.raises(LinkError, match="auth_type"):
        resolve(legacy_link(quote(url, safe=""), auth_type="code"))
    with pytest.raises(LinkError, match="vc_request_url"):
        resolve(legacy_link("ftp%3A%2F%2Fx", auth_type="bearer"))


@pytest.mark.parametrize("link", [
    "", "   ", "hello", "ftp://files.example/x", "did:key:z6Mk", "https://", "issuer.example/exchanges/1",
    "https://lcw.app/request?foo=1",                                     # a deep link without request
    "https://lcw.app/request?request=not-json",
    "https://lcw.app/request?request=" + quote(json.dumps({"hello": 1})),  # not a wallet message
    "https://lcw.app/request?request=" + quote(json.dumps({"protocols": {"OID4VCI": "openid-credential-offer://"}})),
    "https://lcw.app/request?request=" + quote(json.dumps({"protocols": {"vcapi": "javascript:alert(1)"}})),
    "https://lcw.app/request?request=" + quote(json.dumps({"verifiablePresentationRequest": {"query": []}})),
    "https://lcw.app/request?request=%E0%A4%A",                          # broken escapes
    '{"protocols": 5}', "{not json",
])
def test_junk_links_are_a_clear_error(link: str) -> None:
    with pytest.raises(LinkError) as raised:
        resolve(link)
    assert raised.value.code == "unsupportedLink" and raised.value.detail


# --- presentations ----------------------------------------------------------------------------------------


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def test_the_holder_is_a_did_key_from_its_seed() -> None:
    holder = HolderKey.from_seed(SEED)
    assert holder.did.startswith("did:key:z6Mk")
    assert holder.verification_method == f"{holder.did}#{holder.did.removeprefix('did:key:')}"
    assert HolderKey.from_seed(SEED) == holder and HolderKey.generate() != holder
    with pytest.raises(ValueError):
        HolderKey.from_seed(b"short")


async def report(presentation: dict[str, Any], resolver: Resolver, **options: Any) -> dict[str, Any]:
    return (await verify_presentation(presentation, resolver, VerifyOptions(**options))).to_json()


@pytest.mark.parametrize(("suite", "proof_type"), [("Ed25519Signature2020", "Ed25519Signature2020"),
                                                   ("eddsa-rdfc-2022", "DataIntegrityProof")])
async def test_a_did_auth_presentation_verifies_only_with_its_challenge_and_domain(
        suite: str, proof_type: str, resolver: Resolver) -> None:
    holder = HolderKey.from_seed(SEED)
    vp = compose_presentation(holder, challenge="ch-1", domain="issuer.example", suite=suite)
    # LCW's composeVp: the holder is the DID, no credentials, an authentication proof with both values.
    assert vp["holder"] == holder.did and "verifiableCredential" not in vp
    assert vp["proof"]["type"] == proof_type and vp["proof"]["proofPurpose"] == "authentication"
    assert (vp["proof"]["challenge"], vp["proof"]["domain"]) == ("ch-1", "issuer.example")
    assert vp["proof"]["verificationMethod"] == holder.verification_method

    good = await report(vp, resolver, challenge="ch-1", domain="issuer.example")
    assert good["verified"] is True, good["errors"]
    wrong_challenge = await report(vp, resolver, challenge="ch-2", domain="issuer.example")
    assert [e["code"] for e in wrong_challenge["errors"]] == ["challengeMismatch"]
    wrong_domain = await report(vp, resolver, challenge="ch-1", domain="evil.example")
    assert wrong_domain["verified"] is False and wrong_domain["errors"]
    tampered = copy.deepcopy(vp)
    tampered["holder"] = HolderKey.generate().did
    assert (await report(tampered, resolver, challenge="ch-1", domain="issuer.example"))["verified"] is False


def test_did_auth_without_challenge_or_domain_is_refused_like_lcw() -> None:
    holder = HolderKey.from_seed(SEED)
    for challenge, domain in ((None, "issuer.example"), ("ch-1", None), ("", "issuer.example"), (None, None)):
        with pytest.raises(WalletError, match="challenge"):
            compose_presentation(holder, challenge=challenge, domain=domain)
        with pytest.raises(WalletError, match="challenge"):
            answer_request({"query": [DID_AUTH], "challenge": challenge, "domain": domain}, holder)
    with pytest.raises(WalletError):
        compose_presentation(holder, did_auth=False)


async def test_the_legacy_presentation_has_a_challenge_and_no_domain(resolver: Resolver) -> None:
    holder = HolderKey.from_seed(SEED)
    vp = legacy_presentation(holder, "ch-legacy")
    assert vp["proof"]["challenge"] == "ch-legacy" and "domain" not in vp["proof"]
    assert (await report(vp, resolver, challenge="ch-legacy"))["verified"] is True
    assert (await report(vp, resolver, challenge="ch-other"))["verified"] is False
    assert legacy_presentation(holder)["proof"]["challenge"]  # a link without a challenge gets a random one


def owned_badge(holder: HolderKey, achievement: str = "https://hcp.example/achievements/daf") -> dict[str, Any]:
    credential = badge("did:key:z6MkissuerIssuer")
    credential["credentialSubject"]["id"] = holder.did
    credential["credentialSubject"]["achievement"]["id"] = achievement
    return credential


async def test_a_query_by_example_is_answered_with_the_matches_and_did_auth(resolver: Resolver) -> None:
    holder = HolderKey.from_seed(SEED)
    wanted, other = owned_badge(holder), owned_badge(holder, "https://hcp.example/achievements/other")
    query = {"type": "QueryByExample", "credentialQuery": {"reason": "to hire you", "example": {
        "type": ["OpenBadgeCredential"], "credentialSubject": {"achievement": {"id": wanted["credentialSubject"][
            "achievement"]["id"]}}}}}
    request = {"query": [query, DID_AUTH], "challenge": "ch-3", "domain": "employer.example"}
    vp = answer_request(request, holder, [other, wanted])
    assert vp["verifiableCredential"] == [wanted] and vp["holder"] == holder.did
    assert vp["proof"]["type"] == "Ed25519Signature2020"  # LCW's suite, accepted here
    # The credentials are unsigned test data, so only the presentation's own proof can be checked here.
    checked = await report(vp, resolver, challenge="ch-3", domain="employer.example")
    assert checked["results"]["proof"]["verified"] is True
    # Nothing matches but DID authentication is asked: LCW still sends its DIDAuth presentation.
    assert "verifiableCredential" not in answer_request(request, holder, [other])
    # Nothing matches and nothing else is asked: nothing to send.
    with pytest.raises(WalletError) as raised:
        answer_request({"query": query, "challenge": "ch-3", "domain": "employer.example"}, holder, [other])
    assert raised.value.code == "noMatchingCredentials"
    # Without DID authentication the presentation is unsigned (LCW's composeVp).
    unsigned = answer_request({"query": query}, holder, [wanted])
    assert "proof" not in unsigned and unsigned["verifiableCredential"] == [wanted]


def test_a_did_auth_request_chooses_among_accepted_suites_and_methods() -> None:
    holder = HolderKey.from_seed(SEED)
    base = {"challenge": "c", "domain": "d.example"}
    rdfc_only = {**DID_AUTH, "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}]}
    assert answer_request({**base, "query": [rdfc_only]}, holder)["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    forced = answer_request({**base, "query": [rdfc_only]}, holder, suite="Ed25519Signature2020")
    assert forced["proof"]["type"] == "Ed25519Signature2020"  # a forced suite is sent as is (to test servers)
    # A P-256 suite the node implements is skipped: the holder's key is Ed25519.
    p256_first = {**DID_AUTH, "acceptedCryptosuites": [{"cryptosuite": "ecdsa-jcs-2019"},
                                                      {"cryptosuite": "eddsa-jcs-2022"}]}
    assert answer_request({**base, "query": [p256_first]}, holder)["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    for names in (["ecdsa-rdfc-2019"], ["ecdsa-jcs-2019"]):
        unknown = {**DID_AUTH, "acceptedCryptosuites": [{"cryptosuite": name} for name in names]}
        with pytest.raises(WalletError) as raised:
            answer_request({**base, "query": [unknown]}, holder)
        assert raised.value.code == "unsupportedCryptosuite"
    web_only = {**DID_AUTH, "acceptedMethods": [{"method": "web"}]}
    with pytest.raises(WalletError) as raised:
        answer_request({**base, "query": [web_only]}, holder)
    assert raised.value.code == "unsupportedDidMethod"
    with pytest.raises(WalletError, match="more than one"):
        answer_request({**base, "query": [DID_AUTH, DID_AUTH]}, holder)
    for junk in (None, [], {"query": []}, {"query": [5]}):
        with pytest.raises(ExchangeError):
            answer_request(junk, holder)


def test_credentials_are_taken_from_a_credential_or_a_presentation() -> None:
    vc = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "id": "urn:x"}
    assert credentials_in(vc) == [vc]
    assert credentials_in({"type": ["VerifiablePresentation"], "verifiableCredential": vc}) == [vc]
    assert credentials_in({"type": "VerifiablePresentation", "verifiableCredential": [vc, vc]}) == [vc, vc]
    assert credentials_in({"type": ["VerifiablePresentation"]}) is None
    assert credentials_in({"code": "exchangeComplete"}) is None and credentials_in(None) is None


# --- LCW's matching rules ---------------------------------------------------------------------------------

# LCW's own test (test/credentials.test.ts, mocks from app/mock/credential.ts, trimmed): a VC 1.1 Assertion.
LCW_MOCK = {"@context": [VC_V1, "https://w3id.org/security/suites/ed25519-2020/v1", "https://w3id.org/dcc/v1",
                         "https://w3id.org/vc/status-list/2021/v1"],
            "type": ["VerifiableCredential", "Assertion"],
            "issuer": {"id": "did:key:z6MkhVTX9BF3NGYX6cc7jWpbNnR7cAjH8LUffabZP8Qu4ysC", "name": "Example University"},
            "credentialSubject": {"id": "did:key:z6MkhVTX9BF3NGYX6cc7jWpbNnR7cAjH8LUffabZP8Qu4ysC",
                                  "hasCredential": {"type": ["EducationalOccupationalCredential"],
                                                    "name": "GT Guide"}},
            "credentialStatus": {"type": "StatusList2021Entry", "statusListIndex": 2}}
OB3 = badge("did:key:z6MkissuerIssuer")

MATCHING_CASES = [
    # (example, credential, matches)
    ({"@context": [VC_V1], "type": ["VerifiableCredential"]}, LCW_MOCK, True),     # LCW's own test
    ({"type": ["OpenBadgeCredential"]}, OB3, True),
    ({"type": ["VerifiableCredential", "OpenBadgeCredential"]}, OB3, True),         # every value, any order
    ({"type": ["OpenBadgeCredential", "VerifiableCredential"]}, OB3, True),
    ({"type": ["OpenBadgeCredential", "AchievementCredential"]}, OB3, False),       # every value must be there
    ({"type": "OpenBadgeCredential"}, OB3, False),            # a string is a literal: not equal to an array
    ({"type": ["OpenBadgeCredential", "OpenBadgeCredential", "VerifiableCredential"]}, OB3, False),  # longer
    ({"issuer": {"id": OB3["issuer"]["id"]}}, OB3, True),                            # objects: recursive
    ({"issuer": {"id": "did:key:z6MkOther"}}, OB3, False),
    ({"issuer": {"id": "did:web:x"}}, {**OB3, "issuer": "did:web:x"}, False),        # a string issuer has no id
    ({"issuer": "did:web:x"}, {**OB3, "issuer": "did:web:x"}, True),
    ({"credentialSubject": {"achievement": {"id": OB3["credentialSubject"]["achievement"]["id"]}}}, OB3, True),
    ({"credentialSubject": {"achievement": {"id": OB3["credentialSubject"]["achievement"]["id"]}}},
     {**OB3, "credentialSubject": [OB3["credentialSubject"]]}, False),               # no path into arrays
    ({"credentialSubject": {"0": {"id": "did:example:learner-7"}}},
     {**OB3, "credentialSubject": [OB3["credentialSubject"]]}, True),                # …but by index
    ({"credentialSubject": {"achievement": {"creditsAvailable": 5}}}, OB3, True),
    ({"credentialSubject": {"achievement": {"creditsAvailable": 5.0}}}, OB3, True),  # numbers are numbers
    ({"credentialSubject": {"achievement": {"creditsAvailable": "5"}}}, OB3, False),  # no coercion
    ({"credentialStatus": {"statusListIndex": 2}}, LCW_MOCK, True),
    ({"flag": True}, {**OB3, "flag": 1}, False),                                     # booleans are not numbers
    ({"flag": 1}, {**OB3, "flag": True}, False),
    ({"flag": None}, {**OB3, "flag": None}, True),
    ({"missing": None}, OB3, False),                                                 # undefined !== null
    ({"nested": {}}, OB3, True),                                                     # empty object: vacuous
    ({}, OB3, True),
    ({"type": []}, OB3, True),                                                       # empty array: vacuous…
    ({"missing": []}, OB3, False),                                                   # …but must be an array
    ({"@context": [{"@vocab": "x"}]}, {**OB3, "@context": [{"@vocab": "x"}]}, False),  # objects in arrays: never
    ({"type": {"length": 2}}, OB3, True),                                            # own properties of arrays
    ({"name": {"length": 27}}, OB3, True),                                           # …and of strings
    ({"name": {"0": "D"}}, OB3, True),
]


@pytest.mark.parametrize(("example", "credential", "expected"), MATCHING_CASES)
def test_lcw_matching_rules(example: dict[str, Any], credential: dict[str, Any], expected: bool) -> None:
    assert credential_matches_example(example, credential) is expected


def test_matching_credentials_filters_by_a_query_example() -> None:
    v1 = {**LCW_MOCK, "id": "urn:1"}
    ob3 = {**OB3, "id": "urn:2"}
    query = {"type": "QueryByExample", "credentialQuery": {"example": {"type": ["VerifiableCredential"]}}}
    assert matching_credentials(query, [v1, ob3]) == [v1, ob3]
    query["credentialQuery"]["example"]["@context"] = [VC_V1]
    assert matching_credentials(query, [v1, ob3]) == [v1]
    # No example (a malformed request): LCW matches nothing. Nor does a credentialQuery array.
    assert matching_credentials({"type": "QueryByExample", "credentialQuery": {}}, [v1]) == []
    assert matching_credentials({"type": "QueryByExample", "credentialQuery": [{"example": {}}]}, [v1]) == []
