"""vc+cose interop with @auth0/cose (npm, through tests/interop/cose.mjs), both ways, for ES256, ES384 and EdDSA
with did:key issuers: each side verifies the other's COSE_Sign1 and refuses it once tampered with."""

from __future__ import annotations

import base64
import json
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.builders import badge
from tests.interop.harness import run_harness
from vcnode.did.resolver import Resolver
from vcnode.envelope_formats.cose import VC_COSE, CoseFormat
from vcnode.envelopes.base import EnvelopeError
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.jwk import b64url_encode
from vcnode.keys.private_jwk import signer_from_private_jwk
from vcnode.keys.signer import SigningKey

pytestmark = [pytest.mark.interop, pytest.mark.parametrize("alg", ["ES256", "ES384", "EdDSA"])]
COSE = CoseFormat()
MAX = 64 * 1024
_CURVES = {"ES256": (ec.SECP256R1(), "P-256", 32), "ES384": (ec.SECP384R1(), "P-384", 48)}


def private_jwk(alg: str) -> dict[str, str]:
    """A fresh private JWK for ``alg``."""
    if alg == "EdDSA":
        pair = Ed25519KeyPair.generate()
        return {**pair.public_jwk, "d": b64url_encode(pair.seed)}
    curve, crv, size = _CURVES[alg]
    private = ec.generate_private_key(curve)
    numbers = private.private_numbers()
    return {"kty": "EC", "crv": crv, "d": b64url_encode(numbers.private_value.to_bytes(size, "big")),
            "x": b64url_encode(numbers.public_numbers.x.to_bytes(size, "big")),
            "y": b64url_encode(numbers.public_numbers.y.to_bytes(size, "big"))}


def did_key(jwk: dict[str, str]) -> SigningKey:
    signer = signer_from_private_jwk(jwk)
    return SigningKey(f"did:key:{signer.public_multikey}#{signer.public_multikey}", signer)


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#")[0]


def with_payload(envelope: str, payload: bytes) -> str:
    """The same COSE_Sign1 (headers, signature) carrying another payload."""
    protected, unprotected, _, signature = cbor2.loads(base64.b64decode(envelope)).value
    message = cbor2.CBORTag(18, [protected, unprotected, payload, signature])
    return base64.b64encode(cbor2.dumps(message)).decode()


def auth0(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_harness("cose.mjs", jobs)


def test_auth0_cose_verifies_what_vcnode_sealed_and_refuses_tampering(alg: str) -> None:
    jwk = private_jwk(alg)
    key = did_key(jwk)
    credential = badge(did_of(key))
    envelope = COSE.seal(credential, key, media_type=VC_COSE)
    forged = with_payload(envelope, json.dumps({**credential, "name": "Forged"}).encode())
    public = {name: value for name, value in jwk.items() if name != "d"}
    ours, tampered = auth0([{"op": "verify", "envelope": envelope, "publicJwk": public},
                            {"op": "verify", "envelope": forged, "publicJwk": public}])
    assert ours["verified"], ours
    assert json.loads(ours["payload"]) == credential
    assert ours["headers"] == {"1": {"ES256": -7, "ES384": -35, "EdDSA": -8}[alg], "3": "application/vc",
                               "4": key.verification_method, "16": VC_COSE}
    assert not tampered["verified"], tampered


async def test_vcnode_verifies_what_auth0_cose_signed_and_refuses_tampering(alg: str, resolver: Resolver) -> None:
    jwk = private_jwk(alg)
    key = did_key(jwk)
    credential = badge(did_of(key))
    [signed] = auth0([{"op": "sign", "alg": alg, "privateJwk": jwk, "payload": json.dumps(credential),
                       "headers": {"3": "application/vc", "4": key.verification_method, "16": VC_COSE}}])
    opened = await COSE.open(signed["envelope"], VC_COSE, resolver, max_bytes=MAX)
    assert opened.document == credential and opened.verification_method == key.verification_method
    forged = with_payload(signed["envelope"], json.dumps({**credential, "name": "Forged"}).encode())
    with pytest.raises(EnvelopeError) as caught:
        await COSE.open(forged, VC_COSE, resolver, max_bytes=MAX)
    assert caught.value.code == "invalidSignature"
