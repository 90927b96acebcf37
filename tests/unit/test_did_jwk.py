"""did:jwk: the spec's examples and bad input."""

from __future__ import annotations

import pytest

from did_methods.jwk import JwkDriver, did_jwk_for
from vcnode.did.resolver import Resolver

# From the did:jwk specification (P-256 and X25519 examples).
P256_DID = ("did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZD"
            "ZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9")
X25519_DID = ("did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1E"
              "UThoYmVHZE5yZngtRkctSUswOCJ9")


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([JwkDriver()])


async def test_p256_example_resolves_to_the_spec_document(resolver: Resolver) -> None:
    result = await resolver.resolve(P256_DID)
    assert result.error is None
    doc = result.did_document
    vm = f"{P256_DID}#0"
    assert doc["verificationMethod"] == [{
        "id": vm, "type": "JsonWebKey2020", "controller": P256_DID,
        "publicKeyJwk": {"crv": "P-256", "kty": "EC", "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
                         "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"}}]
    for relationship in ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation",
                         "keyAgreement"):
        assert doc[relationship] == [vm]


async def test_use_enc_key_is_only_for_key_agreement(resolver: Resolver) -> None:
    doc = (await resolver.resolve(X25519_DID)).did_document
    assert doc["keyAgreement"] == [f"{X25519_DID}#0"]
    assert "assertionMethod" not in doc and "authentication" not in doc


async def test_ed25519_round_trip(resolver: Resolver) -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    did = did_jwk_for(jwk)
    result = await resolver.resolve(did)
    assert result.did_document["verificationMethod"][0]["publicKeyJwk"] == jwk
    assert (await resolver.dereference(did + "#0"))["publicKeyJwk"] == jwk


@pytest.mark.parametrize("jwk", [
    {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
     "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},                       # private key material
    {"kty": "EC", "crv": "P-256", "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
     "y": "AAAALj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"},                         # not on the curve
    {"kty": "RSA", "n": "AQAB", "e": "AQAB"},                                      # unsupported type
    {"kty": "OKP", "crv": "Ed25519", "x": "short"},                                # wrong length
    ["not", "an", "object"],
])
async def test_bad_jwks_are_invalid_did(resolver: Resolver, jwk: object) -> None:
    result = await resolver.resolve(did_jwk_for(jwk))  # type: ignore[arg-type]
    assert result.error == "invalidDid", result.resolution_metadata


async def test_non_base64url_is_invalid_did(resolver: Resolver) -> None:
    assert (await resolver.resolve("did:jwk:eyJub3QganNvbg")).error == "invalidDid"
