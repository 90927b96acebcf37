"""ecdsa-jcs-2019 (P-256, SHA-256) against the W3C vectors (and ecdsa-rdfc-2019's, with the same key); round
trips and the named refusals (wrong key type either way, a P-384 key, a proofValue of the wrong length, a signature
that is not one)."""

from __future__ import annotations

import copy
import json
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from did_methods.key import KeyDriver
from tests.conftest import ROOT
from vcnode.did.resolver import Resolver
from vcnode.keys import multikey, signer
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.public import PublicKey
from vcnode.proofs import SUITES, ProofError, jcs_suite_for, suite_by_name, suite_for_proof
from vcnode.proofs.base import encode_proof_value
from vcnode.proofs.verify import ProofExpectations, verify_proofs

FIXTURES = ROOT / "tests" / "fixtures" / "vc-di-ecdsa"
SUITE = suite_by_name("ecdsa-jcs-2019")


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def fixture(name: str) -> Any:
    text = (FIXTURES / name).read_text()
    return json.loads(text) if name.endswith(".json") else text.strip()


def vector_key() -> P256KeyPair:
    return P256KeyPair.from_secret(multikey.decode(fixture("p256KeyPair.json")["secretKeyMultibase"]).raw)


def unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def credential(did: str) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": did,
            "credentialSubject": {"id": "did:example:learner", "name": "Ada"}}


def signed_with(pair: Any, suite: str = "ecdsa-jcs-2019") -> dict[str, Any]:
    did = f"did:key:{pair.public_multikey}"
    options = {"verificationMethod": f"{did}#{pair.public_multikey}", "proofPurpose": "assertionMethod",
               "created": "2026-01-01T00:00:00Z"}
    document = credential(did)
    return {**document, "proof": suite_by_name(suite).create_proof(document, options, pair)}


async def first_error(document: dict[str, Any], resolver: Resolver) -> str | None:
    [result] = await verify_proofs(document, ProofExpectations(), resolver)
    return result.error["code"] if result.error else None


def test_it_is_the_jcs_suite_of_p256_and_every_key_type_the_node_holds_has_one() -> None:
    assert jcs_suite_for("P-256") == "ecdsa-jcs-2019" and jcs_suite_for("Ed25519") == "eddsa-jcs-2022"
    assert all(jcs_suite_for(key_type) for key_type in signer.KEY_TYPE_NAMES.values())
    assert jcs_suite_for("P-384") is None  # P-384 (SHA-384) is not implemented yet
    assert SUITE.key_types == frozenset({"P-256"}) and "ecdsa-jcs-2019" in SUITES
    assert suite_for_proof({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-jcs-2019"}) is SUITE


#: Each ECDSA suite's W3C vector files (tests/fixtures/vc-di-ecdsa): signed credential, proof configuration, hash data.
VECTORS = {
    "ecdsa-jcs-2019": ("signedJCSECDSAP256.json", "proofConfigJCSECDSAP256.json", "combinedHashJCSECDSAP256.txt"),
    "ecdsa-rdfc-2019": ("signedECDSAP256.json", "proofConfigECDSAP256.json", "combinedHashECDSAP256.txt")}


@pytest.mark.parametrize("suite", sorted(VECTORS))
def test_the_vector_hash_data_is_reproduced_and_a_new_signature_verifies_with_the_vector_key(suite: str) -> None:
    signed_file, config_file, hash_file = VECTORS[suite]
    cryptosuite = suite_by_name(suite)
    signed = fixture(signed_file)
    document, vector_proof = unsecured(signed), signed["proof"]
    config = fixture(config_file)
    options = {k: v for k, v in config.items() if k not in ("@context", "type", "cryptosuite")}
    key = vector_key()
    assert key.public_multikey == fixture("p256KeyPair.json")["publicKeyMultibase"]
    proof = cryptosuite.create_proof(document, options, key)
    # ECDSA is randomised: everything but the signature is the vector's, and both signatures verify.
    assert {k: v for k, v in proof.items() if k != "proofValue"} == \
        {k: v for k, v in vector_proof.items() if k != "proofValue"}
    hashed = cryptosuite.hash_data(document, cryptosuite.proof_configuration(proof, document), None)
    assert hashed.hex() == fixture(hash_file)
    public = multikey.decode(key.public_multikey)
    typed = PublicKey(public.codec, public.raw)
    assert cryptosuite.verify_proof(document, proof, typed) and cryptosuite.verify_proof(document, vector_proof, typed)
    assert len(base58.b58decode(proof["proofValue"][1:])) == 64


async def test_the_signed_vector_verifies_and_tampering_is_caught(resolver: Resolver) -> None:
    signed = fixture("signedJCSECDSAP256.json")
    [result] = await verify_proofs(signed, ProofExpectations(), resolver)
    assert result.verified, result.error
    assert result.cryptosuite == "ecdsa-jcs-2019"
    assert result.controller == "did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP"
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert await first_error(tampered, resolver) == "invalidSignature"
    other_context = {**copy.deepcopy(signed), "@context": ["https://www.w3.org/ns/credentials/v2"]}
    assert await first_error(other_context, resolver) == "contextMismatch"


async def test_round_trip_with_a_fresh_key(resolver: Resolver) -> None:
    document = signed_with(P256KeyPair.generate())
    assert document["proof"]["cryptosuite"] == "ecdsa-jcs-2019"
    assert document["proof"]["@context"] == document["@context"]
    assert await first_error(document, resolver) is None


def test_an_ed25519_signer_is_refused() -> None:
    with pytest.raises(ProofError) as refused:
        signed_with(Ed25519KeyPair.generate())
    assert refused.value.code == "keyTypeMismatch" and refused.value.status == 400


async def test_a_proof_naming_an_ed25519_key_is_a_wrong_key_type(resolver: Resolver) -> None:
    document = signed_with(P256KeyPair.generate())
    ed = Ed25519KeyPair.generate().public_multikey
    document["proof"] = {**document["proof"], "verificationMethod": f"did:key:{ed}#{ed}"}
    assert await first_error(document, resolver) == "wrongKeyType"
    # An Ed25519 proof relabelled as ecdsa-jcs-2019 is refused for its key, not tried as ECDSA.
    eddsa = signed_with(Ed25519KeyPair.generate(), "eddsa-jcs-2022")
    eddsa["proof"]["cryptosuite"] = "ecdsa-jcs-2019"
    assert await first_error(eddsa, resolver) == "wrongKeyType"
    # And the other way: an ES256 proof relabelled as eddsa-jcs-2022.
    ecdsa = signed_with(P256KeyPair.generate())
    ecdsa["proof"]["cryptosuite"] = "eddsa-jcs-2022"
    assert await first_error(ecdsa, resolver) == "wrongKeyType"


async def test_a_p384_key_is_the_wrong_curve(resolver: Resolver) -> None:
    """A P-384 verification method is refused by name (wrongKeyType), not tried with SHA-256."""
    document = signed_with(P256KeyPair.generate())
    point = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(Encoding.X962,
                                                                              PublicFormat.CompressedPoint)
    p384 = multikey.encode(multikey.P384_PUB, point)
    document["proof"] = {**document["proof"], "verificationMethod": f"did:key:{p384}#{p384}"}
    assert await first_error(document, resolver) == "wrongKeyType"


@pytest.mark.parametrize("size", [0, 32, 63, 65, 96])
async def test_a_proof_value_of_the_wrong_length_is_malformed(resolver: Resolver, size: int) -> None:
    document = signed_with(P256KeyPair.generate())
    document["proof"]["proofValue"] = encode_proof_value(b"\x01" * size)
    assert await first_error(document, resolver) == "malformedProofValue"


async def test_signatures_that_are_not_ones_fail_without_an_exception(resolver: Resolver) -> None:
    document = signed_with(P256KeyPair.generate())
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # of the P-256 group
    r = base58.b58decode(document["proof"]["proofValue"][1:])[:32]
    for bad in (bytes(64), r + bytes(32), r + order.to_bytes(32, "big"), order.to_bytes(32, "big") + r):
        document["proof"]["proofValue"] = encode_proof_value(bad)
        assert await first_error(document, resolver) == "invalidSignature"


def test_a_document_signed_with_one_key_does_not_verify_with_another() -> None:
    first, second = P256KeyPair.generate(), P256KeyPair.generate()
    document = signed_with(first)
    other = PublicKey.from_multikey(second.public_multikey)
    assert not SUITE.verify_proof(unsecured(document), document["proof"], other)
