"""ecdsa-jcs-2019 (P-256 with SHA-256, P-384 with SHA-384) against the W3C vectors (and ecdsa-rdfc-2019's, with
the same keys); round trips and the named refusals (wrong key type either way, a P-521 key, a signature of the
other curve's size, a proofValue of the wrong length, a signature that is not one)."""

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
from vcnode.keys.nist import NistKeyPair, P256KeyPair, P384KeyPair
from vcnode.keys.public import BLS12381_G2, PublicKey
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


#: The W3C vectors' key pair files, by key pair class.
KEY_FILES: dict[type[NistKeyPair], str] = {P256KeyPair: "p256KeyPair.json", P384KeyPair: "p384KeyPair.json"}
PAIRS = [P256KeyPair, P384KeyPair]


def vector_key(pair_class: type[NistKeyPair] = P256KeyPair) -> NistKeyPair:
    return pair_class.from_secret(multikey.decode(fixture(KEY_FILES[pair_class])["secretKeyMultibase"]).raw)


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


def test_it_is_the_jcs_suite_of_p256_and_p384_and_every_key_type_the_node_holds_has_one() -> None:
    assert jcs_suite_for("P-256") == "ecdsa-jcs-2019" and jcs_suite_for("Ed25519") == "eddsa-jcs-2022"
    assert jcs_suite_for("P-384") == "ecdsa-jcs-2019" and jcs_suite_for("P-521") is None
    # Every key type that signs single messages (what a node's lists, logs and gossip need) has one; BBS keys
    # sign bbs-2023 credentials only (a node is never made with one: tests/integration/test_bbs_node.py).
    assert all(jcs_suite_for(key_type) for key_type in signer.KEY_TYPE_NAMES.values() if key_type != BLS12381_G2)
    assert jcs_suite_for(BLS12381_G2) is None
    assert SUITE.key_types == frozenset({"P-256", "P-384"}) and "ecdsa-jcs-2019" in SUITES
    assert suite_for_proof({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-jcs-2019"}) is SUITE


#: Each ECDSA suite's W3C vector files (tests/fixtures/vc-di-ecdsa) per key pair: signed credential, proof
#: configuration, hash data.
VECTORS = {
    ("ecdsa-jcs-2019", P256KeyPair):
        ("signedJCSECDSAP256.json", "proofConfigJCSECDSAP256.json", "combinedHashJCSECDSAP256.txt"),
    ("ecdsa-rdfc-2019", P256KeyPair):
        ("signedECDSAP256.json", "proofConfigECDSAP256.json", "combinedHashECDSAP256.txt"),
    ("ecdsa-jcs-2019", P384KeyPair):
        ("signedJCSECDSAP384.json", "proofConfigJCSECDSAP384.json", "combinedHashJCSECDSAP384.txt"),
    ("ecdsa-rdfc-2019", P384KeyPair):
        ("signedECDSAP384.json", "proofConfigECDSAP384.json", "combinedHashECDSAP384.txt")}


@pytest.mark.parametrize(("suite", "pair_class"), list(VECTORS),
                         ids=[f"{suite}-{pair.curve.key_type}" for suite, pair in VECTORS])
def test_the_vector_hash_data_is_reproduced_and_a_new_signature_verifies_with_the_vector_key(
        suite: str, pair_class: type[NistKeyPair]) -> None:
    signed_file, config_file, hash_file = VECTORS[suite, pair_class]
    cryptosuite = suite_by_name(suite)
    signed = fixture(signed_file)
    document, vector_proof = unsecured(signed), signed["proof"]
    config = fixture(config_file)
    options = {k: v for k, v in config.items() if k not in ("@context", "type", "cryptosuite")}
    key = vector_key(pair_class)
    assert key.public_multikey == fixture(KEY_FILES[pair_class])["publicKeyMultibase"]
    proof = cryptosuite.create_proof(document, options, key)
    # ECDSA is randomised: everything but the signature is the vector's, and both signatures verify.
    assert {k: v for k, v in proof.items() if k != "proofValue"} == \
        {k: v for k, v in vector_proof.items() if k != "proofValue"}
    hashed = cryptosuite.hash_data(document, cryptosuite.proof_configuration(proof, document), None, key.key_type)
    assert hashed.hex() == fixture(hash_file)  # SHA-384 on P-384: 96 bytes of hash data
    public = multikey.decode(key.public_multikey)
    typed = PublicKey(public.codec, public.raw)
    assert cryptosuite.verify_proof(document, proof, typed) and cryptosuite.verify_proof(document, vector_proof, typed)
    assert len(base58.b58decode(proof["proofValue"][1:])) == key.curve.signature_size


@pytest.mark.parametrize("file", ["signedJCSECDSAP256.json", "signedJCSECDSAP384.json"])
async def test_the_signed_vector_verifies_and_tampering_is_caught(resolver: Resolver, file: str) -> None:
    signed = fixture(file)
    [result] = await verify_proofs(signed, ProofExpectations(), resolver)
    assert result.verified, result.error
    assert result.cryptosuite == "ecdsa-jcs-2019"
    assert result.controller == signed["proof"]["verificationMethod"].split("#")[0]
    assert result.controller.startswith("did:key:zDn" if "P256" in file else "did:key:z82")
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert await first_error(tampered, resolver) == "invalidSignature"
    other_context = {**copy.deepcopy(signed), "@context": ["https://www.w3.org/ns/credentials/v2"]}
    assert await first_error(other_context, resolver) == "contextMismatch"


@pytest.mark.parametrize("pair_class", PAIRS)
async def test_round_trip_with_a_fresh_key(resolver: Resolver, pair_class: type[NistKeyPair]) -> None:
    document = signed_with(pair_class.generate())
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
    # And the other way: ES256 and ES384 proofs relabelled as eddsa-jcs-2022.
    for pair_class in PAIRS:
        ecdsa = signed_with(pair_class.generate())
        ecdsa["proof"]["cryptosuite"] = "eddsa-jcs-2022"
        assert await first_error(ecdsa, resolver) == "wrongKeyType"


def _did_url(codec: int, curve: ec.EllipticCurve) -> str:
    point = ec.generate_private_key(curve).public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    key = multikey.encode(codec, point)
    return f"did:key:{key}#{key}"


async def test_a_p521_key_is_the_wrong_curve(resolver: Resolver) -> None:
    """A P-521 verification method is refused by name (wrongKeyType), not tried with some hash."""
    document = signed_with(P256KeyPair.generate())
    document["proof"] = {**document["proof"], "verificationMethod": _did_url(multikey.P521_PUB, ec.SECP521R1())}
    assert await first_error(document, resolver) == "wrongKeyType"


async def test_a_signature_sized_for_the_other_curve_is_malformed(resolver: Resolver) -> None:
    """An ES256 proof pointed at a P-384 key (and an ES384 one at a P-256 key) is refused for its size: each
    curve fixes its signature's length, and its hash."""
    for pair_class, other in ((P256KeyPair, (multikey.P384_PUB, ec.SECP384R1())),
                              (P384KeyPair, (multikey.P256_PUB, ec.SECP256R1()))):
        document = signed_with(pair_class.generate())
        document["proof"] = {**document["proof"], "verificationMethod": _did_url(*other)}
        assert await first_error(document, resolver) == "malformedProofValue"


@pytest.mark.parametrize(("pair_class", "size"), [(P256KeyPair, size) for size in (0, 32, 63, 65, 96)]
                         + [(P384KeyPair, size) for size in (0, 48, 64, 95, 97)])
async def test_a_proof_value_of_the_wrong_length_is_malformed(resolver: Resolver, pair_class: type[NistKeyPair],
                                                              size: int) -> None:
    document = signed_with(pair_class.generate())
    document["proof"]["proofValue"] = encode_proof_value(b"\x01" * size)
    assert await first_error(document, resolver) == "malformedProofValue"


#: The order of each curve's group.
ORDERS = {P256KeyPair: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
          P384KeyPair: int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
                           "581A0DB248B0A77AECEC196ACCC52973", 16)}


@pytest.mark.parametrize("pair_class", PAIRS)
async def test_signatures_that_are_not_ones_fail_without_an_exception(resolver: Resolver,
                                                                      pair_class: type[NistKeyPair]) -> None:
    document = signed_with(pair_class.generate())
    size = pair_class.curve.size
    order = ORDERS[pair_class].to_bytes(size, "big")
    r = base58.b58decode(document["proof"]["proofValue"][1:])[:size]
    for bad in (bytes(2 * size), r + bytes(size), r + order, order + r):
        document["proof"]["proofValue"] = encode_proof_value(bad)
        assert await first_error(document, resolver) == "invalidSignature"


@pytest.mark.parametrize("pair_class", PAIRS)
def test_a_document_signed_with_one_key_does_not_verify_with_another(pair_class: type[NistKeyPair]) -> None:
    first, second = pair_class.generate(), pair_class.generate()
    document = signed_with(first)
    other = PublicKey.from_multikey(second.public_multikey)
    assert not SUITE.verify_proof(unsecured(document), document["proof"], other)
