"""BBS (draft-irtf-cfrg-bbs-signatures-06, BLS12-381-SHA-256) interop with Digital Bazaar's
@digitalbazaar/bbs-signatures (npm, through tests/interop/bbs.mjs), both ways: signatures and derived proofs
made on one side verify on the other, and tampered ones are refused by both."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.interop.harness import run_harness
from vcnode import bbs

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
    [keys] = digital_bazaar([{"op": "keygen"}])
    pk = bytes.fromhex(keys["publicKey"])
    assert bbs.sk_to_pk(int(keys["secretKey"], 16)) == pk
    common = {"publicKey": keys["publicKey"], "header": HEADER.hex()}
    [signed] = digital_bazaar([{"op": "sign", **common, "secretKey": keys["secretKey"],
                                "messages": hexes(MESSAGES)}])
    signature = bytes.fromhex(signed["signature"])
    [derived] = digital_bazaar([{"op": "deriveProof", **common, "signature": signed["signature"],
                                 "presentationHeader": b"nonce".hex(), "messages": hexes(MESSAGES),
                                 "disclosedIndexes": DISCLOSED}])
    proof = bytes.fromhex(derived["proof"])
    disclosed = [MESSAGES[i] for i in DISCLOSED]
    assert bbs.verify(pk, signature, HEADER, MESSAGES)
    assert not bbs.verify(pk, signature, HEADER, MESSAGES[::-1])
    assert not bbs.verify(pk, signature, b"", MESSAGES)
    assert bbs.proof_verify(pk, proof, HEADER, b"nonce", disclosed, DISCLOSED)
    assert not bbs.proof_verify(pk, proof, HEADER, b"nonce", [b"forged", *disclosed[1:]], DISCLOSED)
    assert not bbs.proof_verify(pk, proof, HEADER, b"", disclosed, DISCLOSED)
    # and a proof vcnode derives from their signature verifies on their side
    ours = bbs.proof_gen(pk, signature, HEADER, b"", MESSAGES, [1, 3])
    [checked] = digital_bazaar([{"op": "verifyProof", **common, "proof": ours.hex(), "presentationHeader": "",
                                 "disclosedMessages": hexes([MESSAGES[1], MESSAGES[3]]),
                                 "disclosedIndexes": [1, 3]}])
    assert checked["verified"] is True, checked
