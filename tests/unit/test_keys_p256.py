"""P-256 keys: creation of did:key ``zDn…`` and did:jwk against the W3C CCG vectors and the did:jwk spec,
ES256 signatures, typed public keys and the signer abstraction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.keys import multikey, signer
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.jwk import JwkError, b64url_decode
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import Signer, UnsupportedKeyType

# The did:jwk specification's P-256 example.
SPEC_P256_DID = ("did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZD"
                 "ZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9")


def p256_vectors(vectors: Path) -> dict[str, dict[str, Any]]:
    """The P-256 entries of the CCG did:key vectors (they also hold P-384 and P-521 keys)."""
    data = json.loads((vectors / "did-key" / "nist-curves.json").read_text())
    cases = {did: entry for did, entry in data.items() if did.startswith("did:key:zDn")}
    assert len(cases) == 3
    return cases


def vector_pair(entry: dict[str, Any]) -> tuple[P256KeyPair, PublicKey]:
    """The key pair of a vector (a private JWK, or a base58 scalar in the P256Key2021 form) and its public key
    as the vector states it."""
    method = entry["verificationMethod"]
    if "privateKeyJwk" in method:
        return P256KeyPair.from_private_jwk(method["privateKeyJwk"]), PublicKey.from_jwk(method["publicKeyJwk"])
    assert method["type"] == "P256Key2021"
    return (P256KeyPair.from_secret(base58.b58decode(method["privateKeyBase58"])),
            PublicKey(multikey.P256_PUB, base58.b58decode(method["publicKeyBase58"])))


def test_vector_private_keys_create_the_vector_did_keys(vectors: Path) -> None:
    for did, entry in p256_vectors(vectors).items():
        pair, stated = vector_pair(entry)
        assert did_key_for(pair.public_multikey) == did
        assert PublicKey.from_jwk(pair.public_jwk) == stated
        assert pair.public_multikey.startswith("zDn")
        decoded = multikey.decode(pair.public_multikey)
        assert decoded.codec == 0x1200 and len(decoded.raw) == 33 and decoded.raw[0] in (2, 3)
        assert P256KeyPair.from_secret(pair.secret).public_multikey == pair.public_multikey
        assert multikey.decode(pair.secret_multikey).raw == pair.secret
        assert pair.secret_multikey not in repr(pair)


async def test_created_p256_dids_resolve_to_the_vector_documents(vectors: Path) -> None:
    resolver = Resolver([KeyDriver(), JwkDriver()])
    for did, entry in p256_vectors(vectors).items():
        pair, stated = vector_pair(entry)
        document = (await resolver.resolve(did_key_for(pair.public_multikey))).did_document
        [method] = document["verificationMethod"]
        assert method["publicKeyMultibase"] == pair.public_multikey
        assert PublicKey.from_multikey(method["publicKeyMultibase"]) == stated
        assert document["assertionMethod"] == [f"{did}#{pair.public_multikey}"]
        jwk_did = did_jwk_for(pair.public_jwk)
        result = await resolver.resolve(jwk_did)
        assert result.error is None
        assert result.did_document["verificationMethod"][0]["publicKeyJwk"] == pair.public_jwk
        assert result.did_document["assertionMethod"] == [f"{jwk_did}#0"]


def test_did_jwk_creation_gives_the_spec_example_for_its_key() -> None:
    jwk = json.loads(b64url_decode(SPEC_P256_DID.removeprefix("did:jwk:")))
    shuffled = {"y": jwk["y"], "x": jwk["x"], "kty": jwk["kty"], "crv": jwk["crv"]}
    assert did_jwk_for(shuffled) == SPEC_P256_DID  # one key, one DID, whatever the member order


def test_es256_signatures_are_raw_r_s_and_verify_with_cryptography() -> None:
    pair = P256KeyPair.generate()
    signature = pair.sign(b"hello")
    assert len(signature) == 64
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pair.public_key)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    key.verify(encode_dss_signature(r, s), b"hello", ec.ECDSA(hashes.SHA256()))  # raises when wrong
    public = PublicKey.from_multikey(pair.public_multikey)
    assert public.verify(b"hello", signature)
    assert not public.verify(b"hellO", signature)
    assert not public.verify(b"hello", signature[:63])
    assert not public.verify(b"hello", bytes(64))


def test_signatures_made_by_cryptography_verify() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(private.sign(b"msg", ec.ECDSA(hashes.SHA256())))
    pair = P256KeyPair(private)
    assert PublicKey.from_jwk(pair.public_jwk).verify(b"msg", r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def test_typed_public_keys_say_their_type_and_check_only_their_own_signatures() -> None:
    ed, p256 = Ed25519KeyPair.generate(), P256KeyPair.generate()
    ed_key, p_key = PublicKey.from_multikey(ed.public_multikey), PublicKey.from_jwk(p256.public_jwk)
    assert (ed_key.key_type, p_key.key_type) == ("Ed25519", "P-256")
    assert ed_key.jwk == ed.public_jwk and p_key.multikey == p256.public_multikey
    assert not ed_key.verify(b"m", p256.sign(b"m")) and not p_key.verify(b"m", ed.sign(b"m"))
    x25519 = PublicKey.from_multikey("z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p")
    assert x25519.key_type == "X25519" and not x25519.verify(b"m", bytes(64))
    with pytest.raises(multikey.MultikeyError):  # a secret key is never a public key
        PublicKey.from_multikey(p256.secret_multikey)


def test_bad_private_jwks_are_refused() -> None:
    pair = P256KeyPair.generate()
    good = {**pair.public_jwk, "d": "gPh-VvVS8MbvKQ9LSVVmfnxnKjHn4Tqj0bmbpehRlpc"}
    with pytest.raises(JwkError):  # d of another key than x/y
        P256KeyPair.from_private_jwk(good)
    with pytest.raises(JwkError):
        P256KeyPair.from_private_jwk({"kty": "EC", "crv": "P-256", "d": "AA"})
    with pytest.raises(JwkError):
        P256KeyPair.from_private_jwk({"kty": "EC", "crv": "P-256", "d": "A" * 43})  # the scalar 0


@pytest.mark.parametrize(("name", "alg", "key_type"), [("ed25519", "EdDSA", "Ed25519"), ("p256", "ES256", "P-256"),
                                                       ("p384", "ES384", "P-384")])
def test_signers_of_every_key_type(name: str, alg: str, key_type: str) -> None:
    pair = signer.generate(signer.key_type_named(name))
    assert isinstance(pair, Signer)
    assert (pair.alg, pair.key_type) == (alg, key_type)
    restored = signer.from_secret(key_type, pair.secret)
    assert restored.public_multikey == pair.public_multikey and restored.public_jwk == pair.public_jwk
    assert PublicKey.from_multikey(pair.public_multikey).verify(b"data", restored.sign(b"data"))


def test_unknown_key_types_are_named_errors() -> None:
    with pytest.raises(UnsupportedKeyType) as unknown:
        signer.key_type_named("rsa")
    assert unknown.value.code == "unsupportedKeyType"
    with pytest.raises(UnsupportedKeyType):
        signer.generate("P-521")  # verified, never held


def test_keys_from_jwks_bring_their_loaded_point() -> None:
    """A key read from a JWK is the same key as from its Multikey, verifies without loading its point again
    (the point checked while reading it is kept), and the kept points are bounded, oldest out first."""
    from vcnode.keys import public
    points = public._LoadedPoints(2)
    pairs = [P256KeyPair.generate() for _ in range(3)]
    for pair in pairs:
        points.put((1, pair.public_multikey.encode()), object())  # type: ignore[arg-type]
    assert points.get((1, pairs[0].public_multikey.encode())) is None
    assert points.get((1, pairs[2].public_multikey.encode())) is not None
    pair = P256KeyPair.generate()
    key = PublicKey.from_jwk(pair.public_jwk)
    assert key == PublicKey.from_multikey(pair.public_multikey)
    assert public._EC_KEYS.get((key.codec, key.raw)) is not None
    assert key.verify(b"data", pair.sign(b"data")) and not key.verify(b"data", pairs[0].sign(b"data"))
    with pytest.raises(JwkError):
        PublicKey.from_jwk({**pair.public_jwk, "y": pair.public_jwk["x"]})  # off the curve
