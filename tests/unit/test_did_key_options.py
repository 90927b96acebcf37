"""did:key resolution options (did:key specification, "Document Creation Algorithm"): publicKeyFormat,
enableExperimentalPublicKeyTypes, enableEncryptionKeyDerivation, and the errors they raise."""

from __future__ import annotations

from typing import Any

import base58
import pytest

from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.did.syntax import parse_did_url
from vcnode.keys import multikey
from vcnode.keys.jwk import b64url_encode

ED = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
ED_DID = f"did:key:{ED}"
X25519 = "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"  # the key derived from ED (did:key spec example)
P256_DID = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"


async def resolve(did: str, options: dict[str, Any]) -> Any:
    parsed = parse_did_url(did)
    assert parsed is not None
    return (await KeyDriver().resolve(parsed, options)).document


async def test_json_web_key_format() -> None:
    document = await resolve(ED_DID, {"publicKeyFormat": "JsonWebKey"})
    method = document["verificationMethod"][0]
    raw = multikey.decode(ED).raw
    assert method == {"id": f"{ED_DID}#{ED}", "type": "JsonWebKey", "controller": ED_DID,
                      "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}}
    agreement = document["keyAgreement"][0]
    assert agreement["id"] == f"{ED_DID}#{X25519}" and agreement["publicKeyJwk"]["crv"] == "X25519"
    assert document["assertionMethod"] == [method["id"]]
    p256 = (await resolve(P256_DID, {"publicKeyFormat": "JsonWebKey2020"}))["verificationMethod"][0]
    assert p256["type"] == "JsonWebKey2020" and p256["publicKeyJwk"]["crv"] == "P-256" and "y" in p256["publicKeyJwk"]


async def test_ed25519_2020_format_pairs_with_x25519_2020() -> None:
    document = await resolve(ED_DID, {"publicKeyFormat": "Ed25519VerificationKey2020"})
    assert document["verificationMethod"][0]["type"] == "Ed25519VerificationKey2020"
    assert document["verificationMethod"][0]["publicKeyMultibase"] == ED
    assert document["keyAgreement"][0]["type"] == "X25519KeyAgreementKey2020"
    assert document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/ed25519-2020/v1",
                                    "https://w3id.org/security/suites/x25519-2020/v1"]


async def test_experimental_formats_need_the_flag() -> None:
    options = {"publicKeyFormat": "Ed25519VerificationKey2018", "enableExperimentalPublicKeyTypes": "true"}
    document = await resolve(ED_DID, options)
    method = document["verificationMethod"][0]
    assert method["type"] == "Ed25519VerificationKey2018"
    assert base58.b58decode(method["publicKeyBase58"]) == multikey.decode(ED).raw
    assert document["keyAgreement"][0]["type"] == "X25519KeyAgreementKey2019"


async def test_without_encryption_key_derivation_there_is_no_key_agreement() -> None:
    document = await resolve(ED_DID, {"enableEncryptionKeyDerivation": False})
    assert "keyAgreement" not in document and len(document["verificationMethod"]) == 1


@pytest.mark.parametrize(("did", "options", "code", "spec_type"), [
    (ED_DID, {"publicKeyFormat": "unknown"}, "unsupportedPublicKeyType", "FEATURE_NOT_SUPPORTED"),
    (ED_DID, {"publicKeyFormat": "Ed25519VerificationKey2018"}, "invalidPublicKeyType", "INVALID_OPTIONS"),
    (ED_DID, {"publicKeyFormat": "Ed25519VerificationKey2018", "enableExperimentalPublicKeyTypes": False},
     "invalidPublicKeyType", "INVALID_OPTIONS"),
    (ED_DID, {"publicKeyFormat": "X25519KeyAgreementKey2020"}, "invalidPublicKeyType", "INVALID_OPTIONS"),
    (P256_DID, {"publicKeyFormat": "Ed25519VerificationKey2020"}, "invalidPublicKeyType", "INVALID_OPTIONS"),
    (f"did:key:{X25519}", {"publicKeyFormat": "Ed25519VerificationKey2020"}, "invalidPublicKeyType",
     "INVALID_OPTIONS"),
    (ED_DID, {"enableExperimentalPublicKeyTypes": "maybe"}, "invalidOptions", "INVALID_OPTIONS"),
    ("did:key:zTjsVPtY", {}, "invalidPublicKeyLength", "INVALID_DID"),  # the did:key suite's too-short key
])
async def test_option_and_key_errors(did: str, options: dict[str, Any], code: str, spec_type: str) -> None:
    result = await Resolver([KeyDriver()]).resolve(did, options)
    assert result.error == code and result.did_document is None
    error = result.to_spec_json()["didResolutionMetadata"]["error"]
    assert error["type"] == f"https://www.w3.org/ns/did#{spec_type}" and error["code"] == code


async def test_x25519_did_takes_the_x25519_2020_format() -> None:
    document = await resolve(f"did:key:{X25519}", {"publicKeyFormat": "X25519KeyAgreementKey2020"})
    assert document["verificationMethod"][0]["type"] == "X25519KeyAgreementKey2020"
    assert document["keyAgreement"] == [document["verificationMethod"][0]["id"]]
