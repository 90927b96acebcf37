"""Enveloped credentials and presentations (VC-JOSE-COSE vc+jwt / vp+jwt / vc+sd-jwt, VC-JWT 1.1): sealed by
vcnode and opened back, then verified like any credential (structure, validity, issuer, holder binding); and
every refusal as an attacker would try it — a forged or re-signed envelope, a signer who is not the issuer,
an ``iss`` that lies, a tampered disclosure, an unknown media type, a malformed or oversized data: URL — each a
named error in the report, never an exception."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.credentials.limits import VerifyLimits
from vcnode.credentials.verify import VerifyOptions, verify_credential, verify_presentation
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_key_for
from vcnode.envelopes import EnvelopeError, formats, is_enveloped, open_envelope, seal
from vcnode.envelopes.base import data_url, parse_data_url
from vcnode.errors import VcnodeError
from vcnode.jose import sign_compact
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.signer import KeyPair, SigningKey
from vcnode.sdjwt.present import key_binding_jwt

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"


class Identity:
    """A did:key identity that signs."""

    def __init__(self, pair_class: type = Ed25519KeyPair) -> None:
        self.pair: KeyPair = pair_class.generate()
        self.did = did_key_for(self.pair.public_multikey)
        self.key = SigningKey(f"{self.did}#{self.pair.public_multikey}", self.pair)


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


def credential(issuer: str, subject: str = "did:example:learner", **extra: Any) -> dict[str, Any]:
    return {"@context": [V2], "id": "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
            "type": ["VerifiableCredential"], "issuer": issuer, "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": subject, "name": "Alice", "grade": "A"}, **extra}


def codes(report: Any) -> list[str]:
    return [error.code for error in report.errors]


def payload_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_formats_are_discovered_through_entry_points() -> None:
    assert {"application/vc+jwt", "application/vp+jwt", "application/vc+sd-jwt", "application/vp+sd-jwt",
            "application/jwt"} <= set(formats())


def test_data_urls() -> None:
    url = data_url("application/vc+jwt", "a.b.c")
    assert url == "data:application/vc+jwt,a.b.c"
    parsed = parse_data_url("data:Application/VC+JWT;base64,QUJD", max_bytes=100)
    assert (parsed.media_type, parsed.base64, parsed.data) == ("application/vc+jwt", True, "QUJD")
    for bad in ("https://example.com/a.b.c", "data:,abc", "data:application/vc+jwt", "data:nomedia,abc", 42,
                "data:application/vc+jwt,"):
        with pytest.raises(EnvelopeError) as refused:
            parse_data_url(bad, max_bytes=100)
        assert refused.value.code == "malformedDataUrl"
    with pytest.raises(EnvelopeError) as refused:
        parse_data_url("data:application/vc+jwt," + "a" * 200, max_bytes=100)
    assert refused.value.code == "envelopeTooLarge"


@pytest.mark.parametrize("pair_class", [Ed25519KeyPair, P256KeyPair])
async def test_vc_jwt_sealed_opened_and_verified(resolver: Resolver, pair_class: type) -> None:
    issuer = Identity(pair_class)
    document = credential(issuer.did)
    enveloped = seal(document, issuer.key, "vc+jwt")
    assert enveloped["type"] == "EnvelopedVerifiableCredential" and enveloped["@context"] == [V2]
    token = enveloped["id"].removeprefix("data:application/vc+jwt,")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": issuer.pair.alg, "typ": "vc+jwt", "cty": "vc", "kid": issuer.key.verification_method}
    assert payload_of(token) == document  # the payload is the credential itself, no vc claim
    opened = await open_envelope(enveloped, "credential", resolver)
    assert opened.document == document and opened.controller == issuer.did
    report = await verify_credential(enveloped, resolver)
    assert report.verified, report.to_json()
    assert report.results["envelope"]["mediaType"] == "application/vc+jwt"
    assert report.results["proof"]["proofs"][0]["type"] == "application/vc+jwt"


async def test_the_secured_credential_goes_through_the_ordinary_checks(resolver: Resolver) -> None:
    issuer = Identity()
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expired = seal(credential(issuer.did, validUntil=past), issuer.key, "vc+jwt")
    assert codes(await verify_credential(expired, resolver)) == ["expired"]
    no_subject = credential(issuer.did)
    del no_subject["credentialSubject"]
    report = await verify_credential(seal(no_subject, issuer.key, "vc+jwt"), resolver)
    assert "invalidCredentialSubject" in codes(report)


async def test_signed_by_someone_other_than_the_issuer(resolver: Resolver) -> None:
    """Mallory signs a credential naming the university as issuer with her own (valid) key."""
    university, mallory = Identity(), Identity()
    forged = seal(credential(university.did), mallory.key, "vc+jwt")
    report = await verify_credential(forged, resolver)
    assert codes(report) == ["issuerMismatch"] and not report.verified


async def test_iss_claim_must_be_the_issuer(resolver: Resolver) -> None:
    issuer = Identity()
    document = {**credential(issuer.did), "iss": "did:example:someone-else"}
    token = sign_compact(document, issuer.pair, kid=issuer.key.verification_method, header={"typ": "vc+jwt"})
    report = await verify_credential({"@context": [V2], "type": "EnvelopedVerifiableCredential",
                                      "id": data_url("application/vc+jwt", token)}, resolver)
    assert codes(report) == ["issuerMismatch"]


async def test_tampered_payload_and_wrong_typ_and_vc_claim(resolver: Resolver) -> None:
    issuer = Identity()
    enveloped = seal(credential(issuer.did), issuer.key, "vc+jwt")
    header, _, signature = enveloped["id"].split(",", 1)[1].split(".")
    changed = base64.urlsafe_b64encode(orjson.dumps({**credential(issuer.did), "credentialSubject": {
        "id": "did:example:learner", "grade": "A+"}})).rstrip(b"=").decode()
    tampered = {**enveloped, "id": f"data:application/vc+jwt,{header}.{changed}.{signature}"}
    assert codes(await verify_credential(tampered, resolver)) == ["invalidSignature"]
    # a vp+jwt is not a credential, and a credential may not carry VC-JWT 1.1's vc claim
    presentation_typ = sign_compact(credential(issuer.did), issuer.pair, kid=issuer.key.verification_method,
                                    header={"typ": "vp+jwt"})
    wrapped = {"@context": [V2], "type": "EnvelopedVerifiableCredential",
               "id": data_url("application/vc+jwt", presentation_typ)}
    assert codes(await verify_credential(wrapped, resolver)) == ["invalidEnvelope"]
    with_vc = sign_compact({**credential(issuer.did), "vc": {}}, issuer.pair, kid=issuer.key.verification_method)
    wrapped = {"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": data_url("application/vc+jwt", with_vc)}
    assert codes(await verify_credential(wrapped, resolver)) == ["invalidEnvelope"]


async def test_unknown_media_type_and_malformed_urls_are_named_errors(resolver: Resolver) -> None:
    issuer = Identity()
    token = seal(credential(issuer.did), issuer.key, "vc+jwt")["id"].split(",", 1)[1]
    cases = {"data:application/vc+foo," + token: "unsupportedMediaType",
             "data:application/vc+jwt,not-a-jwt": "invalidJws",
             "https://example.com/vc": "malformedDataUrl",
             "data:application/vc+jwt," + "x" * 300_000: "envelopeTooLarge"}
    for url, code in cases.items():
        report = await verify_credential({"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": url},
                                         resolver)
        assert codes(report) == [code] and not report.verified
        assert report.to_json()["results"]["structure"]["verified"] is False
    report = await verify_credential({"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": ["x"]}, resolver)
    assert codes(report) == ["malformedDataUrl"]


async def test_vc_sd_jwt_discloses_what_the_holder_chose_and_refuses_tampering(resolver: Resolver) -> None:
    issuer = Identity(P256KeyPair)
    document = credential(issuer.did)
    enveloped = seal(document, issuer.key, "vc+sd-jwt")
    sd_jwt = enveloped["id"].split(",", 1)[1]
    jwt, *disclosures, last = sd_jwt.split("~")
    assert last == "" and len(disclosures) == 2  # name and grade; the subject's id stays in the clear
    assert "name" not in payload_of(jwt)["credentialSubject"]
    report = await verify_credential(enveloped, resolver)
    assert report.verified, report.to_json()
    opened = await open_envelope(enveloped, "credential", resolver)
    assert opened.document == document
    # the holder withholds the grade
    name_only = [d for d in disclosures if "name" in base64.urlsafe_b64decode(d + "==").decode()]
    withheld = {**enveloped, "id": data_url("application/vc+sd-jwt", "~".join([jwt, *name_only, ""]))}
    opened = await open_envelope(withheld, "credential", resolver)
    assert opened.document["credentialSubject"] == {"id": "did:example:learner", "name": "Alice"}
    # a forged disclosure (grade A+) matches no digest
    forged = base64.urlsafe_b64encode(orjson.dumps(["salt", "grade", "A+"])).rstrip(b"=").decode()
    tampered = {**enveloped, "id": data_url("application/vc+sd-jwt", "~".join([jwt, *name_only, forged, ""]))}
    assert codes(await verify_credential(tampered, resolver)) == ["tamperedDisclosure"]


async def test_vp_jwt_with_enveloped_credentials_and_holder_binding(resolver: Resolver) -> None:
    issuer, learner, other = Identity(), Identity(P256KeyPair), Identity()
    vc = seal(credential(issuer.did, subject=learner.did), issuer.key, "vc+jwt")
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner.did, "verifiableCredential": [vc],
          "nonce": "n-1", "aud": "https://verifier.example"}
    enveloped = seal(vp, learner.key, "vp+jwt", kind="presentation")
    assert enveloped["type"] == "EnvelopedVerifiablePresentation"
    report = await verify_presentation(enveloped, resolver, VerifyOptions(challenge="n-1",
                                                                         domain="https://verifier.example"))
    assert report.verified, report.to_json()
    sub = report.results["credentials"]["credentials"][0]
    assert sub["results"]["holderBinding"]["outcome"] == "passed"
    assert sub["results"]["envelope"]["mediaType"] == "application/vc+jwt"
    # replayed to another verifier
    assert "challengeMismatch" in codes(await verify_presentation(enveloped, resolver, VerifyOptions(challenge="x")))
    # someone else presents the learner's credential: the envelope must be signed by the holder it names ...
    stolen = seal(vp, other.key, "vp+jwt", kind="presentation")
    assert codes(await verify_presentation(stolen, resolver)) == ["holderMismatch"]
    # ... and naming themselves as holder, the credential is not about them
    stolen = seal({**vp, "holder": other.did}, other.key, "vp+jwt", kind="presentation")
    report = await verify_presentation(stolen, resolver)
    assert "holderMismatch" in codes(report) and not report.verified


def key_bound(enveloped: dict[str, Any], holder: KeyPair, *, aud: str, nonce: str,
              iat: int | None = None) -> dict[str, Any]:
    """An SD-JWT envelope (as issued, every disclosure) with the holder's KB-JWT for ``aud`` and ``nonce``."""
    media_type, sd_jwt = enveloped["id"].removeprefix("data:").split(",", 1)
    kb = key_binding_jwt(sd_jwt, holder, aud=aud, nonce=nonce, iat=iat)
    return {**enveloped, "id": data_url(media_type, sd_jwt + kb)}


async def test_vp_sd_jwt_key_binding_answers_the_challenge_and_domain(resolver: Resolver) -> None:
    """A key-bound vp+sd-jwt replayed to another verifier (another challenge or domain), presented without its
    KB-JWT, or with a KB-JWT over other disclosures, is refused by name; the right one verifies."""
    issuer, learner, cnf_key = Identity(), Identity(P256KeyPair), P256KeyPair.generate()
    vc = seal(credential(issuer.did, subject=learner.did), issuer.key, "vc+jwt")
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner.did, "verifiableCredential": [vc],
          "cnf": {"jwk": cnf_key.public_jwk}}
    sealed = seal(vp, learner.key, "vp+sd-jwt", kind="presentation", selective=["/verifiableCredential"])
    asked = VerifyOptions(challenge="n-1", domain="https://verifier.example")
    bound = key_bound(sealed, cnf_key, aud="https://verifier.example", nonce="n-1")
    report = await verify_presentation(bound, resolver, asked)
    assert report.verified, report.to_json()
    assert report.results["keyBinding"]["aud"] == "https://verifier.example"
    replayed = key_bound(sealed, cnf_key, aud="https://verifier.example", nonce="n-0")
    assert codes(await verify_presentation(replayed, resolver, asked)) == ["keyBindingNonceMismatch"]
    elsewhere = key_bound(sealed, cnf_key, aud="https://other.example", nonce="n-1")
    assert codes(await verify_presentation(elsewhere, resolver, asked)) == ["keyBindingAudienceMismatch"]
    stale = key_bound(sealed, cnf_key, aud="https://verifier.example", nonce="n-1", iat=int(time.time()) - 3600)
    assert codes(await verify_presentation(stale, resolver, asked)) == ["staleKeyBinding"]
    assert codes(await verify_presentation(sealed, resolver, asked)) == ["missingKeyBinding", "challengeMismatch",
                                                                          "domainMismatch"]
    # the KB-JWT of a presentation disclosing the credential, put after the same JWT with it withheld
    jwt = sealed["id"].split(",", 1)[1].split("~")[0]
    kb = bound["id"].rsplit("~", 1)[1]
    withheld = {**sealed, "id": data_url("application/vp+sd-jwt", f"{jwt}~{kb}")}
    assert codes(await verify_presentation(withheld, resolver, asked)) == ["sdHashMismatch"]
    # signed by another key than cnf
    forged = key_bound(sealed, P256KeyPair.generate(), aud="https://verifier.example", nonce="n-1")
    assert codes(await verify_presentation(forged, resolver, asked)) == ["invalidKeyBinding"]
    # no challenge asked: the KB-JWT's signature and sd_hash are still checked, its nonce is not
    assert (await verify_presentation(replayed, resolver)).verified


async def test_vc_sd_jwt_key_binding_inside_a_presentation(resolver: Resolver) -> None:
    """A key-bound vc+sd-jwt carried in a vp+jwt: its KB-JWT must answer the verifier's challenge too (the
    holder's vp+jwt for this verifier cannot launder a KB-JWT made for another)."""
    issuer, learner = Identity(), Identity(P256KeyPair)
    bound_to = P256KeyPair.generate()
    vc = seal(credential(issuer.did, subject=learner.did, cnf={"jwk": bound_to.public_jwk}), issuer.key,
              "vc+sd-jwt")

    def presentation(carried: dict[str, Any]) -> dict[str, Any]:
        vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner.did,
              "verifiableCredential": [carried], "nonce": "n-2"}
        return seal(vp, learner.key, "vp+jwt", kind="presentation")

    asked = VerifyOptions(challenge="n-2")
    report = await verify_presentation(presentation(key_bound(vc, bound_to, aud="v", nonce="n-2")), resolver, asked)
    assert report.verified, report.to_json()
    report = await verify_presentation(presentation(key_bound(vc, bound_to, aud="v", nonce="n-1")), resolver, asked)
    sub = report.results["credentials"]["credentials"][0]
    assert [e["code"] for e in sub["errors"]] == ["keyBindingNonceMismatch"] and not report.verified
    report = await verify_presentation(presentation(vc), resolver, asked)
    assert [e["code"] for e in report.results["credentials"]["credentials"][0]["errors"]] == ["missingKeyBinding"]


async def test_vc_jwt_1_1_claims_map_to_the_credential(resolver: Resolver) -> None:
    issuer = Identity(P256KeyPair)
    document = {"@context": [V1], "id": "urn:uuid:1", "type": ["VerifiableCredential"], "issuer": issuer.did,
                "issuanceDate": "2024-01-01T00:00:00Z", "expirationDate": "2099-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:learner", "name": "Alice"}}
    enveloped = seal(document, issuer.key, "application/jwt")
    token = enveloped["id"].split(",", 1)[1]
    claims = payload_of(token)
    assert (claims["iss"], claims["jti"], claims["sub"], claims["vc"]) == (issuer.did, "urn:uuid:1",
                                                                            "did:example:learner", document)
    assert claims["nbf"] == 1704067200 and claims["exp"] == 4070908800
    assert is_enveloped(token, "credential")
    report = await verify_credential(token, resolver)  # a bare VC-JWT, as VC API 1.1 clients send it
    assert report.verified, report.to_json()
    assert report.results["envelope"]["mediaType"] == "application/jwt"
    # properties left to the claims are restored from them
    bare = {name: value for name, value in document.items() if name not in ("issuer", "id", "issuanceDate")}
    minimal = sign_compact({"iss": issuer.did, "jti": "urn:uuid:1", "nbf": 1704067200, "vc": bare}, issuer.pair,
                           kid=issuer.key.verification_method)
    opened = await open_envelope(minimal, "credential", resolver)
    assert opened.document["issuer"] == issuer.did and opened.document["issuanceDate"] == "2024-01-01T00:00:00Z"
    # iss disagreeing with the vc's issuer
    lying = sign_compact({"iss": "did:example:university", "vc": document}, issuer.pair,
                         kid=issuer.key.verification_method)
    assert codes(await verify_credential(lying, resolver)) == ["issuerMismatch"]
    contradicting = sign_compact({"iss": issuer.did, "nbf": 1, "vc": document}, issuer.pair,
                                 kid=issuer.key.verification_method)
    assert codes(await verify_credential(contradicting, resolver)) == ["claimMismatch"]


async def test_vp_jwt_1_1(resolver: Resolver) -> None:
    issuer, learner = Identity(), Identity()
    vc = seal(credential(issuer.did, subject=learner.did), issuer.key, "application/jwt")["id"].split(",", 1)[1]
    vp = {"@context": [V1], "type": ["VerifiablePresentation"], "verifiableCredential": [vc]}
    enveloped = seal({**vp, "holder": learner.did}, learner.key, "application/jwt", kind="presentation",
                     challenge="c-1", domain="verifier.example")
    token = enveloped["id"].split(",", 1)[1]
    assert payload_of(token)["nonce"] == "c-1" and payload_of(token)["iss"] == learner.did
    report = await verify_presentation(token, resolver, VerifyOptions(challenge="c-1", domain="verifier.example"))
    assert report.verified, report.to_json()
    assert report.results["credentials"]["credentials"][0]["results"]["holderBinding"]["outcome"] == "passed"


async def test_request_limits_apply_inside_envelopes(resolver: Resolver) -> None:
    """An envelope hides how many credentials it carries from the check made on the request as sent: 50
    credentials in a vp+jwt are refused by a limit of 3 once it is opened, before any of them is verified."""
    issuer, learner = Identity(), Identity()
    vc = seal(credential(issuer.did, subject=learner.did), issuer.key, "vc+jwt")
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": learner.did,
          "verifiableCredential": [vc] * 50}
    enveloped = seal(vp, learner.key, "vp+jwt", kind="presentation")
    report = await verify_presentation(enveloped, resolver, VerifyOptions(limits=VerifyLimits(max_credentials=3)))
    assert codes(report) == ["tooManyCredentials"] and "credentials" not in report.results
    assert (await verify_presentation(enveloped, resolver, VerifyOptions(limits=VerifyLimits()))).verified


async def test_jwt_times_and_kinds(resolver: Resolver) -> None:
    """The JWT's exp/nbf are the signature's validity; a presentation's media type (or a VC-JWT with both vc
    and vp, whose key purpose would be chosen by vp) cannot stand for a credential."""
    issuer = Identity()
    kid = issuer.key.verification_method

    def enveloped(claims: dict[str, Any], media_type: str = "application/vc+jwt") -> dict[str, Any]:
        return {"@context": [V2], "type": "EnvelopedVerifiableCredential",
                "id": data_url(media_type, sign_compact(claims, issuer.pair, kid=kid))}

    assert codes(await verify_credential(enveloped({**credential(issuer.did), "exp": 1_000_000}), resolver)) == \
        ["expired"]
    assert codes(await verify_credential(enveloped({**credential(issuer.did), "nbf": 4_000_000_000}), resolver)) \
        == ["notYetValid"]
    # a member of the credential that is no NumericDate is not understood, so ignored (the W3C suite's iat)
    assert (await verify_credential(enveloped({**credential(issuer.did), "exp": "tomorrow"}), resolver)).verified
    report = await verify_credential(enveloped(credential(issuer.did), "application/vp+jwt"), resolver)
    assert codes(report) == ["invalidEnvelope"]
    both = sign_compact({"iss": issuer.did, "vc": credential(issuer.did), "vp": {}}, issuer.pair, kid=kid)
    assert codes(await verify_credential(both, resolver)) == ["invalidEnvelope"]


async def test_hostile_claims_and_bytes_are_refusals_never_crashes(resolver: Resolver) -> None:
    issuer = Identity()
    document = {key: value for key, value in credential(issuer.did).items() if key != "validFrom"}
    far = sign_compact({"iss": issuer.did, "exp": 9_000_000_000_000_000_000, "vc": document}, issuer.pair,
                       kid=issuer.key.verification_method)
    assert codes(await verify_credential(far, resolver)) == ["invalidEnvelope"]
    seen = set()
    for media_type in sorted(formats()):
        for data in ("", "~", "a.b.c~~", "e30.e30.e30", "%FF%FE", "eyJ9.e30.", "~".join(["e30.e30.e30"] * 3),
                     "\u00e9.\u00e9.\u00e9~\u00e9~"):
            url = f"data:{media_type},{data}"
            report = await verify_credential({"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": url},
                                             resolver)
            assert not report.verified and report.errors
            presentation = await verify_presentation({"@context": [V2], "type": "EnvelopedVerifiablePresentation",
                                                      "id": url},
                                                     resolver)
            assert not presentation.verified
            seen.update(codes(report))
    assert seen <= {"malformedDataUrl", "invalidJws", "invalidEnvelope", "missingKid", "invalidSdJwt",
                    "invalidBase64"}, seen


def test_a_broken_or_foreign_plug_in_is_left_out(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A format is found by its entry point alone; one that fails to import, or is no format, is logged and
    left out, and the others still load."""
    from vcnode.envelope_formats.jose import JoseFormat
    from vcnode.envelopes import load_formats

    info = tmp_path / "vcnode_formats_test-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vcnode-formats-test\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[vcnode.test_formats]\nbroken = vcnode.envelopes.absent:Format\n"
                                           "foreign = collections:OrderedDict\n"
                                           "jose = vcnode.envelope_formats.jose:JoseFormat\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = load_formats("vcnode.test_formats")
    assert set(found) == {"application/vc+jwt", "application/vp+jwt"}
    assert isinstance(found["application/vc+jwt"], JoseFormat)
    assert "broken" in caplog.text and "foreign" in caplog.text


#: The W3C vc-jose-cose-test-suite's inputs these tests use, copied with their provenance.
W3C_SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "vc-jose-cose"


@pytest.mark.parametrize(("name", "key", "media_type", "outcome"), [
    ("credential-jose-minimal.txt", "vm-p256.json", "application/vc+jwt", None),
    ("credential-issuer-match-signed.txt", "vm-ed25519.json", "application/vc+jwt", None),
    ("credential-jose-vc-vp-claims.txt", "vm-ed25519.json", "application/vc+jwt", "invalidEnvelope"),
    ("credential-jose-bad-media-type.txt", "vm-ed25519.json", "application/vc+jwt", "invalidEnvelope"),
    ("credential-jose-bad-signature.txt", "vm-ed25519.json", "application/vc+jwt", "invalidSignature"),
    # signed ES512 but mapped to the suite's Ed25519 key: refused as a key confusion
    ("credential-jose-unknown-extensions.txt", "vm-ed25519.json", "application/vc+jwt", "algorithmKeyMismatch")])
def test_w3c_suite_vectors_with_the_key_given(name: str, key: str, media_type: str, outcome: str | None) -> None:
    """The W3C vc-jose-cose-test-suite's JOSE inputs, each with the verification method its mapping names (keys
    given out of band: ``open_with_key``)."""
    from vcnode.envelopes import format_for
    from vcnode.keys.public import PublicKey

    token = (W3C_SUITE / name).read_text().strip()
    public = PublicKey.from_jwk(json.loads((W3C_SUITE / key).read_text())["publicKeyJwk"])
    if outcome is None:
        opened = format_for(media_type).open_with_key(token, media_type, public, max_bytes=1 << 20)
        assert opened.document["issuer"] == "https://example.issuer/vc-jose-cose"
        return
    with pytest.raises(VcnodeError) as refused:
        format_for(media_type).open_with_key(token, media_type, public, max_bytes=1 << 20)
    assert refused.value.code == outcome


async def test_the_enveloped_objects_own_context_must_be_present_and_valid(resolver: Resolver) -> None:
    """VC 2.0 §4.13 (the vc-data-model-2.0 suite's EnvelopingProof tests): the EnvelopedVerifiableCredential /
    ...Presentation object's ``@context`` MUST be present and include the base context, which defines its
    ``id``, ``type`` and ``Enveloped...`` terms; a valid signature inside does not excuse it."""
    issuer, holder = Identity(), Identity()
    vc = seal(credential(issuer.did, subject=holder.did), issuer.key, "vc+jwt")
    vp = seal({"@context": [V2], "type": ["VerifiablePresentation"], "holder": holder.did,
               "verifiableCredential": [vc]}, holder.key, "vp+jwt", kind="presentation")
    assert (await verify_credential(vc, resolver)).verified and (await verify_presentation(vp, resolver)).verified
    for context in ([], "https://www.w3.org/ns/credentials/examples/v2", ["https://www.w3.org/2018/credentials/v1"],
                    None, {"@vocab": "https://example.org/#"}):
        for enveloped, verify in ((vc, verify_credential), (vp, verify_presentation)):
            changed = {key: value for key, value in enveloped.items() if key != "@context"}
            if context is not None:
                changed["@context"] = context
            report = await verify(changed, resolver)
            assert codes(report) == ["invalidContext"] and not report.verified, (context, enveloped["type"])
            with pytest.raises(EnvelopeError, match="@context"):
                await open_envelope(changed, "credential" if verify is verify_credential else "presentation", resolver)
    # the base context among others is enough
    assert (await verify_credential({**vc, "@context": [V2, "https://www.w3.org/ns/credentials/examples/v2"]},
                                    resolver)).verified
