"""The BBS signature scheme (vcnode.bbs) against the fixtures of draft-irtf-cfrg-bbs-signatures-06,
ciphersuite BLS12-381-SHA-256 (tests/fixtures/bbs, see PROVENANCE.md), and the checks a forger would probe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from vcnode import bbs
from vcnode.bbs.ciphersuite import API_ID, P1, R, create_generators, expand_message_xmd

FIXTURES = ROOT / "tests" / "fixtures" / "bbs" / "bls12-381-sha-256"
MOCK_SEED = b"3.141592653589793238462643383279"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def cases(folder: str) -> list[Path]:
    return sorted((FIXTURES / folder).glob("*.json"))


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_expand_message_xmd_matches_rfc9380_appendix_k1() -> None:
    # RFC 9380 K.1, expand_message_xmd(SHA-256), DST "QUUX-V01-CS02-with-expander-SHA256-128", msg "abc"
    out = expand_message_xmd(b"abc", b"QUUX-V01-CS02-with-expander-SHA256-128", 0x20)
    assert out.hex() == "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"


def test_key_generation_hash_to_scalar_and_message_scalars_match_the_draft() -> None:
    fixture = load("keypair.json")
    sk = bbs.key_gen(h(fixture["keyMaterial"]), h(fixture["keyInfo"]), h(fixture["keyDst"]))
    assert sk.to_bytes(32, "big").hex() == fixture["keyPair"]["secretKey"]
    assert bbs.sk_to_pk(sk).hex() == fixture["keyPair"]["publicKey"]
    h2s = load("h2s.json")
    assert bbs.hash_to_scalar(h(h2s["message"]), h(h2s["dst"])) == int(h2s["scalar"], 16)
    mapping = load("MapMessageToScalarAsHash.json")
    assert h(mapping["dst"]) == API_ID + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    scalars = bbs.messages_to_scalars([h(case["message"]) for case in mapping["cases"]])
    assert scalars == [int(case["scalar"], 16) for case in mapping["cases"]]


def test_generators_and_mocked_random_scalars_match_the_draft() -> None:
    fixture = load("generators.json")
    generators = create_generators(len(fixture["MsgGenerators"]) + 1)
    assert P1.to_compressed_bytes().hex() == fixture["P1"]
    assert [g.to_compressed_bytes().hex() for g in generators] == [fixture["Q1"], *fixture["MsgGenerators"]]
    mocked = load("mockedRng.json")
    scalars = bbs.mocked_random_scalars(h(mocked["seed"]), h(mocked["dst"]))(mocked["count"])
    assert [s.to_bytes(32, "big").hex() for s in scalars] == mocked["mockedScalars"]


@pytest.mark.parametrize("path", cases("signature"), ids=lambda p: p.stem)
def test_signature_fixtures_sign_and_verify_as_the_draft_says(path: Path) -> None:
    case = json.loads(path.read_text())
    keys, header = case["signerKeyPair"], h(case["header"])
    messages = [h(m) for m in case["messages"]]
    assert bbs.verify(h(keys["publicKey"]), h(case["signature"]), header, messages) is case["result"]["valid"]
    if case["result"]["valid"]:  # Sign is deterministic: the same bytes
        assert bbs.sign(int(keys["secretKey"], 16), h(keys["publicKey"]), header, messages).hex() == \
            case["signature"]


@pytest.mark.parametrize("path", cases("proof"), ids=lambda p: p.stem)
def test_proof_fixtures_verify_as_the_draft_says_and_regenerate_with_mocked_scalars(path: Path) -> None:
    case = json.loads(path.read_text())
    pk, header, ph = h(case["signerPublicKey"]), h(case["header"]), h(case["presentationHeader"])
    indexes = case["disclosedIndexes"]
    messages = [h(m) for m in case["messages"]]
    disclosed = [m for i, m in enumerate(messages) if i in indexes]
    assert bbs.proof_verify(pk, h(case["proof"]), header, ph, disclosed, indexes) is case["result"]["valid"]
    if case["result"]["valid"]:
        proof = bbs.proof_gen(pk, h(case["signature"]), header, ph, messages, indexes,
                              bbs.mocked_random_scalars(MOCK_SEED))
        assert proof.hex() == case["proof"]


@pytest.fixture(scope="module")
def signed() -> tuple[int, bytes, bytes, list[bytes]]:
    sk = bbs.key_gen(b"k" * 32)
    pk = bbs.sk_to_pk(sk)
    messages = [f"message {i}".encode() for i in range(6)]
    return sk, pk, bbs.sign(sk, pk, b"header", messages), messages


def test_random_proofs_verify_are_unlinkable_and_bind_the_presentation_header(signed: Any) -> None:
    _, pk, signature, messages = signed
    first = bbs.proof_gen(pk, signature, b"header", b"nonce", messages, [1, 4])
    second = bbs.proof_gen(pk, signature, b"header", b"nonce", messages, [1, 4])
    assert first != second  # fresh blinding scalars each time
    for proof in (first, second):
        assert bbs.proof_verify(pk, proof, b"header", b"nonce", [messages[1], messages[4]], [1, 4])
    assert not bbs.proof_verify(pk, first, b"header", b"other nonce", [messages[1], messages[4]], [1, 4])
    assert not bbs.proof_verify(pk, first, b"header", b"nonce", [messages[4], messages[1]], [1, 4])
    assert not bbs.proof_verify(pk, first, b"header", b"nonce", [messages[1], messages[2]], [1, 2])
    none = bbs.proof_gen(pk, signature, b"header", b"", messages, [])
    assert bbs.proof_verify(pk, none, b"header", b"", [], [])


def test_malformed_inputs_are_invalid_not_errors(signed: Any) -> None:
    _, pk, signature, messages = signed
    proof = bbs.proof_gen(pk, signature, b"header", b"", messages, [0])
    identity = bytes([0xC0]) + bytes(47)
    zero_e = signature[:48] + bytes(32)
    big_e = signature[:48] + R.to_bytes(32, "big")
    for bad in (zero_e, big_e, identity + signature[48:], signature[:-1], b"\xff" * 80):
        assert not bbs.verify(pk, bad, b"header", messages)
    for bad_pk in (bytes([0xC0]) + bytes(95), pk[:-1], b"\x00" * 96):
        assert not bbs.verify(bad_pk, signature, b"header", messages)
    assert not bbs.proof_verify(pk, proof[:-1], b"header", b"", messages[:1], [0])
    assert not bbs.proof_verify(pk, proof[:-32] + bytes(32), b"header", b"", messages[:1], [0])  # c = 0
    assert not bbs.proof_verify(pk, proof, b"header", b"", messages[:1], [7])  # index out of range
    assert not bbs.proof_verify(pk, proof, b"header", b"", [messages[0], messages[0]], [0, 0])
    with pytest.raises(bbs.BbsError):
        bbs.proof_gen(pk, signature, b"header", b"", messages, [6])
    with pytest.raises(bbs.BbsError):
        bbs.key_gen(b"short")
