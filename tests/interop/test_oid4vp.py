"""OpenID4VP interop: the protocol layer of the Credo wallet framework (@openid4vc/openid4vp and @openid4vc/oauth2,
with `dcql` for matching, @sd-jwt/sd-jwt-vc and `jose`; tests/interop/oid4vp.mjs) answers a ``present`` exchange
of a real node on 127.0.0.1: it verifies the node's signed request object against the node's did:key, matches its
credential with `dcql`, and posts an SD-JWT VC with a key-binding JWT (or a Data Integrity presentation) to the
response URI; the node's report lands in the exchange. The same wallet's mistakes (wrong nonce or aud, no KB-JWT,
a tampered disclosure, a replayed response, a wrong state, a KB-JWT with ``alg: none``) get OAuth errors; a
credential that does not satisfy the query, a failed report. The node's DCQL matching agrees with `dcql` on a set
of queries and credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import badge
from tests.builders import did_key_signer as signer
from tests.interop.harness import run_harness
from tests.interop.test_lcw_exchanges import Served, key_node_templates, served
from vcnode.credentials import issue_credential
from vcnode.exchanges.query import CredentialQuery
from vcnode.keys.vault import Vault
from vcnode.oid4vp.dcql import dcql_query, match_problems

pytestmark = pytest.mark.interop
__all__ = ["key_node_templates"]

LEARNING = "urn:eu.europa.ec.eudi:learning:credential:1"
CLAIMS = {"vct": LEARNING, "title": "Data Science Fundamentals", "date_of_issuance": "2026-01-15",
          "learning_outcomes": ["statistics", "python"], "issuer_country": "NL"}


@pytest.fixture
async def employer(key_node_templates: dict[str, tuple[Path, Vault]], tmp_path: Path) -> AsyncIterator[Served]:
    async with served(key_node_templates["employer"], tmp_path / "employer") as node:
        yield node


async def wallet(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await asyncio.to_thread(run_harness, "oid4vp.mjs", jobs)


def sd_jwt_query(**extra: Any) -> dict[str, Any]:
    return {"query": {"format": "dc+sd-jwt", "vct": [LEARNING],
                      "claims": [{"path": ["title"]}, {"path": ["issuer_country"], "values": ["NL", "BE"]}],
                      **extra}}


async def test_credo_wallet_presents_an_sd_jwt_vc_over_openid4vp(employer: Served) -> None:
    exchanges = [await employer.create("present", {**sd_jwt_query(), "redirectUrl": "https://employer.example/ok"}),
                 await employer.create("present", sd_jwt_query())]
    for exchange in exchanges:
        assert exchange["protocols"]["OID4VP"] == exchange["links"]["oid4vp"]
        assert exchange["links"]["oid4vp"].startswith("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey")
    results = await wallet([
        {"op": "present", "link": x["links"]["oid4vp"], "credential": {"format": "dc+sd-jwt", "claims": CLAIMS,
                                                                        "issuerAlg": alg}}
        for x, alg in zip(exchanges, ["EdDSA", "ES256"], strict=True)])
    for exchange, result in zip(exchanges, results, strict=True):
        assert result["ok"], result
        assert result["steps"] == ["jar", "jarVerified", "matched", "submitted"], result
        assert result["clientId"] == f"decentralized_identifier:{employer.did}"
        assert result["clientPrefix"] == "decentralized_identifier" and result["version"] >= 26
        state = await employer.state(exchange)
        assert state["state"] == "complete", state
        report = state["result"]
        assert report["verified"] is True, report
        [credential] = report["credentials"]
        assert credential["format"] == "dc+sd-jwt" and credential["vct"] == LEARNING
        assert credential["issuer"] == result["issuer"] and credential["holderBinding"] == "passed"
        assert credential["matchesQuery"] is True and credential["claims"]["title"] == CLAIMS["title"]
        assert state["holder"].startswith("did:jwk:")
    assert results[0]["body"] == {"redirect_uri": "https://employer.example/ok"} and results[1]["body"] == {}


async def test_the_wallets_mistakes_get_oauth_errors_or_a_failed_report(employer: Served) -> None:
    attacks = ["wrongNonce", "wrongAud", "noKb", "staleKb", "algNone", "wrongState", "tamper", "replay"]
    exchanges = [await employer.create("present", sd_jwt_query()) for _ in attacks]
    results = await wallet([{"op": "present", "link": x["links"]["oid4vp"], "attack": attack,
                             "credential": {"format": "dc+sd-jwt", "claims": CLAIMS}}
                            for x, attack in zip(exchanges, attacks, strict=True)])
    outcome = dict(zip(attacks, results, strict=True))
    for attack, code in [("wrongNonce", "keyBindingNonceMismatch"), ("wrongAud", "keyBindingAudienceMismatch"),
                         ("noKb", "missingKeyBinding"), ("staleKb", "staleKeyBinding"),
                         ("algNone", "invalidKeyBinding"), ("tamper", "tamperedDisclosure")]:
        result = outcome[attack]
        assert result["status"] == 400 and result["body"]["error"] == "invalid_request", (attack, result)
        assert result["body"]["error_description"].startswith(code), (attack, result)
    assert outcome["wrongState"]["status"] == 400 and "state" in outcome["wrongState"]["body"]["error_description"]
    states = {attack: await employer.state(x) for attack, x in zip(attacks, exchanges, strict=True)}
    # The same response again finds the exchange complete.
    assert outcome["replay"]["status"] == 200 and outcome["replay"]["replay"]["status"] == 400
    assert "already answered" in outcome["replay"]["replay"]["body"]["error_description"]
    for attack in ["wrongNonce", "wrongAud", "noKb", "staleKb", "algNone", "wrongState", "tamper"]:
        assert states[attack]["state"] == "active", (attack, states[attack])
    assert states["wrongNonce"]["lastError"]["code"] == "keyBindingNonceMismatch"


async def test_a_credential_that_does_not_satisfy_the_query_gets_a_failed_report(employer: Served) -> None:
    exchange = await employer.create("present", sd_jwt_query())
    [result] = await wallet([{"op": "present", "link": exchange["links"]["oid4vp"],
                              "credential": {"format": "dc+sd-jwt", "claims": {**CLAIMS, "issuer_country": "FR"}}}])
    assert result["match"] is False and result["status"] == 200, result  # dcql agrees: it does not match
    report = (await employer.state(exchange))["result"]
    assert report["verified"] is False
    [credential] = report["credentials"]
    assert credential["proofVerified"] is True and credential["matchesQuery"] is False
    assert any(e["code"] == "queryMismatch" and "issuer_country" in e["message"] for e in credential["errors"])


# -- DCQL parity with the `dcql` package ------------------------------------------------------------------------

_QUERIES = [
    {"format": "dc+sd-jwt", "vct": [LEARNING]},
    {"format": "dc+sd-jwt", "vct": [LEARNING, "urn:other"], "claims": [{"path": ["title"]}]},
    {"format": "dc+sd-jwt", "vct": LEARNING, "claims": [{"path": ["learning_outcomes", None], "values": ["python"]}]},
    {"format": "dc+sd-jwt", "vct": LEARNING, "claims": [{"path": ["learning_outcomes", 1], "values": ["python"]}]},
    {"format": "dc+sd-jwt", "vct": LEARNING, "claims": [{"path": ["credits"], "values": [5]}]},
    {"format": "dc+sd-jwt", "vct": LEARNING, "issuer": "did:key:z6MkIssuer"},
    {"format": "dc+sd-jwt", "vct": LEARNING, "claims": [{"path": ["address", "country"], "values": ["NL"]}]},
    {"format": "dc+sd-jwt", "vct": LEARNING, "claims": [{"path": ["flag"], "values": [True]}]},
    {},
    {"issuer": "did:key:z6MkIssuer"},
    {"achievement": "urn:uuid:a1"},
    {"type": "AchievementCredential", "claims": [{"path": ["credentialSubject", "id"]}]},
]


def _sd(claims: dict[str, Any], vct: str = LEARNING) -> dict[str, Any]:
    return {"credential_format": "dc+sd-jwt", "vct": vct, "cryptographic_holder_binding": True,
            "claims": {"vct": vct, "iss": "did:key:z6MkIssuer", **claims}}


def _ob(types: list[str], issuer: str = "did:key:z6MkIssuer", achievement: str = "urn:uuid:a1",
        subject: dict[str, Any] | None = None) -> dict[str, Any]:
    credential = {"type": ["VerifiableCredential", *types], "issuer": {"id": issuer},
                  "credentialSubject": subject if subject is not None else {"achievement": {"id": achievement}}}
    return {"credential_format": "ldp_vc", "type": credential["type"], "cryptographic_holder_binding": True,
            "claims": credential}


_CREDENTIALS = [
    _sd({"title": "T", "learning_outcomes": ["stats", "python"], "credits": 5, "flag": True,
         "address": {"country": "NL"}}),
    _sd({"title": "T", "learning_outcomes": ["python"], "credits": "5", "flag": "true",
         "address": [{"country": "NL"}]}),
    _sd({"learning_outcomes": "python", "credits": 5.0}),
    _sd({"title": "T"}, vct="urn:other"),
    _sd({"title": "T"}, vct="urn:third"),
    {**_sd({"title": "T"}), "cryptographic_holder_binding": False},
    _ob(["OpenBadgeCredential"]),
    _ob(["OpenBadgeCredential"], issuer="did:key:z6MkOther", achievement="urn:uuid:a2"),
    _ob(["AchievementCredential"], subject={"id": "did:key:z6MkHolder", "achievement": {"id": "urn:uuid:a1"}}),
    _ob(["AchievementCredential"]),
]


async def test_dcql_matching_agrees_with_the_dcql_package() -> None:
    queries = [dcql_query(CredentialQuery.from_json(q)) for q in _QUERIES]
    results = await wallet([{"op": "match", "query": q, "credentials": _CREDENTIALS} for q in queries])
    disagreements = []
    for spec, query, result in zip(_QUERIES, queries, results, strict=True):
        ours = [not match_problems(query, c["credential_format"], c["claims"],
                                   holder_binding=c["cryptographic_holder_binding"]) for c in _CREDENTIALS]
        if ours != result["matches"]:
            disagreements.append((spec, ours, result["matches"]))
    assert not disagreements, disagreements
    assert any(any(r["matches"]) for r in results) and not all(all(r["matches"]) for r in results)


# -- Data Integrity presentations (ldp_vp) ----------------------------------------------------------------------

async def test_credo_wallet_presents_an_open_badge_as_ldp_vp(employer: Served) -> None:
    issuer_key, holder_key = signer(), signer()
    holder = holder_key.verification_method.split("#")[0]
    awarded = badge(issuer_key.verification_method.split("#")[0])
    awarded["credentialSubject"]["id"] = holder
    credential = issue_credential(awarded, issuer_key)
    good, wrong_domain = (await employer.create("present", {"query": {"issuer": credential["issuer"]["id"]}}),
                          await employer.create("present", {}))
    resolved = await wallet([{"op": "resolve", "link": x["links"]["oid4vp"]} for x in (good, wrong_domain)])
    assert resolved[0]["steps"] == ["jar", "jarVerified"], resolved
    assert resolved[0]["dcql"]["credentials"][0]["format"] == "ldp_vc"
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                "holder": holder, "verifiableCredential": [credential]}
    # Digital Bazaar's signer: for the request's client id, and (wrongly) for the node's VC API domain.
    signed = run_harness("dbvc.mjs", [
        {"op": "signPresentation", "suite": "eddsa-rdfc-2022", "presentation": unsigned,
         "challenge": r["nonce"], "domain": domain, "secretKeyMultibase": holder_key.key_pair.secret_multikey}
        for r, domain in zip(resolved, [resolved[0]["clientId"], employer.base], strict=True)])
    results = await wallet([{"op": "present", "link": x["links"]["oid4vp"],
                             "credential": {"format": "ldp_vc", "presentation": s["document"]}}
                            for x, s in zip((good, wrong_domain), signed, strict=True)])
    assert results[0]["ok"] and results[0]["match"], results[0]
    state = await employer.state(good)
    assert state["state"] == "complete" and state["holder"] == holder
    report = state["result"]
    assert report["verified"] is True, report
    assert report["credentials"][0]["matchesQuery"] is True and report["credentials"][0]["holderBinding"] == "passed"
    assert results[1]["status"] == 400 and results[1]["body"]["error"] == "invalid_request", results[1]
    assert results[1]["body"]["error_description"].startswith("domainMismatch"), results[1]
