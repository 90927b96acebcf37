"""SD-JWT VC: issuing with type-metadata disclosure rules, presenting with key binding, and every refusal as an
attacker (or a careless issuer) would try it — tampered, duplicated, misplaced or reserved disclosures, forged
and wrongly typed issuer JWTs, missing, replayed, stale or re-targeted key-binding JWTs — plus the OB 3.0 →
EUDI learning-credential mapping and status through Token Status Lists. Each refusal has its own code."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from tests.builders import badge
from vcnode.credentials.report import Report
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_key_for
from vcnode.errors import InvalidInput
from vcnode.jose import sign_compact, verify_with_did
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.signer import KeyPair
from vcnode.sdjwt import (
    LEARNING_CREDENTIAL_VCT,
    SdJwtVcOptions,
    TypeMetadata,
    issue_learning_credential,
    issue_sd_jwt_vc,
    key_binding_jwt,
    learning_credential_claims,
    learning_credential_type_metadata,
    present_sd_jwt_vc,
    select_disclosures,
    verify_sd_jwt_vc,
)
from vcnode.status.check import FetchedList, StatusChecker, StatusListError
from vcnode.status.token_list import new_status_list, set_status, sign_status_list_token, status_claim

AUD = "decentralized_identifier:did:web:employer.example"
NONCE = "n-0S6_WzA2Mj"
PAIRS = [P256KeyPair, Ed25519KeyPair]


class Issuer:
    """A did:key identity that signs."""

    def __init__(self, pair_class: type = P256KeyPair) -> None:
        self.pair: KeyPair = pair_class.generate()
        self.did = did_key_for(self.pair.public_multikey)
        self.kid = f"{self.did}#{self.pair.public_multikey}"

    def issue(self, claims: dict[str, Any], holder: KeyPair | None = None, **kwargs: Any) -> str:
        return issue_sd_jwt_vc(claims, self.pair, issuer=self.did, kid=self.kid, vct=kwargs.pop("vct", "urn:test:vc"),
                               holder_jwk=holder.public_jwk if holder else None, **kwargs)

    def forge(self, payload: dict[str, Any], disclosures: list[str], header: dict[str, Any] | None = None) -> str:
        """An SD-JWT whose issuer JWT this issuer really signed, with whatever payload and disclosures."""
        jwt = sign_compact(payload, self.pair, kid=self.kid, header={"typ": "dc+sd-jwt", **(header or {})})
        return "~".join([jwt, *disclosures, ""])


def b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def digest(disclosure: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode()).digest()).rstrip(b"=").decode()


def payload_of(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split("~")[0].split(".")[1] + "=="))


def codes(result: Any) -> list[str]:
    return [error.code for error in result.report.errors]


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


async def verify(token: Any, resolver: Resolver, **options: Any) -> Any:
    return await verify_sd_jwt_vc(token, resolver, SdJwtVcOptions(**options))


# --- issuing and presenting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("issuer_class", PAIRS)
@pytest.mark.parametrize("holder_class", PAIRS)
async def test_issue_present_and_verify(resolver: Resolver, issuer_class: type, holder_class: type) -> None:
    issuer, holder = Issuer(issuer_class), holder_class.generate()
    token = issuer.issue({"given_name": "Zoë", "grade": "A", "address": {"locality": "Cork", "country": "IE"}},
                         holder, status=status_claim(3, "https://issuer.example/status/1"), exp=int(time.time()) + 60)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": issuer.pair.alg, "typ": "dc+sd-jwt", "kid": issuer.kid}
    payload = payload_of(token)
    assert {"iss", "iat", "exp", "vct", "cnf", "status", "_sd", "_sd_alg"} == set(payload)  # the rest disclosable
    assert payload["cnf"] == {"jwk": holder.public_jwk} and payload["_sd_alg"] == "sha-256"

    issued = await verify(token, resolver)
    assert issued.verified, issued.report.to_json()
    assert issued.claims["address"] == {"locality": "Cork", "country": "IE"} and issued.claims["given_name"] == "Zoë"
    assert issued.report.results["status"] == {"checked": False, "reason": "status not checked by this verifier"}

    presented = present_sd_jwt_vc(token, disclose={"grade": True, "address": {"locality": True}}, holder=holder,
                                  aud=AUD, nonce=NONCE)
    result = await verify(presented, resolver, audience=AUD, nonce=NONCE)
    assert result.verified, result.report.to_json()
    assert "given_name" not in result.claims and result.claims["address"] == {"locality": "Cork"}
    assert sorted(result.disclosed) == ["address", "address.locality", "grade"]
    assert result.key_binding["aud"] == AUD and result.holder_key.jwk == holder.public_jwk
    assert result.to_json()["credential"]["claims"]["grade"] == "A"


def test_type_metadata_decides_what_is_disclosable() -> None:
    issuer = Issuer()
    metadata = TypeMetadata.from_document({"vct": "urn:test:vc", "claims": [
        {"path": ["title"], "sd": "never"}, {"path": ["outcomes"], "sd": "always"},
        {"path": ["outcomes", None], "sd": "never"}, {"path": ["skills"], "sd": "never"},
        {"path": ["skills", None], "sd": "always"}]})
    token = issuer.issue({"title": "Welding", "outcomes": ["a", "b"], "skills": ["x", "y"], "note": "n"},
                         metadata=metadata, decoys=True)
    payload = payload_of(token)
    assert payload["title"] == "Welding" and "outcomes" not in payload and "note" not in payload
    assert [set(item) for item in payload["skills"]] == [{"..."}, {"..."}]  # each element its own disclosure
    disclosures = [json.loads(base64.urlsafe_b64decode(d + "==")) for d in token.split("~")[1:-1]]
    assert [d[1:] for d in disclosures if len(d) == 3 and d[1] == "outcomes"] == [["outcomes", ["a", "b"]]]
    assert len(payload["_sd"]) >= 2 + 2  # outcomes, note and 2-5 decoys
    with pytest.raises(InvalidInput):
        issuer.issue({"title": "x"}, metadata=metadata, vct="urn:other")
    for reserved in ("iss", "cnf", "status", "vct", "_sd", "iat"):
        with pytest.raises(InvalidInput):
            issuer.issue({reserved: "x"})
    with pytest.raises(InvalidInput):
        issuer.issue({"nested": {"_sd": ["x"]}})


async def test_select_disclosures_and_key_binding_by_hand(resolver: Resolver) -> None:
    issuer, holder = Issuer(), Ed25519KeyPair.generate()
    token = issuer.issue({"a": 1, "b": 2, "c": 3}, holder)
    assert select_disclosures(token, None) == token
    assert select_disclosures(token, {}).count("~") == 1
    presentation = select_disclosures(token, {"b": True})
    signed = presentation + key_binding_jwt(presentation, holder, aud=AUD, nonce=NONCE)
    result = await verify(signed, resolver, audience=AUD, nonce=NONCE)
    assert result.verified and {k: result.claims.get(k) for k in "abc"} == {"a": None, "b": 2, "c": None}
    with pytest.raises(InvalidInput):
        present_sd_jwt_vc(token, holder=holder, aud=AUD)  # no nonce


# --- disclosures -----------------------------------------------------------------------------------------------


async def test_a_tampered_disclosure_is_refused(resolver: Resolver) -> None:
    issuer = Issuer()
    token = issuer.issue({"grade": "C", "name": "Zoë"})
    jwt, *disclosures, _ = token.split("~")
    changed = [b64([json.loads(base64.urlsafe_b64decode(d + "=="))[0], "grade", "A+"])
               if json.loads(base64.urlsafe_b64decode(d + "=="))[1] == "grade" else d for d in disclosures]
    result = await verify("~".join([jwt, *changed, ""]), resolver)
    assert codes(result) == ["tamperedDisclosure"] and result.claims is None
    # A disclosure from another credential of the same issuer is refused the same way.
    other = issuer.issue({"grade": "A+"}).split("~")[1]
    assert codes(await verify("~".join([jwt, *disclosures, other, ""]), resolver)) == ["tamperedDisclosure"]


@pytest.mark.parametrize(("disclosure", "message"), [
    ("not base64!", "base64url"),
    (b64(b"not json"), "JSON"),
    (b64({"salt": "s", "name": "x"}), "[salt, name, value]"),
    (b64(["salt"]), "[salt, name, value]"),
    (b64(["salt", "a", "b", "c"]), "[salt, name, value]"),
    (b64([1, "name", "value"]), "[salt, name, value]"),
    (b64(["salt", 7, "value"]), "7"),
    (b64(["salt", "_sd", ["x"]]), "_sd"),
    (b64(["salt", "...", "x"]), "..."),
    (b64(["salt", "x", "y"]) + "=", "base64url"),
    ("", "empty"),
])
async def test_malformed_disclosures_are_refused(resolver: Resolver, disclosure: str, message: str) -> None:
    issuer = Issuer()
    payload = {"iss": issuer.did, "iat": int(time.time()), "vct": "urn:test:vc", "_sd": [digest(disclosure)]}
    token = "~".join([issuer.forge(payload, [])[:-1], disclosure, ""])
    result = await verify(token, resolver)
    assert codes(result) == ["invalidDisclosure"], result.report.to_json()
    assert message in result.report.errors[0].message


async def test_disclosures_that_break_the_payload_are_refused(resolver: Resolver) -> None:
    """Only the issuer can put a digest into the signed payload, so these need a careless (or hostile) issuer:
    the verifier must still refuse each ambiguity rather than pick a reading."""
    issuer = Issuer()
    base = {"iss": issuer.did, "iat": int(time.time()), "vct": "urn:test:vc"}
    named = b64(["salt1", "grade", "A"])
    element = b64(["salt2", "A"])
    status = b64(["salt3", "status", {"status_list": {"idx": 0, "uri": "https://x.example/s"}}])
    cases = {
        "duplicateDigest": issuer.forge({**base, "_sd": [digest(named), digest(named)]}, [named]),
        "duplicateDigest ": issuer.forge({**base, "list": [{"...": digest(element)}, {"...": digest(element)}]},
                                         [element]),
        "duplicateDisclosure": issuer.forge({**base, "_sd": [digest(named)]}, [named, named]),
        "clear and disclosed": issuer.forge({**base, "grade": "B", "_sd": [digest(named)]}, [named]),
        "element in an object": issuer.forge({**base, "_sd": [digest(element)]}, [element]),
        "property in an array": issuer.forge({**base, "list": [{"...": digest(named)}]}, [named]),
        "status disclosed": issuer.forge({**base, "_sd": [digest(status)]}, [status]),
        "_sd not a list": issuer.forge({**base, "_sd": digest(named)}, [named]),
        "digest not a string": issuer.forge({**base, "_sd": [7]}, []),
    }
    outcomes = {name: codes(await verify(token, resolver)) for name, token in cases.items()}
    assert outcomes == {"duplicateDigest": ["duplicateDigest"], "duplicateDigest ": ["duplicateDigest"],
                        "duplicateDisclosure": ["duplicateDisclosure"], "clear and disclosed": ["invalidDisclosure"],
                        "element in an object": ["invalidDisclosure"], "property in an array": ["invalidDisclosure"],
                        "status disclosed": ["invalidDisclosure"], "_sd not a list": ["invalidDisclosure"],
                        "digest not a string": ["invalidDisclosure"]}
    # Decoys and undisclosed digests are fine; recursive disclosures are put back.
    inner = b64(["salt4", "locality", "Cork"])
    outer = b64(["salt5", "address", {"_sd": [digest(inner)]}])
    nested = issuer.forge({**base, "_sd": [digest(outer), digest(b64(["decoy", "x", 1]))]}, [outer, inner])
    result = await verify(nested, resolver)
    assert result.verified and result.claims["address"] == {"locality": "Cork"}
    deep = {"_sd": []}
    for _ in range(40):
        deep = {"x": deep}
    assert codes(await verify(issuer.forge({**base, "deep": deep}, []), resolver)) == ["invalidDisclosure"]


# --- the issuer's JWT ------------------------------------------------------------------------------------------


async def test_the_issuer_jwt_is_checked(resolver: Resolver) -> None:
    issuer, impostor = Issuer(), Issuer(Ed25519KeyPair)
    now = int(time.time())
    base = {"iss": issuer.did, "iat": now, "vct": "urn:test:vc"}
    token = issuer.issue({"grade": "A"})
    jwt = token.split("~")[0]
    header, body, signature = jwt.split(".")
    forged_body = b64({**payload_of(token), "vct": "urn:test:other"})
    cases = {
        "signature": f"{header}.{forged_body}.{signature}~",
        "alg none": f"{b64({'alg': 'none', 'typ': 'dc+sd-jwt', 'kid': issuer.kid})}.{body}.~",
        "iss": issuer.forge({**base, "iss": impostor.did}, []),
        "no vct": issuer.forge({k: v for k, v in base.items() if k != "vct"}, []),
        "typ": issuer.forge(base, [], {"typ": "JWT"}),
        "sd_alg": issuer.forge({**base, "_sd_alg": "sha-512"}, []),
        "expired": issuer.forge({**base, "exp": now - 3600}, []),
        "not yet": issuer.forge({**base, "nbf": now + 3600}, []),
        "iat string": issuer.forge({**base, "iat": "yesterday"}, []),
        "no kid": "~".join([sign_compact(base, issuer.pair, header={"typ": "dc+sd-jwt"}), ""]),
    }
    outcomes = {name: codes(await verify(token, resolver)) for name, token in cases.items()}
    assert outcomes == {"signature": ["invalidSignature"], "alg none": ["unsupportedAlgorithm"],
                        "iss": ["issuerMismatch"], "no vct": ["missingVct"], "typ": ["invalidTyp"],
                        "sd_alg": ["unsupportedDigestAlgorithm"], "expired": ["expired"], "not yet": ["notYetValid"],
                        "iat string": ["invalidTime"], "no kid": ["missingKid"]}
    assert codes(await verify(token, resolver, issuer=impostor.did)) == ["kidMismatch"]
    assert codes(await verify(token, resolver, vct=["urn:eu.europa.ec.eudi:learning:credential:1"])) == ["vctMismatch"]
    legacy = await verify(issuer.forge(base, [], {"typ": "vc+sd-jwt"}), resolver)
    assert legacy.verified and [w.code for w in legacy.report.warnings] == ["legacyTyp"]


@pytest.mark.parametrize("junk", [None, 7, "", "abc", "a.b.c", "~", "~~", "a.b.c~", ["x~"], "é~"])
async def test_junk_is_refused_without_raising(resolver: Resolver, junk: Any) -> None:
    result = await verify(junk, resolver)
    assert not result.verified and codes(result)[0] in ("invalidSdJwt", "invalidJws")


async def test_an_oversized_sd_jwt_is_refused_before_parsing(resolver: Resolver) -> None:
    assert codes(await verify("a" * 300_000 + "~", resolver)) == ["sdJwtTooLarge"]
    assert codes(await verify("x.y.z~" * 1000, resolver, max_bytes=1000)) == ["sdJwtTooLarge"]


# --- key binding -----------------------------------------------------------------------------------------------


async def test_key_binding_refusals(resolver: Resolver) -> None:
    issuer, holder, thief = Issuer(), P256KeyPair.generate(), P256KeyPair.generate()
    token = issuer.issue({"a": 1, "b": 2}, holder)
    now = int(time.time())

    def bound(signer: KeyPair = holder, disclose: Any = None, **claims: Any) -> str:
        presentation = select_disclosures(token, disclose)
        values = {"iat": now, "aud": AUD, "nonce": NONCE, **claims}
        return presentation + key_binding_jwt(presentation, signer, aud=values["aud"], nonce=values["nonce"],
                                              iat=values["iat"])

    def kb_with(header: dict[str, Any], claims: dict[str, Any], signer: KeyPair = holder) -> str:
        presentation = select_disclosures(token, None)
        base = {"iat": now, "aud": AUD, "nonce": NONCE,
                "sd_hash": base64.urlsafe_b64encode(hashlib.sha256(presentation.encode()).digest()).rstrip(b"=")
                .decode()}
        return presentation + sign_compact({**base, **claims}, signer, header=header)

    with_kb = bound()
    dropped = with_kb.split("~")
    cases = {
        "missing": select_disclosures(token, None),
        "wrong aud": bound(aud="decentralized_identifier:did:web:other.example"),
        "wrong nonce": bound(nonce="replayed"),
        "stale": bound(iat=now - 3600),
        "future": bound(iat=now + 3600),
        "thief": bound(signer=thief),
        "disclosure removed after signing": "~".join([dropped[0], *dropped[2:]]),
        "disclosure added after signing": "~".join([dropped[0], issuer.issue({"c": 3}, holder).split("~")[1],
                                                    *dropped[1:]]),
        "typ": kb_with({"typ": "JWT"}, {}),
        "no sd_hash": kb_with({"typ": "kb+jwt"}, {"sd_hash": None}),
        "alg none": select_disclosures(token, None) + f"{b64({'alg': 'none', 'typ': 'kb+jwt'})}."
                                                      f"{b64({'iat': now, 'aud': AUD, 'nonce': NONCE})}.",
        "garbage": select_disclosures(token, None) + "garbage",
    }
    outcomes = {name: codes(await verify(value, resolver, audience=AUD, nonce=NONCE)) for name, value in cases.items()}
    assert outcomes == {
        "missing": ["missingKeyBinding"], "wrong aud": ["keyBindingAudienceMismatch"],
        "wrong nonce": ["keyBindingNonceMismatch"], "stale": ["staleKeyBinding"], "future": ["keyBindingInFuture"],
        "thief": ["invalidKeyBinding"], "disclosure removed after signing": ["sdHashMismatch"],
        "disclosure added after signing": ["tamperedDisclosure"], "typ": ["invalidKeyBinding"],
        "no sd_hash": ["sdHashMismatch"], "alg none": ["invalidKeyBinding"], "garbage": ["invalidKeyBinding"]}
    assert (await verify(with_kb, resolver, audience=AUD, nonce=NONCE)).verified
    assert codes(await verify(with_kb, resolver, audience=AUD, nonce=NONCE, max_key_binding_age=0,
                              now=datetime.fromtimestamp(now + 120, UTC))) == ["staleKeyBinding"]
    # Without cnf there is no key to bind with; a KB-JWT then proves nothing.
    unbound = issuer.issue({"a": 1})
    presentation = select_disclosures(unbound, None)
    assert codes(await verify(presentation + key_binding_jwt(presentation, holder, aud=AUD, nonce=NONCE), resolver,
                              audience=AUD, nonce=NONCE)) == ["missingHolderKey"]
    # A key binding not asked for is still checked when present; none is fine when not asked for.
    assert (await verify(select_disclosures(token, None), resolver)).verified
    assert codes(await verify(bound(signer=thief), resolver)) == ["invalidKeyBinding"]
    assert codes(await verify(token, resolver, key_binding="required")) == ["missingKeyBinding"]


async def test_a_holder_bound_by_did(resolver: Resolver) -> None:
    issuer, holder = Issuer(), Ed25519KeyPair.generate()
    holder_did = did_key_for(holder.public_multikey)
    token = issue_sd_jwt_vc({"a": 1}, issuer.pair, issuer=issuer.did, kid=issuer.kid, vct="urn:test:vc")
    payload = {**payload_of(token), "cnf": {"kid": f"{holder_did}#{holder.public_multikey}"}}
    bound = issuer.forge(payload, token.split("~")[1:-1])
    presentation = present_sd_jwt_vc(bound, holder=holder, aud=AUD, nonce=NONCE)
    assert (await verify(presentation, resolver, audience=AUD, nonce=NONCE)).verified
    thief = present_sd_jwt_vc(bound, holder=Ed25519KeyPair.generate(), aud=AUD, nonce=NONCE)
    assert codes(await verify(thief, resolver, audience=AUD, nonce=NONCE)) == ["invalidKeyBinding"]
    private = issuer.forge({**payload, "cnf": {"jwk": {**holder.public_jwk, "d": "AAAA"}}}, [])
    assert codes(await verify(present_sd_jwt_vc(private, holder=holder, aud=AUD, nonce=NONCE), resolver,
                              audience=AUD, nonce=NONCE)) == ["invalidHolderKey"]


def off_curve_point() -> bytes:
    """A compressed P-256 "point" whose x has no y on the curve."""
    from cryptography.hazmat.primitives.asymmetric import ec
    for x in range(1, 100):
        raw = b"\x02" + x.to_bytes(32, "big")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            return raw
    raise AssertionError("no off-curve x below 100")


async def test_keys_that_are_not_on_the_curve(resolver: Resolver) -> None:
    """An issuer kid or a holder cnf naming a P-256 "key" off the curve is refused in the report, never raised."""
    from vcnode.keys import multikey
    issuer, holder = Issuer(), P256KeyPair.generate()
    bogus = multikey.encode(multikey.P256_PUB, off_curve_point())
    bogus_did = did_key_for(bogus)
    payload = {"iss": bogus_did, "iat": int(time.time()), "vct": "urn:test:vc"}
    forged = "~".join([sign_compact(payload, issuer.pair, kid=f"{bogus_did}#{bogus}", header={"typ": "dc+sd-jwt"}),
                       ""])
    result = await verify(forged, resolver)
    assert not result.verified and result.report.errors[0].check == "proof"
    x = off_curve_point()[1:]
    jwk = {"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(x)}
    token = issuer.forge({**payload, "iss": issuer.did, "cnf": {"jwk": jwk}}, [])
    assert codes(await verify(present_sd_jwt_vc(token, holder=holder, aud=AUD, nonce=NONCE), resolver,
                              audience=AUD, nonce=NONCE)) == ["invalidHolderKey"]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
async def test_mutated_presentations_never_raise_and_never_verify(data: st.DataObject) -> None:
    resolver = Resolver([KeyDriver(), JwkDriver()])
    presentation = FUZZ_PRESENTATION
    position = data.draw(st.integers(0, len(presentation) - 1))
    replacement = data.draw(st.sampled_from(["~", ".", "A", "_", "-", "", "~~", "=", "é", "eyJ"]))
    mutated = presentation[:position] + replacement + presentation[position + 1:]
    result = await verify(mutated, resolver, audience=AUD, nonce=NONCE)
    if mutated != presentation:
        assert not result.verified


_FUZZ_ISSUER = Issuer()
_FUZZ_HOLDER = P256KeyPair.generate()
FUZZ_PRESENTATION = present_sd_jwt_vc(_FUZZ_ISSUER.issue({"a": 1, "b": [1, 2]}, _FUZZ_HOLDER), holder=_FUZZ_HOLDER,
                                      aud=AUD, nonce=NONCE)


# --- status ----------------------------------------------------------------------------------------------------


async def test_status_through_a_token_status_list(resolver: Resolver) -> None:
    issuer, holder = Issuer(), P256KeyPair.generate()
    uri = "https://issuer.example/status/tokens/1"
    data = new_status_list(1024, 2)
    served: dict[str, bytes] = {}

    async def fetch(url: str) -> FetchedList:
        if url not in served:
            raise StatusListError("statusUnavailable", f"nothing at {url}")
        return FetchedList(served[url])

    async def verify_token(token: bytes) -> Any:
        return await verify_with_did(token.decode(), resolver)

    async def no_credentials(document: dict[str, Any]) -> Report:
        raise AssertionError("not a credential")

    def publish() -> StatusChecker:
        served[uri] = sign_status_list_token(bytes(data), 2, issuer.pair, uri=uri, kid=issuer.kid, issuer=issuer.did,
                                             iat=int(time.time())).encode()
        return StatusChecker(fetch, no_credentials, verify_token=verify_token)

    token = issuer.issue({"a": 1}, holder, status=status_claim(5, uri))
    presentation = present_sd_jwt_vc(token, holder=holder, aud=AUD, nonce=NONCE)
    outcomes = []
    for value in (0, 2, 1):
        set_status(data, 5, value, 2)
        result = await verify(presentation, resolver, audience=AUD, nonce=NONCE, status=publish())
        outcomes.append((codes(result), result.report.results["status"]["entries"][0].get("status")))
    assert outcomes == [([], 0), (["suspended"], 2), (["revoked"], 1)]
    served.clear()
    result = await verify(presentation, resolver, audience=AUD, nonce=NONCE,
                          status=StatusChecker(fetch, no_credentials, verify_token=verify_token))
    assert codes(result) == ["statusUnavailable"]


# --- the EUDI learning credential ------------------------------------------------------------------------------

MICRO_CREDENTIAL = {  # the micro-credential example of docs/credentials.md, on a badge
    "id": "https://hcp.example/achievements/data-analytics-fundamentals", "type": ["Achievement"],
    "achievementType": "MicroCredential", "name": "Data Analytics Fundamentals",
    "description": "On completion the learner can clean and describe a tabular data set.",
    "criteria": {"id": "https://hcp.example/courses/daf#assessment", "narrative": "A proctored online examination."},
    "creditsAvailable": 5, "inLanguage": "en",
    "tag": ["micro-credential", "participation: online"],
    "creator": {"id": "https://hcp.example", "type": ["Profile"], "name": "Harbour City Polytechnic",
                "address": {"type": ["Address"], "addressCountry": "Ireland", "addressCountryCode": "IE"}},
    "alignment": [
        {"type": ["Alignment"], "targetFramework": "EQF", "targetCode": "5", "targetName": "EQF level 5"},
        {"type": ["Alignment"], "targetFramework": "ECTS", "targetCode": "5", "targetName": "5 ECTS credits"},
        {"type": ["Alignment"], "targetType": "ceasn:Competency", "targetFramework": "HCP learning outcomes",
         "targetName": "Clean and describe a tabular data set"},
        {"type": ["Alignment"], "targetType": "ceasn:Competency", "targetName": "Build dashboards"},
        {"type": ["Alignment"], "targetFramework": "Quality assurance", "targetName": "Internal QA under ESG 2015"},
    ],
}


def micro_badge(issuer: str) -> dict[str, Any]:
    credential = badge(issuer)
    credential["validUntil"] = "2031-01-01T00:00:00Z"
    credential["credentialSubject"].update({
        "achievement": MICRO_CREDENTIAL, "name": "Zoë Ní Bhriain", "creditsEarned": 5,
        "identifier": [{"type": "IdentityObject", "hashed": False, "identityType": "studentId",
                        "identityHash": "HCP-0042"}],
        "result": [{"type": ["Result"], "value": "B"}]})
    return credential


def test_ob3_to_eudi_learning_credential_claims() -> None:
    claims = learning_credential_claims(micro_badge("did:example:hcp"))
    assert claims == {
        "issuing_authority": "Harbour City Polytechnic", "issuing_country": "IE", "date_of_issuance": "2026-01-01",
        "date_of_expiry": "2031-01-01", "name": "Zoë Ní Bhriain", "learner_identification": "HCP-0042",
        "achievement_title": "Data Analytics Fundamentals",
        "achievement_description": "On completion the learner can clean and describe a tabular data set.",
        "learning_outcomes": ["Clean and describe a tabular data set", "Build dashboards"],
        "assessment_grade": "B", "language_of_classes": ["en"], "level_of_learning_experience": 5,
        "credits_available": 5, "expected_study_time": "5 ECTS credits", "credits_earned": 5,
        "form_of_participation": "online", "types_of_quality_assurance": ["Internal QA under ESG 2015"],
        "achievement_id": "https://hcp.example/achievements/data-analytics-fundamentals",
        "achievement_criteria": "A proctored online examination.",
        "achievement_criteria_url": "https://hcp.example/courses/daf#assessment"}
    split = learning_credential_claims(micro_badge("did:example:hcp"), given_name="Zoë", family_name="Ní Bhriain",
                                       extra={"integration_stackability_options": True, "issuing_country": "FR"})
    assert (split["given_name"], split["family_name"], split["issuing_country"]) == ("Zoë", "Ní Bhriain", "FR")
    assert "name" not in split and split["integration_stackability_options"] is True
    plain = learning_credential_claims(badge("did:example:hcp"))  # tests.builders' minimal badge
    assert plain == {"issuing_authority": "Harbour City Polytechnic", "date_of_issuance": "2026-01-01",
                     "achievement_title": "Data Analytics Fundamentals",
                     "achievement_description": "Descriptive statistics and dashboards.",
                     "credits_available": 5, "achievement_id": "https://hcp.example/achievements/daf",
                     "achievement_criteria": "Pass the assessed project."}
    for bad in ({"extra": {"iss": "x"}}, {"extra": {"issuing_country": "Ireland"}}):
        with pytest.raises(InvalidInput):
            learning_credential_claims(badge("did:example:hcp"), **bad)
    nameless = badge("did:example:hcp")
    del nameless["credentialSubject"]["achievement"]["name"]
    with pytest.raises(InvalidInput):
        learning_credential_claims(nameless)
    with pytest.raises(InvalidInput):
        learning_credential_claims({"credentialSubject": {}})


async def test_a_learning_credential_discloses_what_its_type_metadata_says(resolver: Resolver) -> None:
    issuer, holder = Issuer(), P256KeyPair.generate()
    token = issue_learning_credential(micro_badge(issuer.did), issuer.pair, issuer=issuer.did, kid=issuer.kid,
                                      holder_jwk=holder.public_jwk, family_name="Ní Bhriain", given_name="Zoë")
    payload = payload_of(token)
    metadata = learning_credential_type_metadata()
    never = {path[0] for path, rule in metadata.rules.items() if rule == "never" and len(path) == 1}
    in_clear = set(payload) - {"_sd", "_sd_alg"}
    assert in_clear <= never and {"issuing_authority", "achievement_title", "date_of_issuance", "iss", "vct",
                                  "cnf", "exp"} <= in_clear
    assert payload["vct"] == LEARNING_CREDENTIAL_VCT and payload["exp"] == 1924992000  # 2031-01-01
    assert payload["language_of_classes"] == ["en"]  # sd: never, elements too
    result = await verify(present_sd_jwt_vc(token, disclose={"family_name": True, "learning_outcomes": True},
                                            holder=holder, aud=AUD, nonce=NONCE), resolver, audience=AUD, nonce=NONCE,
                          vct=[LEARNING_CREDENTIAL_VCT])
    assert result.verified, result.report.to_json()
    assert result.claims["family_name"] == "Ní Bhriain" and "given_name" not in result.claims
    assert result.claims["learning_outcomes"] == ["Clean and describe a tabular data set", "Build dashboards"]
    assert "assessment_grade" not in result.claims and "learner_identification" not in result.claims


def test_the_bundled_type_metadata() -> None:
    metadata = learning_credential_type_metadata()
    assert metadata.vct == LEARNING_CREDENTIAL_VCT
    assert metadata.sd(("family_name",)) == "always" and metadata.sd(("issuing_authority",)) == "never"
    assert metadata.sd(("learning_outcomes", None)) == "never" and metadata.sd(("unknown",)) == "allowed"
    assert metadata.sd(("cnf",)) == "never" and metadata.sd(("status",)) == "never"
    assert orjson.loads(orjson.dumps(metadata.document))["claims"]
    for bad in ({}, {"vct": 1}, {"vct": "x", "claims": {}}, {"vct": "x", "claims": [{"path": []}]},
                {"vct": "x", "claims": [{"path": ["a"], "sd": "sometimes"}]}):
        with pytest.raises(InvalidInput):
            TypeMetadata.from_document(bad)
