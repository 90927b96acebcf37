"""P-384 keys (the NIST-curve key pair of vcnode.keys.nist on P-384): did:key ``z82…`` and did:jwk from the W3C CCG
did:key vectors' private keys, resolved to the vectors' keys; ES384 signatures (96-byte ``r ‖ s`` over SHA-384)
checked by ``cryptography``; Multikey and JWK forms; what a P-384 key is refused for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.keys import multikey, signer
from vcnode.keys.jwk import JwkError
from vcnode.keys.nist import P256KeyPair, P384KeyPair
from vcnode.keys.public import PublicKey


def p384_vectors(vectors: Path) -> dict[str, dict[str, Any]]:
    """The P-384 entries of the CCG did:key vectors (private and public JWKs, and the DID documents)."""
    data = json.loads((vectors / "did-key" / "nist-curves.json").read_text())
    cases = {did: entry for did, entry in data.items() if did.startswith("did:key:z82")}
    assert len(cases) == 2
    return cases


def test_vector_private_keys_create_the_vector_did_keys(vectors: Path) -> None:
    for did, entry in p384_vectors(vectors).items():
        method = entry["verificationMethod"]
        pair = P384KeyPair.from_private_jwk(method["privateKeyJwk"])
        assert (pair.key_type, pair.alg) == ("P-384", "ES384")
        assert did_key_for(pair.public_multikey) == did and pair.public_multikey.startswith("z82")
        assert pair.public_jwk == method["publicKeyJwk"]
        decoded = multikey.decode(pair.public_multikey)
        assert decoded.codec == 0x1201 and len(decoded.raw) == 49 and decoded.raw[0] in (2, 3)
        secret = multikey.decode_multibase(pair.secret_multikey)
        assert secret[:2] == bytes([0x87, 0x26]) and secret[2:] == pair.secret and len(pair.secret) == 48
        assert P384KeyPair.from_secret(pair.secret).public_multikey == pair.public_multikey
        assert pair.secret_multikey not in repr(pair) and repr(pair).startswith("P384KeyPair(")


async def test_created_p384_dids_resolve_to_the_vector_keys(vectors: Path) -> None:
    resolver = Resolver([KeyDriver(), JwkDriver()])
    for did, entry in p384_vectors(vectors).items():
        pair = P384KeyPair.from_private_jwk(entry["verificationMethod"]["privateKeyJwk"])
        stated = PublicKey.from_jwk(entry["verificationMethod"]["publicKeyJwk"])
        document = (await resolver.resolve(did_key_for(pair.public_multikey))).did_document
        [method] = document["verificationMethod"]
        assert PublicKey.from_multikey(method["publicKeyMultibase"]) == stated
        assert stated.key_type == "P-384"
        assert document["assertionMethod"] == [f"{did}#{pair.public_multikey}"]
        jwk_did = did_jwk_for(pair.public_jwk)
        result = await resolver.resolve(jwk_did)
        assert result.error is None
        assert result.did_document["verificationMethod"][0]["publicKeyJwk"] == pair.public_jwk


def test_es384_signatures_are_raw_r_s_over_sha384() -> None:
    pair = P384KeyPair.generate()
    signature = pair.sign(b"hello")
    assert len(signature) == 96
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), pair.public_key)
    r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    key.verify(encode_dss_signature(r, s), b"hello", ec.ECDSA(hashes.SHA384()))  # raises when wrong
    public = PublicKey.from_jwk(pair.public_jwk)
    assert public.key_type == "P-384" and public.multikey == pair.public_multikey
    assert public.verify(b"hello", signature)
    assert not public.verify(b"hellO", signature) and not public.verify(b"hello", signature[:64])
    # A P-256 signature never verifies with a P-384 key, nor the other way.
    p256 = P256KeyPair.generate()
    assert not public.verify(b"hello", p256.sign(b"hello"))
    assert not PublicKey.from_multikey(p256.public_multikey).verify(b"hello", signature)


def test_the_signer_module_holds_p384_keys_and_refuses_the_wrong_material() -> None:
    pair = signer.generate(signer.key_type_named("p384"))
    assert isinstance(pair, P384KeyPair) and isinstance(pair, signer.Signer)
    assert signer.from_secret("P-384", pair.secret).public_jwk == pair.public_jwk
    with pytest.raises(ValueError):
        signer.from_secret("P-384", P256KeyPair.generate().secret)  # 32 bytes: a P-256 scalar
    with pytest.raises(JwkError):
        P384KeyPair.from_private_jwk({**P256KeyPair.generate().public_jwk, "d": "A" * 43})
    with pytest.raises(ValueError):
        P384KeyPair(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(multikey.MultikeyError):  # a secret key is never a public key
        PublicKey.from_multikey(pair.secret_multikey)
