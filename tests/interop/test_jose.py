"""JOSE interop both ways with the Node ``jose`` library (tests/interop/jose.mjs): vcnode signs EdDSA and ES256
and jose verifies; jose signs (EdDSA, Ed25519, ES256) and vcnode verifies, with the key given and through a
did:jwk kid; tampered tokens, alg none and key confusion are refused by both. The P-256 keys of the W3C CCG
did:key vectors sign on one side and verify on the other through vcnode's did:key and did:jwk resolution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from tests.interop.harness import run_harness
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.jose import JoseError, sign_compact, verify_compact, verify_with_did
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.public import PublicKey

pytestmark = pytest.mark.interop

PAIRS = [(Ed25519KeyPair, "EdDSA"), (P256KeyPair, "ES256")]


def jose(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_harness("jose.mjs", jobs)


def tamper(token: str) -> str:
    """The same signature over another payload."""
    header, _, signature = token.split(".")
    other = sign_compact({"grade": "A+"}, Ed25519KeyPair.generate()).split(".")[1]
    return f"{header}.{other}.{signature}"


@pytest.fixture
def dids() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


@pytest.mark.parametrize(("pair_class", "alg"), PAIRS)
def test_vcnode_signs_and_jose_verifies(pair_class: Any, alg: str) -> None:
    pair = pair_class.generate()
    claims = {"iss": did_key_for(pair.public_multikey), "grade": "B", "name": "Zoë"}
    token = sign_compact(claims, pair, kid="key-1", header={"typ": "JWT"})
    good, bad, confused = jose([
        {"op": "verify", "token": token, "publicJwk": pair.public_jwk, "algorithms": [alg]},
        {"op": "verify", "token": tamper(token), "publicJwk": pair.public_jwk, "algorithms": [alg]},
        {"op": "verify", "token": token, "publicJwk": pair_class.generate().public_jwk, "algorithms": [alg]},
    ])
    assert good["verified"], good
    assert good["header"] == {"alg": alg, "typ": "JWT", "kid": "key-1"}
    assert json.loads(good["payload"]) == claims
    assert bad == {**bad, "verified": False, "code": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"}
    assert confused["verified"] is False and confused["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519", "ES256"])
async def test_jose_signs_and_vcnode_verifies_by_key_and_by_did_jwk(dids: Resolver, alg: str) -> None:
    [generated] = jose([{"op": "generate", "alg": alg}])
    public_jwk = generated["publicJwk"]
    did = did_jwk_for(public_jwk)
    claims = {"iss": did, "nonce": "n-0S6_WzA2Mj"}
    [signed] = jose([{"op": "sign", "alg": alg, "privateJwk": generated["privateJwk"], "payload": json.dumps(claims),
                      "header": {"typ": "openid4vci-proof+jwt", "kid": f"{did}#0"}}])
    token = signed["token"]
    assert verify_compact(token, public_jwk).claims() == claims
    verified = await verify_with_did(token, dids, did=did)
    assert verified.claims() == claims and verified.verification_method == f"{did}#0"
    assert verified.key == PublicKey.from_jwk(public_jwk)
    with pytest.raises(JoseError) as tampered:
        await verify_with_did(tamper(token), dids, did=did)
    assert tampered.value.code == "invalidSignature"
    [jose_on_tampered] = jose([{"op": "verify", "token": tamper(token), "publicJwk": public_jwk, "algorithms": [alg]}])
    assert jose_on_tampered["verified"] is False


def test_both_refuse_alg_none_and_key_confusion() -> None:
    ed, p256 = Ed25519KeyPair.generate(), P256KeyPair.generate()
    [unsecured, jose_es256] = jose([{"op": "unsecured", "claims": {"sub": "admin"}},
                                    {"op": "generate", "alg": "ES256"}])
    with pytest.raises(JoseError) as none:
        verify_compact(unsecured["token"], ed.public_jwk)
    assert none.value.code == "unsupportedAlgorithm"
    [their_token] = jose([{"op": "sign", "alg": "ES256", "privateJwk": jose_es256["privateJwk"], "payload": "{}",
                           "header": {}}])
    with pytest.raises(JoseError) as confused:  # an ES256 token against an Ed25519 key
        verify_compact(their_token["token"], ed.public_jwk)
    assert confused.value.code == "algorithmKeyMismatch"
    ours = sign_compact({}, p256)
    jose_none, jose_confused = jose([
        {"op": "verify", "token": unsecured["token"], "publicJwk": p256.public_jwk, "algorithms": ["ES256"]},
        {"op": "verify", "token": ours, "publicJwk": ed.public_jwk, "algorithms": ["EdDSA"]},
    ])
    assert jose_none["verified"] is False and jose_confused["verified"] is False
    assert jose_confused["code"] == "ERR_JOSE_ALG_NOT_ALLOWED"


def p256_vectors(vectors: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((vectors / "did-key" / "nist-curves.json").read_text())
    return {did: entry["verificationMethod"] for did, entry in data.items()
            if did.startswith("did:key:zDn") and "privateKeyJwk" in entry["verificationMethod"]}


async def test_p256_vector_keys_across_both_implementations(vectors: Path, dids: Resolver) -> None:
    cases = p256_vectors(vectors)
    assert len(cases) == 2
    for did, method in cases.items():
        fragment = did.removeprefix("did:key:")
        # jose signs with the vector's private JWK; vcnode resolves the did:key (its own zDn… decoding).
        [signed] = jose([{"op": "sign", "alg": "ES256", "privateJwk": method["privateKeyJwk"], "payload": "{}",
                          "header": {"kid": f"{did}#{fragment}"}}])
        verified = await verify_with_did(signed["token"], dids, did=did)
        assert verified.key == PublicKey.from_jwk(method["publicKeyJwk"])
        # vcnode signs with the same key under its did:jwk; jose decodes the did:jwk itself and verifies, and
        # verifies vcnode's did:key-signed token with the vector's own public JWK.
        pair = P256KeyPair.from_private_jwk(method["privateKeyJwk"])
        jwk_did = did_jwk_for(pair.public_jwk)
        assert (await dids.resolve(jwk_did)).did_document["verificationMethod"][0]["publicKeyJwk"] \
            == method["publicKeyJwk"]
        by_jwk = sign_compact({"iss": jwk_did}, pair, kid=f"{jwk_did}#0")
        by_key = sign_compact({"iss": did}, pair, kid=f"{did_key_for(pair.public_multikey)}#{pair.public_multikey}")
        from_did, with_vector_jwk = jose([
            {"op": "verifyDidJwk", "token": by_jwk, "algorithms": ["ES256"]},
            {"op": "verify", "token": by_key, "publicJwk": method["publicKeyJwk"], "algorithms": ["ES256"]},
        ])
        assert from_did["verified"] and from_did["publicJwk"] == method["publicKeyJwk"], from_did
        assert with_vector_jwk["verified"], with_vector_jwk
