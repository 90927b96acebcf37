"""BBS (draft-irtf-cfrg-bbs-signatures-06, BLS12-381-SHA-256) and bbs-2023 interop with Digital Bazaar's
@digitalbazaar/bbs-signatures 3.0.0 and @digitalbazaar/bbs-2023-cryptosuite 2.0.1 (npm, through
tests/interop/bbs.mjs), both ways: signatures, base proofs and derived proofs made on one side verify (or
derive) on the other, and tampered ones are refused by both."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import base58
import pytest

from did_methods.key import KeyDriver
from tests.builders import badge
from tests.interop.harness import run_harness
from vcnode import bbs
from vcnode.credentials import verify_credential
from vcnode.credentials.derive import derive_credential
from vcnode.did.resolver import Resolver
from vcnode.keys.bls12381 import Bls12381G2KeyPair
from vcnode.proofs.bbs_2023 import Bbs2023

pytestmark = pytest.mark.interop

MESSAGES = [b"urn:example:1", b"", b"\x00\xff binary", "ümlaut".encode(), b"x" * 300, b"last"]
HEADER = bytes.fromhex("11223344556677889900aabbccddeeff")
DISCLOSED = [0, 2, 5]


def digital_bazaar(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_harness("bbs.mjs", jobs)


def hexes(items: list[bytes]) -> list[str]:
    return [item.hex() for item in items]


def test_digital_bazaar_verifies_vcnode_signatures_and_proofs_and_refuses_tampering() -> None:
    sk = bbs.key_gen(secrets.token_bytes(32))
    pk = bbs.sk_to_pk(sk)
    signature = bbs.sign(sk, pk, HEADER, MESSAGES)
    proof = bbs.proof_gen(pk, signature, HEADER, b"nonce", MESSAGES, DISCLOSED)
    disclosed = [MESSAGES[i] for i in DISCLOSED]
    tampered = [b"forged", *MESSAGES[1:]]
    common = {"publicKey": pk.hex(), "header": HEADER.hex()}
    results = digital_bazaar([
        {"op": "verify", **common, "signature": signature.hex(), "messages": hexes(MESSAGES)},
        {"op": "verify", **common, "signature": signature.hex(), "messages": hexes(tampered)},
        {"op": "verifyProof", **common, "proof": proof.hex(), "presentationHeader": b"nonce".hex(),
         "disclosedMessages": hexes(disclosed), "disclosedIndexes": DISCLOSED},
        {"op": "verifyProof", **common, "proof": proof.hex(), "presentationHeader": b"other".hex(),
         "disclosedMessages": hexes(disclosed), "disclosedIndexes": DISCLOSED},
        {"op": "sign", **common, "secretKey": sk.to_bytes(32, "big").hex(), "messages": hexes(MESSAGES)},
    ])
    assert [r.get("verified") for r in results[:4]] == [True, False, True, False], results
    assert results[4]["signature"] == signature.hex()  # Sign is deterministic: both compute the same bytes


def test_vcnode_verifies_digital_bazaar_signatures_and_proofs_and_refuses_tampering() -> None:
    sk = bbs.key_gen(secrets.token_bytes(32))
    pk = bbs.sk_to_pk(sk)
    common = {"publicKey": pk.hex(), "header": HEADER.hex()}
    [signed] = digital_bazaar([{"op": "sign", **common, "secretKey": sk.to_bytes(32, "big").hex(),
                                "messages": hexes(MESSAGES)}])
    signature = bytes.fromhex(signed["signature"])
    ours = bbs.proof_gen(pk, signature, HEADER, b"", MESSAGES, [1, 3])
    derived, checked = digital_bazaar([
        {"op": "deriveProof", **common, "signature": signed["signature"], "presentationHeader": b"nonce".hex(),
         "messages": hexes(MESSAGES), "disclosedIndexes": DISCLOSED},
        {"op": "verifyProof", **common, "proof": ours.hex(), "presentationHeader": "",
         "disclosedMessages": hexes([MESSAGES[1], MESSAGES[3]]), "disclosedIndexes": [1, 3]}])
    proof = bytes.fromhex(derived["proof"])
    disclosed = [MESSAGES[i] for i in DISCLOSED]
    assert bbs.verify(pk, signature, HEADER, MESSAGES)
    assert not bbs.verify(pk, signature, HEADER, MESSAGES[::-1])
    assert not bbs.verify(pk, signature, b"", MESSAGES)
    assert bbs.proof_verify(pk, proof, HEADER, b"nonce", disclosed, DISCLOSED)
    assert not bbs.proof_verify(pk, proof, HEADER, b"nonce", [b"forged", *disclosed[1:]], DISCLOSED)
    assert not bbs.proof_verify(pk, proof, HEADER, b"", disclosed, DISCLOSED)
    assert checked["verified"] is True, checked  # a proof vcnode derived from their signature


# bbs-2023 with @digitalbazaar/bbs-2023-cryptosuite 2.0.1 (and @digitalbazaar/vc), a did:key issuer.
MANDATORY = ["/issuer", "/validFrom"]
REVEAL = ["/name", "/credentialSubject/achievement/name", "/credentialSubject/achievement/description",
          "/credentialSubject/achievement/criteria"]


def secret_multikey(pair: Bls12381G2KeyPair) -> str:
    return "z" + base58.b58encode(b"\x8a\x26" + pair.secret_bytes).decode()  # bls12_381-g2-priv


def unsigned(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


async def test_digital_bazaar_derives_and_verifies_from_a_vcnode_base_proof_and_vcnode_verifies_it() -> None:
    pair = Bls12381G2KeyPair.generate()
    did = f"did:key:{pair.public_multikey}"
    credential = badge(did)
    credential["proof"] = Bbs2023().create_proof(
        credential, {"verificationMethod": f"{did}#{pair.public_multikey}", "proofPurpose": "assertionMethod",
                     "mandatoryPointers": MANDATORY}, pair)
    [derived] = digital_bazaar([{"op": "derive2023", "document": credential, "selectivePointers": REVEAL,
                                 "presentationHeader": b"nonce".hex()}])
    document = derived["document"]
    assert "creditsAvailable" not in document["credentialSubject"]["achievement"]
    forged = copy.deepcopy(document)
    forged["credentialSubject"]["achievement"]["name"] = "Advanced Data Analytics"
    results = digital_bazaar([{"op": "verify2023", "document": d} for d in (document, forged)])
    assert [r["verified"] for r in results] == [True, False], results
    report = (await verify_credential(document, Resolver([KeyDriver()]))).to_json()
    assert report["verified"], report["errors"]
    assert not (await verify_credential(forged, Resolver([KeyDriver()]))).to_json()["verified"]


async def test_vcnode_derives_from_a_digital_bazaar_base_proof_and_each_side_verifies_the_other() -> None:
    pair = Bls12381G2KeyPair.generate()
    did = f"did:key:{pair.public_multikey}"
    [signed] = digital_bazaar([{"op": "sign2023", "credential": badge(did), "mandatoryPointers": MANDATORY,
                                "publicKeyMultibase": pair.public_multikey,
                                "secretKeyMultibase": secret_multikey(pair)}])
    theirs = signed["document"]
    assert theirs["proof"]["cryptosuite"] == "bbs-2023"
    ours = Bbs2023().derive_proof(unsigned(theirs), theirs["proof"], REVEAL, presentation_header=b"nonce")
    checked, derived = digital_bazaar([{"op": "verify2023", "document": ours},
                                       {"op": "derive2023", "document": theirs, "selectivePointers": REVEAL,
                                        "presentationHeader": ""}])
    assert checked["verified"], checked
    report = (await verify_credential(ours, Resolver([KeyDriver()]))).to_json()
    assert report["verified"], report["errors"]
    report = (await verify_credential(derived["document"], Resolver([KeyDriver()]))).to_json()
    assert report["verified"], report["errors"]


async def test_digital_bazaar_derives_and_verifies_a_credential_a_vcnode_node_issued(web_node: Any) -> None:
    """A node's BLS12-381 identity issues through the node's issuing path (bbs-2023, its default mandatory
    pointers); Digital Bazaar derives from it and verifies its own derivation and vcnode's, bound to a
    presentation header; a forged disclosure is refused by both."""
    identity = await web_node.identities.create("key", name="bbs", key_type="bls12381")
    issued = (await web_node.credentials.issue(badge(identity.did, "urn:uuid:b2b2b2b2-0000-4000-8000-000000000001"),
                                               suite="bbs-2023")).credential
    ours = derive_credential(issued, REVEAL, presentation_header=b"vcnode-nonce")
    [derived] = digital_bazaar([{"op": "derive2023", "document": issued, "selectivePointers": REVEAL,
                                 "presentationHeader": b"their-nonce".hex()}])
    theirs = derived["document"]
    assert theirs["issuer"] == issued["issuer"] and theirs["validFrom"] == issued["validFrom"]  # mandatory
    assert "creditsAvailable" not in theirs["credentialSubject"]["achievement"]
    forged = copy.deepcopy(theirs)
    forged["credentialSubject"]["achievement"]["name"] = "Advanced Data Analytics"
    results = digital_bazaar([{"op": "verify2023", "document": d} for d in (theirs, ours, forged)])
    assert [r["verified"] for r in results] == [True, True, False], results
    for document, verified in ((theirs, True), (forged, False)):
        report = await web_node.credentials.verify_credential(document)
        assert report.verified is verified, report.to_json()["errors"]
