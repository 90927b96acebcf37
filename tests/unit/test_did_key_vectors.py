"""did:key against the W3C CCG vectors, other implementations' documents and the spec's Multikey form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import base58
import pytest
from multiformats import varint

from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.keys import multikey
from vcnode.keys.jwk import jwk_to_multikey

RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityDelegation", "capabilityInvocation",
                 "keyAgreement")
# Key types of the 2018-2021 formats in the vectors, mapped to the multicodec of their raw key.
BASE58_TYPES = {"Ed25519VerificationKey2018": multikey.ED25519_PUB,
                "X25519KeyAgreementKey2019": multikey.X25519_PUB,
                "P256Key2021": multikey.P256_PUB, "P384Key2021": multikey.P384_PUB,
                "P521Key2021": multikey.P521_PUB, "Bls12381G2Key2020": multikey.BLS12381_G2_PUB}


def key_material(method: dict[str, Any]) -> tuple[str, bytes]:
    """(codec name, raw public key) of a verification method in any of the formats in the vectors."""
    if "publicKeyMultibase" in method:
        decoded = multikey.decode(method["publicKeyMultibase"])
    elif "publicKeyJwk" in method:
        decoded = multikey.decode(jwk_to_multikey(method["publicKeyJwk"]))
    else:
        raw = base58.b58decode(method["publicKeyBase58"])
        decoded = multikey.DecodedKey(BASE58_TYPES[method["type"]], raw)
    return decoded.codec_name, decoded.raw


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """Key material by method id, and relationship → set of method ids: what must agree across formats."""
    did = document["id"]
    absolute = lambda ref: did + ref if ref.startswith("#") else ref  # noqa: E731
    listed = document.get("verificationMethod", []) + document.get("publicKey", [])  # publicKey: pre-DID Core
    methods = {absolute(m["id"]): key_material(m) for m in listed}
    relationships = {}
    for name in RELATIONSHIPS:
        ids = set()
        for item in document.get(name, []):
            if isinstance(item, dict):
                methods[absolute(item["id"])] = key_material(item)
                ids.add(absolute(item["id"]))
            else:
                ids.add(absolute(item))
        if ids:
            relationships[name] = ids
    return {"methods": methods, "relationships": relationships}


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def ccg_vectors(vectors: Path, name: str) -> dict[str, dict]:
    data = json.loads((vectors / "did-key" / name).read_text())
    if set(data) == {"didDocument"}:  # x25519.json: {"didDocument": {did: document}}
        return data["didDocument"]
    return {did: entry["didDocument"] for did, entry in data.items()}


@pytest.mark.parametrize("file", ["ed25519-x25519.json", "nist-curves.json", "x25519.json"])
async def test_ccg_vectors_give_the_same_keys_and_relationships(vectors: Path, resolver: Resolver,
                                                                file: str) -> None:
    cases = ccg_vectors(vectors, file)
    assert cases
    for did, expected in cases.items():
        result = await resolver.resolve(did)
        assert result.error is None, (did, result.resolution_metadata)
        assert normalise(result.did_document) == normalise(expected), did


async def test_multikey_form_matches_the_did_key_spec_example(resolver: Resolver) -> None:
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    vm = f"{did}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    x25519 = "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"
    result = await resolver.resolve(did)
    assert result.did_document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": vm, "type": "Multikey", "controller": did,
                                "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}],
        "authentication": [vm], "assertionMethod": [vm], "capabilityDelegation": [vm], "capabilityInvocation": [vm],
        "keyAgreement": [{"id": f"{did}#{x25519}", "type": "Multikey", "controller": did,
                          "publicKeyMultibase": x25519}],
    }
    assert result.resolution_metadata["contentType"] == "application/did+ld+json"


def suite_documents(vectors: Path) -> list[tuple[str, str, dict]]:
    found = []
    for path in sorted((vectors / "did-key" / "did-test-suite").glob("*.json")):
        data = json.loads(path.read_text())
        for did in data["dids"]:
            document = data[did]["didDocumentDataModel"]["properties"]
            found.append((path.name, did, document))
    return found


async def test_other_implementations_documents_agree(vectors: Path, resolver: Resolver) -> None:
    """For every did:key in the DID test suite that uses a key type we implement, the key material agrees
    and every relationship the other implementation lists, we list with the same methods."""
    checked = unsupported = 0
    for source, did, theirs in suite_documents(vectors):
        result = await resolver.resolve(did)
        if result.error == "unsupportedPublicKeyType":
            unsupported += 1
            continue
        assert result.error is None, (source, did, result.resolution_metadata)
        ours, expected = normalise(result.did_document), normalise(theirs)
        assert set(ours["methods"].values()) >= set(expected["methods"].values()), (source, did)
        for name, ids in expected["relationships"].items():
            assert {ours["methods"][i] for i in ours["relationships"][name]} == \
                {expected["methods"][i] for i in ids}, (source, did, name)
        checked += 1
    assert checked >= 8 and unsupported >= 1, (checked, unsupported)


@pytest.mark.parametrize("file", ["secp256k1.json", "bls12381.json", "rsa.json"])
async def test_key_types_not_implemented_are_reported_as_such(vectors: Path, resolver: Resolver, file: str) -> None:
    for did in ccg_vectors(vectors, file):
        if did.startswith("did:key:zUC7"):  # BLS12-381 G2 (BBS, bbs-2023) keys are implemented
            continue
        result = await resolver.resolve(did)
        assert result.error == "unsupportedPublicKeyType", did


async def test_bls12381_g2_vectors_give_the_same_keys_and_signing_relationships(vectors: Path,
                                                                                resolver: Resolver) -> None:
    cases = {did: document for did, document in ccg_vectors(vectors, "bls12381.json").items()
             if did.startswith("did:key:zUC7")}
    assert len(cases) >= 3
    for did, expected in cases.items():
        result = await resolver.resolve(did)
        assert result.error is None, (did, result.resolution_metadata)
        ours, theirs = normalise(result.did_document), normalise(expected)
        assert ours["methods"] == theirs["methods"], did
        # the 2020 vectors also list the BBS key for keyAgreement; BBS keys cannot agree keys
        assert ours["relationships"] == {name: ids for name, ids in theirs["relationships"].items()
                                         if name != "keyAgreement"}, did


@pytest.mark.parametrize("did", [
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0",  # '0' is not base58
    "did:key:6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",    # no multibase prefix
    "did:key:mO0RqM8X1ZBTCVYEYm1G3l5GRrVcjb8GqtCy5Ls9YgnA",        # base64 multibase: not did:key
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK:extra",
    "did:key:z" + base58.b58encode(b"\xff\xff").decode(),          # a varint that never ends
])
async def test_malformed_did_key_is_invalid_did(resolver: Resolver, did: str) -> None:
    result = await resolver.resolve(did)
    assert result.error == "invalidDid", result.resolution_metadata


def _did_key(codec: int, raw: bytes) -> str:
    """A did:key of ``raw`` under the multicodec ``codec``, whatever their length (Multikey encoding
    refuses wrong lengths, so the bytes are put together here)."""
    return "did:key:z" + base58.b58encode(bytes(varint.encode(codec)) + raw).decode()


# The did:key specification's errors (Document Creation, Signature / Encryption Method Creation algorithms):
# key bytes of the wrong length for their multicodec are invalidPublicKeyLength, bytes that are not a key of
# that type invalidPublicKey; a multicodec that is no public key type at all is invalidPublicKeyType.
@pytest.mark.parametrize(("did", "code"), [
    (_did_key(multikey.ED25519_PUB, bytes(range(1, 32))), "invalidPublicKeyLength"),   # 31 bytes
    (_did_key(multikey.ED25519_PUB, bytes(range(1, 34))), "invalidPublicKeyLength"),   # 33 bytes
    (_did_key(multikey.ED25519_PUB, b""), "invalidPublicKeyLength"),
    (_did_key(multikey.X25519_PUB, bytes(16)), "invalidPublicKeyLength"),
    (_did_key(multikey.P256_PUB, b"\x02" + bytes(31)), "invalidPublicKeyLength"),
    (_did_key(multikey.P384_PUB, b"\x04" + bytes(96)), "invalidPublicKeyLength"),     # uncompressed point
    (_did_key(multikey.ED25519_PUB, (2).to_bytes(32, "little")), "invalidPublicKey"),  # y = 2: not on the curve
    (_did_key(multikey.P256_PUB, b"\x02" + (1).to_bytes(32, "big")), "invalidPublicKey"),  # x = 1: no such point
    ("did:key:zQmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "invalidPublicKeyType"),  # a CID (sha2-256)
    (_did_key(multikey.ED25519_PRIV, bytes(range(32))), "invalidPublicKeyType"),         # a private key
    (_did_key(0x1E3089, bytes(32)), "invalidPublicKeyType"),                               # no such multicodec
    (_did_key(0xE7, bytes(33)), "unsupportedPublicKeyType"),                               # secp256k1-pub
])
async def test_did_key_errors_are_the_specifications(resolver: Resolver, did: str, code: str) -> None:
    result = await resolver.resolve(did)
    assert result.error == code, result.resolution_metadata
    assert result.did_document is None

