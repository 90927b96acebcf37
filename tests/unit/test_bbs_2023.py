"""bbs-2023 (vcnode.proofs.bbs_2023) against the W3C vc-di-bbs test vectors (tests/fixtures/vc-di-bbs) and the
attacks a holder or a verifier's adversary would try: tampered disclosures, replayed presentation headers,
base proofs shown to verifiers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import ROOT
from vcnode.keys.bls12381 import Bls12381G2KeyPair
from vcnode.keys.public import PublicKey
from vcnode.proofs.base import ProofError
from vcnode.proofs.bbs_2023 import (
    Bbs2023,
    parse_base_proof_value,
    parse_derived_proof_value,
    presentation_header_of,
    shuffled_label_map_factory,
)
from vcnode.proofs.selective import canonicalize_and_group

VECTORS = ROOT / "tests" / "fixtures" / "vc-di-bbs"
SUITE = Bbs2023()


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def unsigned(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


@pytest.fixture(scope="module")
def material() -> tuple[Bls12381G2KeyPair, bytes, PublicKey]:
    keys = load("BBSKeyMaterial.json")
    pair = Bls12381G2KeyPair.from_secret(bytes.fromhex(keys["privateKeyHex"]))
    assert pair.public_key.hex() == keys["publicKeyHex"]
    return pair, bytes.fromhex(keys["hmacKeyString"]), PublicKey.from_multikey(pair.public_multikey)


def test_base_proof_reproduces_the_w3c_vector_byte_for_byte(material: Any) -> None:
    pair, hmac_key, _ = material
    signed = load("addSignedSDBase.json")
    document, mandatory = unsigned(signed), load("windMandatory.json")
    _, _, nquads = canonicalize_and_group(document, shuffled_label_map_factory(hmac_key), {"mandatory": mandatory})
    assert nquads == load("addBaseDocHMACCanon.json")
    config = load("addProofConfig.json")
    options = {key: value for key, value in config.items() if key not in ("@context", "type", "cryptosuite")}
    proof = SUITE.create_proof(document, {**options, "mandatoryPointers": mandatory}, pair, hmac_key=hmac_key)
    assert proof == signed["proof"]
    hashes = load("addHashData.json")
    assert parse_base_proof_value(proof["proofValue"]).header.hex() == hashes["proofHash"] + hashes["mandatoryHash"]


def test_the_w3c_derived_proof_verifies_and_vcnode_derives_the_same_disclosure(material: Any) -> None:
    _, _, public_key = material
    revealed, signed = load("derivedRevealDocument.json"), load("addSignedSDBase.json")
    assert SUITE.verify_proof(unsigned(revealed), revealed["proof"], public_key)
    theirs = parse_derived_proof_value(revealed["proof"]["proofValue"])
    header = bytes.fromhex(load("BBSDeriveMaterial.json")["presentationHeaderHex"])
    ours = SUITE.derive_proof(unsigned(signed), signed["proof"], load("windSelective.json"),
                              presentation_header=header)
    assert unsigned(ours) == unsigned(revealed)
    mine = parse_derived_proof_value(ours["proof"]["proofValue"])
    assert (mine.label_map, mine.mandatory_indexes, mine.selective_indexes, mine.presentation_header) == \
        (theirs.label_map, theirs.mandatory_indexes, theirs.selective_indexes, theirs.presentation_header)
    assert mine.proof != theirs.proof  # fresh randomness: the two presentations are unlinkable
    assert SUITE.verify_proof(unsigned(ours), ours["proof"], public_key)


def test_tampered_disclosures_other_keys_and_base_proofs_are_refused(material: Any) -> None:
    _, _, public_key = material
    revealed = load("derivedRevealDocument.json")
    changed = copy.deepcopy(unsigned(revealed))
    changed["credentialSubject"]["sailNumber"] = "Mars101"  # a mandatory statement
    assert not SUITE.verify_proof(changed, revealed["proof"], public_key)
    changed = copy.deepcopy(unsigned(revealed))
    changed["credentialSubject"]["boards"][0]["brand"] = "Naish"  # a selectively disclosed statement
    assert not SUITE.verify_proof(changed, revealed["proof"], public_key)
    other = PublicKey.from_multikey(Bls12381G2KeyPair.generate().public_multikey)
    assert not SUITE.verify_proof(unsigned(revealed), revealed["proof"], other)
    dropped = copy.deepcopy(unsigned(revealed))
    del dropped["credentialSubject"]["boards"][1]  # hiding a statement the proof discloses
    with pytest.raises(ProofError) as raised:
        SUITE.verify_proof(dropped, revealed["proof"], public_key)
    assert raised.value.code == "invalidDisclosure"
    signed = load("addSignedSDBase.json")
    with pytest.raises(ProofError) as raised:
        SUITE.verify_proof(unsigned(signed), signed["proof"], public_key)
    assert raised.value.code == "baseProofNotVerifiable"


def test_a_derived_proof_is_bound_to_its_presentation_header(material: Any) -> None:
    pair, _, public_key = material
    document = unsigned(load("addSignedSDBase.json"))
    base = SUITE.create_proof(document, {"verificationMethod": "did:key:x#y", "proofPurpose": "assertionMethod",
                                         "mandatoryPointers": ["/issuer"]}, pair)
    derived = SUITE.derive_proof(document, base, ["/credentialSubject/sailNumber"], presentation_header=b"nonce-1")
    assert presentation_header_of(derived["proof"]) == b"nonce-1"
    assert SUITE.verify_proof(unsigned(derived), derived["proof"], public_key)
    # a replay with the header rewritten to the verifier's new nonce no longer verifies
    value = parse_derived_proof_value(derived["proof"]["proofValue"])
    value.presentation_header = b"nonce-2"
    replayed = {**derived["proof"], "proofValue": value.encode()}
    assert not SUITE.verify_proof(unsigned(derived), replayed, public_key)
    with pytest.raises(ProofError) as raised:
        SUITE.derive_proof(document, {**base, "proofValue": "uAAAA"}, [])
    assert raised.value.code == "malformedProofValue"


async def test_verify_credential_checks_a_derived_credential_of_a_did_key_bbs_issuer() -> None:
    from did_methods.key import KeyDriver
    from tests.builders import badge
    from vcnode.credentials import verify_credential
    from vcnode.did.resolver import Resolver
    from vcnode.proofs import SUITES

    assert isinstance(SUITES.get("bbs-2023"), Bbs2023), "bbs-2023 is not registered in vcnode.cryptosuites"
    pair = Bls12381G2KeyPair.generate()
    did = f"did:key:{pair.public_multikey}"
    credential = badge(did)
    credential["proof"] = SUITE.create_proof(
        credential, {"verificationMethod": f"{did}#{pair.public_multikey}", "proofPurpose": "assertionMethod",
                     "mandatoryPointers": ["/issuer", "/validFrom"]}, pair)
    reveal = ["/name", "/credentialSubject/achievement/name", "/credentialSubject/achievement/description",
              "/credentialSubject/achievement/criteria"]
    derived = SUITE.derive_proof(unsigned(credential), credential["proof"], reveal,
                                 presentation_header=b"verifier nonce")
    assert "creditsAvailable" not in derived["credentialSubject"]["achievement"]  # hidden from the verifier
    resolver = Resolver([KeyDriver()])
    report = (await verify_credential(derived, resolver)).to_json()
    assert report["verified"], report["errors"]
    forged = copy.deepcopy(derived)
    forged["credentialSubject"]["achievement"]["name"] = "Advanced Data Analytics"
    assert not (await verify_credential(forged, resolver)).to_json()["verified"]
    base = (await verify_credential(credential, resolver)).to_json()
    assert not base["verified"] and "baseProofNotVerifiable" in json.dumps(base["errors"])
