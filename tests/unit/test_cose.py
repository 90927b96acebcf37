"""application/vc+cose and vp+cose (COSE_Sign1): round trips per algorithm with did:key issuers, and every
refusal as a named EnvelopeError (tampering, unknown or mismatched alg, kid of another DID, malformed CBOR, wrong
tag, oversize, wrong typ, unsecured credentials in a presentation)."""

from __future__ import annotations

import base64
import json
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from did_methods.key import KeyDriver
from tests.builders import badge
from tests.builders import did_key_signer as generated_signer
from vcnode.did.resolver import Resolver
from vcnode.envelope_formats.cose import VC_COSE, VP_COSE, CoseFormat
from vcnode.envelopes.base import EnvelopeError
from vcnode.keys.jwk import b64url_encode
from vcnode.keys.private_jwk import signer_from_private_jwk
from vcnode.keys.signer import SigningKey

MAX = 64 * 1024
COSE = CoseFormat()


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def did_key_signer(key_type: str) -> SigningKey:
    """A did:key identity of ``key_type`` (P-384 from a private JWK: the node holds no P-384 identity keys)."""
    if key_type != "P-384":
        return generated_signer(key_type)
    private = ec.generate_private_key(ec.SECP384R1())
    signer = signer_from_private_jwk({"kty": "EC", "crv": "P-384", "d": b64url_encode(
        private.private_numbers().private_value.to_bytes(48, "big"))})
    return SigningKey(f"did:key:{signer.public_multikey}#{signer.public_multikey}", signer)


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#")[0]


_FUZZ_KEY = generated_signer("P-256")
FUZZ_ENVELOPE = COSE.seal(badge(did_of(_FUZZ_KEY)), _FUZZ_KEY, media_type=VC_COSE)


def payload_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def message_of(envelope: str) -> list[Any]:
    return list(cbor2.loads(base64.b64decode(envelope)).value)


def encoded(message: list[Any], tag: int | None = 18) -> str:
    item = cbor2.CBORTag(tag, message) if tag is not None else message
    return base64.b64encode(cbor2.dumps(item)).decode()


def resigned(key: SigningKey, protected: dict[int, Any], payload: bytes) -> str:
    """A COSE_Sign1 with exactly ``protected`` as its protected header, properly signed by ``key``."""
    protected_bytes = cbor2.dumps(protected)
    signature = key.signer.sign(cbor2.dumps(["Signature1", protected_bytes, b"", payload]))
    return encoded([protected_bytes, {}, payload, signature])


async def refused(resolver: Resolver, envelope: str, media_type: str = VC_COSE, max_bytes: int = MAX) -> str:
    with pytest.raises(EnvelopeError) as caught:
        await COSE.open(envelope, media_type, resolver, max_bytes=max_bytes)
    return caught.value.code


@pytest.mark.parametrize(("key_type", "alg"), [("P-256", -7), ("P-384", -35), ("Ed25519", -8)])
async def test_credential_round_trip_per_algorithm(resolver: Resolver, key_type: str, alg: int) -> None:
    key = did_key_signer(key_type)
    credential = badge(did_of(key))
    envelope = COSE.seal(credential, key, media_type=VC_COSE)
    protected, _, _, _ = message_of(envelope)
    assert cbor2.loads(protected) == {1: alg, 3: "application/vc", 4: key.verification_method.encode(),
                                      16: VC_COSE}
    opened = await COSE.open(envelope, VC_COSE, resolver, max_bytes=MAX)
    assert opened.document == credential and opened.media_type == VC_COSE
    assert opened.verification_method == key.verification_method and opened.controller == did_of(key)
    assert opened.key.key_type == key_type


async def test_presentation_round_trip_and_holder_binding(resolver: Resolver) -> None:
    holder, other = did_key_signer("P-256"), did_key_signer("Ed25519")
    inner = COSE.seal(badge(did_of(other)), other, media_type=VC_COSE)
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "holder": did_of(holder), "verifiableCredential": [{
                        "@context": "https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential",
                        "id": f"data:{VC_COSE};base64,{inner}"}]}
    opened = await COSE.open(COSE.seal(presentation, holder, media_type=VP_COSE), VP_COSE, resolver,
                             max_bytes=MAX)
    assert opened.document == presentation and opened.controller == did_of(holder)
    # the same presentation signed by someone who is not its holder
    assert await refused(resolver, COSE.seal(presentation, other, media_type=VP_COSE), VP_COSE) == "kidMismatch"


async def test_tampered_payload_and_signature_are_refused(resolver: Resolver) -> None:
    key = did_key_signer("P-256")
    protected, unprotected, payload, signature = message_of(COSE.seal(badge(did_of(key)), key, media_type=VC_COSE))
    changed = payload.replace(b"Data Analytics Fundamentals", b"Data Analytics Fundamentalz")
    assert changed != payload
    assert await refused(resolver, encoded([protected, unprotected, changed, signature])) == "invalidSignature"
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert await refused(resolver, encoded([protected, unprotected, payload, flipped])) == "invalidSignature"


@pytest.mark.parametrize("alg", [-257, -37, 999, "ES256", None, True])
async def test_unknown_or_missing_algorithm_is_refused(resolver: Resolver, alg: object) -> None:
    key = did_key_signer("P-256")
    header = {3: "application/vc", 4: key.verification_method.encode(), 16: VC_COSE}
    if alg is not None:
        header[1] = alg
    envelope = resigned(key, header, payload_of(badge(did_of(key))))
    assert await refused(resolver, envelope) == "unsupportedAlgorithm"


async def test_algorithm_of_another_key_type_is_refused(resolver: Resolver) -> None:
    key = did_key_signer("Ed25519")
    header = {1: -7, 4: key.verification_method.encode()}  # ES256 named, an Ed25519 key behind the kid
    assert await refused(resolver, resigned(key, header, payload_of(badge(did_of(key))))) == \
        "algorithmKeyMismatch"


async def test_kid_of_another_did_than_the_issuer_is_refused(resolver: Resolver) -> None:
    issuer, impostor = did_key_signer("P-256"), did_key_signer("P-256")
    envelope = COSE.seal(badge(did_of(issuer)), impostor, media_type=VC_COSE)
    assert await refused(resolver, envelope) == "kidMismatch"
    header = {1: -7, 16: VC_COSE}  # no kid at all
    assert await refused(resolver, resigned(issuer, header, payload_of(badge(did_of(issuer))))) == "missingKid"


async def test_malformed_messages_get_named_errors(resolver: Resolver) -> None:
    key = did_key_signer("P-256")
    envelope = COSE.seal(badge(did_of(key)), key, media_type=VC_COSE)
    message = message_of(envelope)
    raw = base64.b64decode(envelope)
    assert await refused(resolver, "not base64 at all!") == "invalidBase64"
    assert await refused(resolver, base64.b64encode(raw[:-10]).decode()) == "malformedCose"
    assert await refused(resolver, base64.b64encode(raw + b"\x00").decode()) == "malformedCose"
    assert await refused(resolver, encoded(message, tag=98)) == "wrongCoseTag"  # a COSE_Sign
    assert await refused(resolver, encoded(message[:3])) == "malformedCose"
    assert await refused(resolver, encoded([message[0], {}, None, message[3]])) == "detachedPayload"
    assert await refused(resolver, encoded([b"\xa1\x01", {}, message[2], message[3]])) == "malformedCose"
    assert await refused(resolver, encoded([message[0], {1: -7}, message[2], message[3]])) == "malformedCose"
    assert await refused(resolver, envelope, max_bytes=len(raw) - 1) == "coseTooLarge"
    assert await refused(resolver, envelope * 4, max_bytes=len(raw)) == "coseTooLarge"
    assert (await COSE.open(encoded(message, tag=None), VC_COSE, resolver, max_bytes=MAX)).document  # untagged


async def test_typ_content_type_and_document_must_match_the_media_type(resolver: Resolver) -> None:
    key = did_key_signer("P-256")
    credential = badge(did_of(key))
    assert await refused(resolver, COSE.seal(credential, key, media_type=VC_COSE), VP_COSE) == "mediaTypeMismatch"
    for header in ({16: "application/vp+cose"}, {3: "application/json"}, {16: "really/bad"}):
        envelope = resigned(key, {1: -7, 4: key.verification_method.encode(), **header}, payload_of(credential))
        assert await refused(resolver, envelope) == "mediaTypeMismatch", header
    not_a_credential = resigned(key, {1: -7, 4: key.verification_method.encode()}, b'{"type": ["Thing"]}')
    assert await refused(resolver, not_a_credential) == "invalidPayload"
    assert await refused(resolver, resigned(key, {1: -7, 4: key.verification_method.encode()}, b"\xff")) == \
        "invalidPayload"
    with pytest.raises(EnvelopeError):
        COSE.seal(credential, key, media_type="application/vc+jwt")


async def test_unknown_critical_header_is_refused(resolver: Resolver) -> None:
    key = did_key_signer("P-256")
    header = {1: -7, 2: [99], 4: key.verification_method.encode(), 99: "must understand"}
    assert await refused(resolver, resigned(key, header, payload_of(badge(did_of(key))))) == \
        "unsupportedCriticalHeader"


async def test_presentation_with_an_unsecured_credential_is_refused(resolver: Resolver) -> None:
    holder = did_key_signer("P-256")
    for entry in (badge("did:example:issuer"),  # no proof, not enveloped
                  {"@context": "https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential",
                   "id": "bad-credential"}):
        presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation",
                        "holder": did_of(holder), "verifiableCredential": [entry]}
        payload = payload_of(presentation)
        envelope = resigned(holder, {1: -7, 4: holder.verification_method.encode()}, payload)
        assert await refused(resolver, envelope, VP_COSE) == "unsecuredCredential"


async def test_repeated_protected_label_is_refused(resolver: Resolver) -> None:
    key = did_key_signer("P-256")
    kid = cbor2.dumps(key.verification_method.encode())
    # {1: -35, 4: kid, 1: -7}: cbor2 would keep the last alg; which one the signer meant is unknowable
    protected = b"\xa3" + cbor2.dumps(1) + cbor2.dumps(-35) + cbor2.dumps(4) + kid + cbor2.dumps(1) + cbor2.dumps(-7)
    payload = payload_of(badge(did_of(key)))
    signature = key.signer.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    assert await refused(resolver, encoded([protected, {}, payload, signature])) == "malformedCose"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_arbitrary_bytes_and_mutations_only_ever_give_envelope_errors(resolver: Resolver,
                                                                           data: st.DataObject) -> None:
    raw = bytearray(base64.b64decode(FUZZ_ENVELOPE))
    choice = data.draw(st.sampled_from(["random", "flip", "truncate", "text"]))
    if choice == "random":
        candidate: str = base64.b64encode(data.draw(st.binary(max_size=400))).decode()
    elif choice == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            index = data.draw(st.integers(0, len(raw) - 1))
            raw[index] ^= data.draw(st.integers(1, 255))
        candidate = base64.b64encode(bytes(raw)).decode()
    elif choice == "truncate":
        candidate = base64.b64encode(bytes(raw[:data.draw(st.integers(0, len(raw) - 1))])).decode()
    else:
        candidate = data.draw(st.text(max_size=200))
    try:
        await COSE.open(candidate, VC_COSE, resolver, max_bytes=MAX)
    except EnvelopeError as exc:
        assert exc.code
