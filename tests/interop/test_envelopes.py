"""Enveloped credentials both ways: ``application/vc+jwt`` / ``vp+jwt`` with the Node ``jose`` library and
``application/vc+sd-jwt`` with the OpenWallet Foundation's ``@sd-jwt/core`` — sealed by one side, verified (and
for SD-JWT, presented with fewer disclosures) by the other, and tampering refused by both."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import pytest

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from tests.interop.harness import run_harness
from vcnode.credentials.verify import VerifyOptions, verify_credential, verify_presentation
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.envelopes import open_envelope, seal
from vcnode.envelopes.base import data_url
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.signer import SigningKey

V2 = "https://www.w3.org/ns/credentials/v2"
PAIRS = [(Ed25519KeyPair, "EdDSA"), (P256KeyPair, "ES256")]


@pytest.fixture
def dids() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


def credential(issuer: str) -> dict[str, Any]:
    return {"@context": [V2], "id": "urn:uuid:0f7e2f67-4e76-4b7e-9d0c-6a7c0c9a2f21", "type": ["VerifiableCredential"],
            "issuer": issuer, "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner", "name": "Alice", "grade": "A"}}


def did_key_identity(pair_class: type) -> tuple[SigningKey, str]:
    pair = pair_class.generate()
    did = did_key_for(pair.public_multikey)
    return SigningKey(f"{did}#{pair.public_multikey}", pair), did


def jose_key(alg: str, harness: str = "jose.mjs") -> tuple[dict[str, Any], dict[str, Any], str]:
    [generated] = run_harness(harness, [{"op": "generate", "alg": alg}])
    return generated["privateJwk"], generated["publicJwk"], did_jwk_for(generated["publicJwk"])


def other_signature(token: str, alg: str) -> str:
    """``token`` with the signature another key made over the same header and payload."""
    private, _, _ = jose_key(alg)
    header, payload, _ = token.split(".")
    [resigned] = run_harness("jose.mjs", [{"op": "sign", "alg": alg, "privateJwk": private, "payload": "x",
                                           "header": {}}])
    return f"{header}.{payload}.{resigned['token'].split('.')[2]}"


@pytest.mark.parametrize(("pair_class", "alg"), PAIRS)
def test_vcnode_seals_vc_jwt_and_jose_verifies(pair_class: type, alg: str) -> None:
    key, did = did_key_identity(pair_class)
    document = credential(did)
    token = seal(document, key, "vc+jwt")["id"].removeprefix("data:application/vc+jwt,")
    [verified] = run_harness("jose.mjs", [{"op": "verify", "token": token, "publicJwk": key.signer.public_jwk,
                                           "algorithms": [alg]}])
    assert verified["verified"] is True, verified
    assert json.loads(verified["payload"]) == document
    assert verified["header"] == {"alg": alg, "typ": "vc+jwt", "cty": "vc", "kid": key.verification_method}


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
async def test_jose_signs_vc_jwt_and_vp_jwt_and_vcnode_verifies(dids: Resolver, alg: str) -> None:
    private, _, did = jose_key(alg)
    document = credential(did)
    [signed] = run_harness("jose.mjs", [{"op": "sign", "alg": alg, "privateJwk": private,
                                         "payload": json.dumps(document),
                                         "header": {"typ": "vc+jwt", "cty": "vc", "kid": f"{did}#0"}}])
    enveloped = {"@context": [V2], "type": "EnvelopedVerifiableCredential",
                 "id": data_url("application/vc+jwt", signed["token"])}
    report = await verify_credential(enveloped, dids)
    assert report.verified, report.to_json()
    assert report.results["envelope"]["controller"] == did
    forged = {**enveloped, "id": data_url("application/vc+jwt", other_signature(signed["token"], alg))}
    assert [e.code for e in (await verify_credential(forged, dids)).errors] == ["invalidSignature"]
    # the holder (also a jose key) presents it in a vp+jwt
    holder_private, _, holder = jose_key(alg)
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": holder, "verifiableCredential": [enveloped]}
    [presented] = run_harness("jose.mjs", [{"op": "sign", "alg": alg, "privateJwk": holder_private,
                                            "payload": json.dumps(vp),
                                            "header": {"typ": "vp+jwt", "cty": "vp", "kid": f"{holder}#0"}}])
    report = await verify_presentation({"@context": [V2], "type": "EnvelopedVerifiablePresentation",
                                        "id": data_url("application/vp+jwt", presented["token"])}, dids)
    assert report.results["envelope"]["mediaType"] == "application/vp+jwt"
    credential_report = report.results["credentials"]["credentials"][0]
    assert credential_report["verified"] is False  # the credential is about did:example:learner, not the holder
    assert credential_report["errors"][0]["code"] == "holderMismatch"


@pytest.mark.parametrize(("pair_class", "alg"), PAIRS)
async def test_vcnode_seals_vc_sd_jwt_and_sd_jwt_library_verifies_and_presents(dids: Resolver, pair_class: type,
                                                                               alg: str) -> None:
    key, did = did_key_identity(pair_class)
    document = credential(did)
    token = seal(document, key, "vc+sd-jwt")["id"].removeprefix("data:application/vc+sd-jwt,")
    verified, presented = run_harness("vcsdjwt.mjs", [
        {"op": "verify", "token": token, "issuerJwk": key.signer.public_jwk},
        {"op": "present", "token": token, "frame": {"credentialSubject": {"name": True}}}])
    assert verified["verified"] is True, verified
    assert {k: v for k, v in verified["payload"].items() if k != "_sd_alg"} == document
    assert verified["header"]["typ"] == "vc+sd-jwt"
    opened = await open_envelope({"@context": [V2], "type": "EnvelopedVerifiableCredential",
                                  "id": data_url("application/vc+sd-jwt", presented["token"])}, "credential", dids)
    assert opened.document["credentialSubject"] == {"id": "did:example:learner", "name": "Alice"}


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
async def test_sd_jwt_library_issues_vc_sd_jwt_and_vcnode_verifies(dids: Resolver, alg: str) -> None:
    private, _, did = jose_key(alg, "vcsdjwt.mjs")
    document = credential(did)
    issued, = run_harness("vcsdjwt.mjs", [{"op": "issue", "alg": alg, "privateJwk": private, "payload": document,
                                           "disclosureFrame": {"credentialSubject": {"_sd": ["name", "grade"]}},
                                           "header": {"typ": "vc+sd-jwt", "cty": "vc", "kid": f"{did}#0"}}])
    token = issued["token"]
    enveloped = {"@context": [V2], "type": "EnvelopedVerifiableCredential",
                 "id": data_url("application/vc+sd-jwt", token)}
    report = await verify_credential(enveloped, dids)
    assert report.verified, report.to_json()
    assert (await open_envelope(enveloped, "credential", dids)).document == document
    [presented] = run_harness("vcsdjwt.mjs", [{"op": "present", "token": token,
                                               "frame": {"credentialSubject": {"grade": True}}}])
    opened = await open_envelope({**enveloped, "id": data_url("application/vc+sd-jwt", presented["token"])},
                                 "credential", dids)
    assert opened.document["credentialSubject"] == {"id": "did:example:learner", "grade": "A"}
    # a disclosure rewritten by the holder (grade A+) matches no digest the issuer signed
    jwt, *disclosures, _ = presented["token"].split("~")
    salt = json.loads(base64.urlsafe_b64decode(disclosures[0] + "=="))[0]
    forged = base64.urlsafe_b64encode(orjson.dumps([salt, "grade", "A+"])).rstrip(b"=").decode()
    tampered = {**enveloped, "id": data_url("application/vc+sd-jwt", f"{jwt}~{forged}~")}
    assert [e.code for e in (await verify_credential(tampered, dids)).errors] == ["tamperedDisclosure"]
    [library_on_tampered] = run_harness("vcsdjwt.mjs", [{"op": "verify", "token": f"{jwt}~{forged}~",
                                                         "issuerJwk": json.loads(base64.urlsafe_b64decode(
                                                             did.removeprefix("did:jwk:") + "=="))}])
    # the library ignores a disclosure no digest references (vcnode refuses it): neither takes the forged grade
    assert library_on_tampered["verified"] is True, library_on_tampered
    assert library_on_tampered["payload"]["credentialSubject"] == {"id": "did:example:learner"}


async def test_sd_jwt_library_key_binding_answers_vcnode_verifiers_challenge(dids: Resolver) -> None:
    """A vc+sd-jwt whose holder key (cnf) made a KB-JWT with @sd-jwt/core, carried in the holder's vp+jwt:
    accepted for the challenge and domain it names, refused (by name) when replayed to another."""
    issuer, issuer_did = did_key_identity(Ed25519KeyPair)
    holder, holder_did = did_key_identity(P256KeyPair)
    cnf_private, cnf_public, _ = jose_key("ES256", "vcsdjwt.mjs")
    document = {**credential(issuer_did), "cnf": {"jwk": cnf_public}}
    document["credentialSubject"]["id"] = holder_did
    token = seal(document, issuer, "vc+sd-jwt")["id"].removeprefix("data:application/vc+sd-jwt,")
    [presented] = run_harness("vcsdjwt.mjs", [{
        "op": "present", "token": token, "frame": {"credentialSubject": {"grade": True}},
        "kb": {"alg": "ES256", "privateJwk": cnf_private, "aud": "https://employer.example", "nonce": "n-9"}}])
    carried = {"@context": [V2], "type": "EnvelopedVerifiableCredential",
               "id": data_url("application/vc+sd-jwt", presented["token"])}
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": holder_did,
          "verifiableCredential": [carried], "nonce": "n-9", "aud": "https://employer.example"}
    enveloped = seal(vp, holder, "vp+jwt", kind="presentation")
    report = await verify_presentation(enveloped, dids, VerifyOptions(challenge="n-9",
                                                                      domain="https://employer.example"))
    assert report.verified, report.to_json()
    inner = report.results["credentials"]["credentials"][0]
    assert inner["results"]["keyBinding"]["aud"] == "https://employer.example"
    # the same KB-JWT replayed inside a presentation for the next challenge
    replayed = seal({**vp, "nonce": "n-10"}, holder, "vp+jwt", kind="presentation")
    report = await verify_presentation(replayed, dids, VerifyOptions(challenge="n-10",
                                                                     domain="https://employer.example"))
    inner = report.results["credentials"]["credentials"][0]
    assert [e["code"] for e in inner["errors"]] == ["keyBindingNonceMismatch"] and not report.verified
