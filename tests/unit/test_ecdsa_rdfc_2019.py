"""ecdsa-rdfc-2019 (P-256 with SHA-256, P-384 with SHA-384): its W3C vectors (the hash data is checked in
test_ecdsa_jcs_2019.py, beside ecdsa-jcs-2019's); round trips, issuing with it, and the named refusals
(wrong key type either way, a suite relabelled, tampering)."""

from __future__ import annotations

import copy

import pytest

from did_methods.key import KeyDriver
from tests.unit.test_ecdsa_jcs_2019 import first_error, fixture, signed_with
from vcnode.credentials.issue import issue_credential
from vcnode.did.resolver import Resolver
from vcnode.issuing.service import select_suite
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.nist import NistKeyPair, P256KeyPair, P384KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.proofs import SUITES, ProofError, default_suite_for, jcs_suite_for, suite_by_name, suite_for_proof
from vcnode.proofs.verify import ProofExpectations, verify_proofs

SUITE = suite_by_name("ecdsa-rdfc-2019")


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def test_it_is_registered_for_p256_and_p384_and_changes_no_default() -> None:
    assert "ecdsa-rdfc-2019" in SUITES and SUITE.key_types == frozenset({"P-256", "P-384"}) and SUITE.aliases == ()
    assert suite_for_proof({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"}) is SUITE
    # What the node signs its own lists, logs and gossip with stays as it was.
    assert jcs_suite_for("P-256") == "ecdsa-jcs-2019" and default_suite_for("P-256") == "ecdsa-jcs-2019"
    assert default_suite_for("Ed25519") == "eddsa-rdfc-2022" and default_suite_for("P-384") == "ecdsa-jcs-2019"


@pytest.mark.parametrize("file", ["signedECDSAP256.json", "signedECDSAP384.json"])
async def test_the_signed_vector_verifies_and_tampering_is_caught(resolver: Resolver, file: str) -> None:
    signed = fixture(file)
    [result] = await verify_proofs(signed, ProofExpectations(), resolver)
    assert result.verified, result.error
    assert result.cryptosuite == "ecdsa-rdfc-2019"
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert await first_error(tampered, resolver) == "invalidSignature"
    # The same proof read as the JCS suite hashes other bytes: refused, never accepted.
    relabelled = copy.deepcopy(signed)
    relabelled["proof"]["cryptosuite"] = "ecdsa-jcs-2019"
    assert await first_error(relabelled, resolver) == "invalidSignature"


@pytest.mark.parametrize("pair_class", [P256KeyPair, P384KeyPair])
async def test_round_trip_and_issuing_a_credential_with_it(resolver: Resolver, pair_class: type[NistKeyPair]) -> None:
    document = signed_with(pair_class.generate(), "ecdsa-rdfc-2019")
    assert document["proof"]["cryptosuite"] == "ecdsa-rdfc-2019" and "@context" not in document["proof"]
    assert await first_error(document, resolver) is None
    key = pair_class.generate()
    did = f"did:key:{key.public_multikey}"
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": did, "credentialSubject": {"id": "did:example:learner"}}
    issued = issue_credential(credential, SigningKey(f"{did}#{key.public_multikey}", key), suite="ecdsa-rdfc-2019")
    assert await first_error(issued, resolver) is None
    # A VC API request may ask for it by name for a P-256 or P-384 issuer.
    assert select_suite({"cryptosuite": "ecdsa-rdfc-2019"}, key.key_type) == "ecdsa-rdfc-2019"


def test_an_ed25519_signer_is_refused() -> None:
    with pytest.raises(ProofError) as refused:
        signed_with(Ed25519KeyPair.generate(), "ecdsa-rdfc-2019")
    assert refused.value.code == "keyTypeMismatch" and refused.value.status == 400


async def test_a_proof_naming_an_ed25519_key_is_a_wrong_key_type(resolver: Resolver) -> None:
    eddsa = signed_with(Ed25519KeyPair.generate(), "eddsa-rdfc-2022")
    eddsa["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    assert await first_error(eddsa, resolver) == "wrongKeyType"
    ecdsa = signed_with(P256KeyPair.generate(), "ecdsa-rdfc-2019")
    ecdsa["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    assert await first_error(ecdsa, resolver) == "wrongKeyType"
