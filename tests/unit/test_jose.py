"""Compact JWS: signing with the node's signers, and every refusal as an attacker would try it — alg none,
unknown algorithms, key confusion (ES256 / EdDSA / HS256 against the wrong key), kids and header JWKs that do
not match the DID, malformed and oversized serialisations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from did_methods.jwk import JwkDriver
from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.did.self_certifying import did_jwk_for, did_key_for
from vcnode.jose import JoseError, read_header, sign_compact, verify_compact, verify_with_did
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import KeyPair


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWS built by hand, as an attacker would."""
    return f"{b64(header)}.{b64(payload)}.{b64(signature) if signature else ''}"


def code_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(JoseError) as refused:
        call(*args, **kwargs)
    return refused.value.code


async def async_code_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(JoseError) as refused:
        await call(*args, **kwargs)
    return refused.value.code


def public(pair: KeyPair) -> PublicKey:
    return PublicKey.from_multikey(pair.public_multikey)


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver(), JwkDriver()])


@pytest.mark.parametrize(("pair_class", "alg"), [(Ed25519KeyPair, "EdDSA"), (P256KeyPair, "ES256")])
def test_sign_and_verify_with_a_key_or_a_jwk(pair_class: Any, alg: str) -> None:
    pair = pair_class.generate()
    token = sign_compact({"iss": "me", "n": 1}, pair, kid="k1", header={"typ": "JWT"})
    assert read_header(token) == {"alg": alg, "typ": "JWT", "kid": "k1"}
    for key in (public(pair), pair.public_jwk):
        verified = verify_compact(token, key)
        assert verified.header["alg"] == alg and verified.claims() == {"iss": "me", "n": 1}
    assert verify_compact(sign_compact(b"\x00raw bytes", pair), public(pair)).payload == b"\x00raw bytes"


def test_the_fully_specified_ed25519_algorithm_name_is_accepted() -> None:
    """RFC 9864 names EdDSA over Ed25519 "Ed25519"; the Node jose library signs with either name."""
    pair = Ed25519KeyPair.generate()
    header = {"alg": "Ed25519"}
    signing_input = f"{b64(header)}.{b64({'a': 1})}".encode()
    token = f"{signing_input.decode()}.{b64(pair.sign(signing_input))}"
    assert verify_compact(token, public(pair)).claims() == {"a": 1}


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg: str) -> None:
    pair = P256KeyPair.generate()
    assert code_of(verify_compact, forged({"alg": alg}, {"sub": "x"}), public(pair)) == "unsupportedAlgorithm"


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256K", "Ed448", "foo", ""])
def test_unknown_or_unsupported_algorithms_are_refused(alg: str) -> None:
    pair = P256KeyPair.generate()
    token = forged({"alg": alg}, {"sub": "x"}, b"\x01" * 64)
    assert code_of(verify_compact, token, public(pair)) == "unsupportedAlgorithm"


def test_an_algorithm_outside_the_callers_list_is_refused() -> None:
    pair = Ed25519KeyPair.generate()
    token = sign_compact({"a": 1}, pair)
    assert code_of(verify_compact, token, public(pair), algorithms=["ES256"]) == "unsupportedAlgorithm"
    assert verify_compact(token, public(pair), algorithms=["EdDSA"]).claims() == {"a": 1}


def test_key_confusion_es256_header_with_an_ed25519_key_and_vice_versa() -> None:
    ed, p256 = Ed25519KeyPair.generate(), P256KeyPair.generate()
    assert code_of(verify_compact, sign_compact({"a": 1}, p256), public(ed)) == "algorithmKeyMismatch"
    assert code_of(verify_compact, sign_compact({"a": 1}, ed), public(p256)) == "algorithmKeyMismatch"
    # A P-256 signature relabelled EdDSA against its own key: refused by the key type.
    _, payload, signature = sign_compact({"a": 1}, p256).split(".")
    relabelled = f"{b64({'alg': 'EdDSA'})}.{payload}.{signature}"
    assert code_of(verify_compact, relabelled, public(p256)) == "algorithmKeyMismatch"
    # ES512 (P-521, the vc-jose-cose suite's vm-p521.json) is accepted only with a P-521 key
    relabelled = f"{b64({'alg': 'ES512'})}.{payload}.{signature}"
    assert code_of(verify_compact, relabelled, public(p256)) == "algorithmKeyMismatch"


@pytest.mark.parametrize("pair_class", [Ed25519KeyPair, P256KeyPair])
def test_hs256_signed_with_the_public_key_as_secret_is_refused(pair_class: Any) -> None:
    """The classic confusion: a MAC whose secret is the verifier's public key (which anyone has)."""
    pair = pair_class.generate()
    for secret in (pair.public_key, json.dumps(pair.public_jwk).encode(), pair.public_multikey.encode()):
        header = {"alg": "HS256"}
        signing_input = f"{b64(header)}.{b64({'admin': True})}".encode()
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        token = f"{signing_input.decode()}.{b64(mac)}"
        assert code_of(verify_compact, token, public(pair)) == "algorithmKeyMismatch"


def test_tampered_payload_header_or_signature_does_not_verify() -> None:
    pair = P256KeyPair.generate()
    header, payload, signature = sign_compact({"grade": "B"}, pair, kid="k").split(".")
    other_payload = b64({"grade": "A"})
    assert code_of(verify_compact, f"{header}.{other_payload}.{signature}", public(pair)) == "invalidSignature"
    other_header = b64({"alg": "ES256", "kid": "k2"})
    assert code_of(verify_compact, f"{other_header}.{payload}.{signature}", public(pair)) == "invalidSignature"
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BA")
    assert code_of(verify_compact, f"{header}.{payload}.{flipped}", public(pair)) == "invalidSignature"
    assert code_of(verify_compact, f"{header}.{payload}.{signature}", public(P256KeyPair.generate())) \
        == "invalidSignature"


@pytest.mark.parametrize("token", [
    "", "abc", "a.b", "a.b.c.d", "..", "eyJhbGciOiJFUzI1NiJ9..",                # too few / many parts, no signature
    "!!!.e30.AAAA",                                                             # header not base64url
    f"{b64(b'not json')}.e30.AAAA",                                             # header not JSON
    f"{b64(b'[1, 2]')}.e30.AAAA",                                               # header not an object
    f"{b64({'typ': 'JWT'})}.e30.AAAA",                                          # no alg
    f"{b64({'alg': 'ES256', 'kid': 7})}.e30.AAAA",                              # kid not a string
    f"{b64({'alg': 'ES256', 'b64': False})}.e30.AAAA",                          # RFC 7797 unencoded payload
    f"{b64({'alg': 'ES256', 'crit': ['exp'], 'exp': 1})}.e30.AAAA",             # critical extension
    f"{b64({'alg': 'ES256'})}.!!!.AAAA",                                        # payload not base64url
    "eyJhbGciOiJFUzI1NiJ9.e30.AAAA\u00e9",                                      # not ASCII
])
def test_malformed_compact_serialisations_are_invalid_jws(token: str) -> None:
    assert code_of(verify_compact, token, public(P256KeyPair.generate())) == "invalidJws"


def test_a_token_that_is_not_a_string_is_invalid_jws() -> None:
    assert code_of(verify_compact, {"alg": "ES256"}, public(P256KeyPair.generate())) == "invalidJws"


def test_oversized_tokens_are_refused_before_decoding() -> None:
    pair = P256KeyPair.generate()
    token = sign_compact({"blob": "x" * 5000}, pair)
    assert code_of(verify_compact, token, public(pair), max_bytes=4096) == "jwsTooLarge"
    assert code_of(verify_compact, "a" * 300_000, public(pair)) == "jwsTooLarge"  # default limit
    assert code_of(read_header, token.encode(), max_bytes=100) == "jwsTooLarge"
    huge_header = f"{b64({'alg': 'ES256', 'x': 'y' * 9000})}.e30.AAAA"
    assert code_of(verify_compact, huge_header, public(pair)) == "jwsTooLarge"
    assert verify_compact(token, public(pair), max_bytes=len(token)).claims()["blob"] == "x" * 5000


def test_signing_refuses_a_header_alg_the_key_does_not_make() -> None:
    assert code_of(sign_compact, {"a": 1}, P256KeyPair.generate(), header={"alg": "EdDSA"}) == "algorithmKeyMismatch"
    assert code_of(sign_compact, {"a": 1}, Ed25519KeyPair.generate(), header={"alg": "none"}) \
        == "algorithmKeyMismatch"
    assert code_of(sign_compact, {"a": 1}, Ed25519KeyPair.generate(), header={"kid": 7}) == "invalidJws"


def test_a_private_or_malformed_jwk_is_not_a_verification_key() -> None:
    pair = P256KeyPair.generate()
    token = sign_compact({"a": 1}, pair)
    assert code_of(verify_compact, token, {**pair.public_jwk, "d": "AAAA"}) == "invalidJwk"
    assert code_of(verify_compact, token, {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}) == "invalidJwk"


@pytest.mark.parametrize("pair_class", [Ed25519KeyPair, P256KeyPair])
@pytest.mark.parametrize("method", ["key", "jwk"])
async def test_verify_with_the_key_a_did_names(resolver: Resolver, pair_class: Any, method: str) -> None:
    pair = pair_class.generate()
    did = did_key_for(pair.public_multikey) if method == "key" else did_jwk_for(pair.public_jwk)
    kid = f"{did}#{pair.public_multikey}" if method == "key" else f"{did}#0"
    for named in (kid, did):  # a bare did:key / did:jwk names its one key
        verified = await verify_with_did(sign_compact({"iss": did}, pair, kid=named), resolver, did=did)
        assert verified.verification_method == kid and verified.controller == did
        assert verified.key == public(pair)
    with_jwk = sign_compact({"iss": did}, pair, kid=kid, header={"jwk": pair.public_jwk})
    assert (await verify_with_did(with_jwk, resolver)).claims() == {"iss": did}


async def test_did_bound_refusals(resolver: Resolver) -> None:
    pair, other = P256KeyPair.generate(), P256KeyPair.generate()
    did, other_did = did_key_for(pair.public_multikey), did_key_for(other.public_multikey)
    kid = f"{did}#{pair.public_multikey}"
    assert await async_code_of(verify_with_did, sign_compact({}, pair), resolver) == "missingKid"
    # The kid names another DID than the one expected (an issuer claiming to be someone else).
    assert await async_code_of(verify_with_did, sign_compact({}, pair, kid=kid), resolver, did=other_did) \
        == "kidMismatch"
    for bad_kid in ("k1", "https://issuer.example/keys#1", f"{did}/path#x", "did:web:issuer.example"):
        assert await async_code_of(verify_with_did, sign_compact({}, pair, kid=bad_kid), resolver) \
            == "kidMismatch", bad_kid
    # The kid names the victim's key, but another key signed: the DID's key does not verify it.
    assert await async_code_of(verify_with_did, sign_compact({}, other, kid=kid), resolver, did=did) \
        == "invalidSignature"
    # A header JWK that is not the DID's key (the attacker's own key, which did sign).
    smuggled = sign_compact({}, other, kid=kid, header={"jwk": other.public_jwk})
    assert await async_code_of(verify_with_did, smuggled, resolver, did=did) == "jwkMismatch"
    assert await async_code_of(verify_with_did, sign_compact({}, pair, kid=kid, header={"jwk": {"kty": "EC"}}),
                               resolver) in ("jwkMismatch", "invalidJws")
    # A fragment the DID document does not hold, and a DID that does not resolve.
    assert await async_code_of(verify_with_did, sign_compact({}, pair, kid=f"{did}#other"), resolver) \
        == "verificationMethodNotFound"
    assert await async_code_of(verify_with_did, sign_compact({}, pair, kid="did:example:x#1"), resolver) \
        == "verificationMethodNotFound"
    # Key confusion through a DID: an Ed25519 did:key kid on an ES256 token.
    ed = Ed25519KeyPair.generate()
    ed_kid = f"{did_key_for(ed.public_multikey)}#{ed.public_multikey}"
    assert await async_code_of(verify_with_did, sign_compact({}, pair, kid=ed_kid), resolver) \
        == "algorithmKeyMismatch"


async def test_a_key_the_did_does_not_authorise_for_the_purpose_is_refused(resolver: Resolver) -> None:
    pair = P256KeyPair.generate()
    did = did_jwk_for({**pair.public_jwk, "use": "enc"})  # did:jwk: a key for encryption only
    token = sign_compact({"a": 1}, pair, kid=f"{did}#0")
    assert await async_code_of(verify_with_did, token, resolver) == "keyNotAuthorized"
    assert await async_code_of(verify_with_did, token, resolver, purpose="authentication") == "keyNotAuthorized"
