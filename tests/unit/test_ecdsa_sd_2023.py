"""ecdsa-sd-2023: the W3C vectors reproduced (HMAC-relabelled canonical statements, mandatory and proof hashes,
the base proof value re-encoded byte for byte, the derived document and proof value byte for byte), base proofs
made with the vectors' fixed HMAC and proof keys, and the named refusals (a base proof given to a verifier,
tampered or malformed proof values, a pointer that selects nothing, a mandatory field changed)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import cbor2
import pytest

from did_methods.key import KeyDriver
from tests.conftest import ROOT
from vcnode.cli.main import main
from vcnode.credentials.derive import derive_credential
from vcnode.credentials.issue import issue_credential
from vcnode.did.resolver import Resolver
from vcnode.errors import VcnodeError
from vcnode.jsonld import ContextRegistry, default_registry
from vcnode.keys import multikey
from vcnode.keys.p256 import P256KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.proofs import SUITES, ProofError, suite_by_name, suite_for_proof
from vcnode.proofs.ecdsa_sd_2023 import (
    EcdsaSd2023,
    parse_base_proof_value,
    parse_derived_proof_value,
)
from vcnode.proofs.selective import (
    b64url,
    canonicalize_and_group,
    hash_mandatory,
    hmac_label_map_factory,
    parse_pointer,
    select_json_ld,
)
from vcnode.proofs.verify import ProofExpectations, verify_proofs

FIXTURES = ROOT / "tests" / "fixtures" / "vc-di-ecdsa" / "sd"
SUITE = suite_by_name("ecdsa-sd-2023")
#: Each vector: its folder, the mandatory pointers and the holder's selective pointers.
VECTORS = {"prc": ("prCredMandatory.json", "prCredSelective.json"),
           "employ": ("employMandatory.json", "employSelective.json")}


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text())


def registry() -> ContextRegistry:
    """The pinned contexts plus the citizenship context the vectors use (reconstructed, see PROVENANCE.md)."""
    return default_registry().with_contexts(
        {"https://w3id.org/citizenship/v4rc1": load("citizenship-v4rc1.reconstructed.jsonld")})


def key_pair(name: str) -> P256KeyPair:
    return P256KeyPair.from_secret(multikey.decode(load("SDKeyMaterial.json")[name]["secretKeyMultibase"]).raw)


def unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([KeyDriver()])


def p256_issuer() -> tuple[SigningKey, dict[str, Any]]:
    pair = P256KeyPair.generate()
    did = f"did:key:{pair.public_multikey}"
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": did, "validFrom": "2026-01-01T00:00:00Z",
                  "credentialSubject": {"id": "did:example:learner", "name": "Ada", "grade": "A",
                                        "email": "ada@example.org"}}
    credential["@context"].append({"@vocab": "https://example.org/vocab#"})
    return SigningKey(f"{did}#{pair.public_multikey}", pair), credential


async def errors_of(document: dict[str, Any], resolver: Resolver, reg: ContextRegistry | None = None) -> list[str]:
    return [r.error["code"] for r in await verify_proofs(document, ProofExpectations(), resolver, reg)
            if r.error is not None]


def test_it_is_registered_for_p256() -> None:
    assert isinstance(SUITES["ecdsa-sd-2023"], EcdsaSd2023) and SUITE.key_types == frozenset({"P-256"})
    assert suite_for_proof({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-sd-2023"}) is SUITE


@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_the_vector_statements_hashes_and_proof_values_are_reproduced(vector: str) -> None:
    mandatory_file, selective_file = VECTORS[vector]
    signed = load(f"{vector}/addSignedSDBase.json")
    document, reg = unsecured(signed), registry()
    hmac_key = bytes.fromhex(load("SDKeyMaterial.json")["hmacKeyString"])
    groups, _, nquads = canonicalize_and_group(document, hmac_label_map_factory(hmac_key),
                                               {"mandatory": load(mandatory_file)}, reg)
    assert nquads == load(f"{vector}/addBaseDocHMACCanon.json")
    transform = load(f"{vector}/addBaseTransform.json")
    assert [[i, nq] for i, nq in groups["mandatory"].matching.items()] == transform["mandatory"]["value"]
    hashes = load(f"{vector}/addHashData.json")
    assert hash_mandatory(list(groups["mandatory"].matching.values())).hex() == hashes["mandatoryHash"]
    assert isinstance(SUITE, EcdsaSd2023)
    assert SUITE.proof_hash(signed["proof"], document, reg).hex() == hashes["proofHash"]
    # The base proof value parses into the vector's parts and encodes back to the same bytes.
    base = parse_base_proof_value(signed["proof"]["proofValue"])
    raw = load(f"{vector}/addRawBaseSignatureInfo.json")
    assert (base.base_signature.hex(), [s.hex() for s in base.signatures]) == (raw["baseSignature"], raw["signatures"])
    assert base.hmac_key == hmac_key and base.mandatory_pointers == load(mandatory_file)
    assert base.encode() == signed["proof"]["proofValue"]
    # Derivation is deterministic: the vector's derived document, proof value included, byte for byte.
    derived = SUITE.derive_proof(document, signed["proof"], load(selective_file), reg)
    expected = load(f"{vector}/derivedRevealDocument.json")
    assert derived["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert derived == expected


@pytest.mark.parametrize("vector", sorted(VECTORS))
async def test_the_vector_derived_credential_verifies_and_its_base_proof_is_refused(vector: str,
                                                                                    resolver: Resolver) -> None:
    reg = registry()
    derived = load(f"{vector}/derivedRevealDocument.json")
    assert await errors_of(derived, resolver, reg) == []
    assert await errors_of(load(f"{vector}/addSignedSDBase.json"), resolver, reg) == ["baseProofNotVerifiable"]
    tampered = copy.deepcopy(derived)
    tampered["credentialSubject"]["birthCountry"] = "Utopia"
    assert await errors_of(tampered, resolver, reg) == ["invalidDisclosure"]
    mandatory_changed = copy.deepcopy(derived)
    mandatory_changed["issuer"]["image"] = "data:image/png;base64,AAAA"
    assert await errors_of(mandatory_changed, resolver, reg) == ["invalidSignature"]


@pytest.mark.parametrize("vector", sorted(VECTORS))
async def test_a_base_proof_with_the_vector_keys_signs_the_vector_statements(vector: str, resolver: Resolver) -> None:
    """ECDSA is randomised: with the vectors' issuer, HMAC and proof keys, the parts that do not depend on the
    randomness equal the vector's, and the new proof derives the vector's document, which verifies."""
    mandatory_file, selective_file = VECTORS[vector]
    signed, reg = load(f"{vector}/addSignedSDBase.json"), registry()
    options = {k: v for k, v in signed["proof"].items() if k not in ("type", "cryptosuite", "proofValue")}
    issuer = key_pair("baseKeyPair")
    proof = SUITE.create_proof(unsecured(signed), {**options, "mandatoryPointers": load(mandatory_file)}, issuer,
                               reg, hmac_key=bytes.fromhex(load("SDKeyMaterial.json")["hmacKeyString"]),
                               proof_key=key_pair("proofKeyPair"))
    ours, theirs = parse_base_proof_value(proof["proofValue"]), parse_base_proof_value(signed["proof"]["proofValue"])
    assert (ours.public_key, ours.hmac_key, ours.mandatory_pointers, len(ours.signatures)) == \
        (theirs.public_key, theirs.hmac_key, theirs.mandatory_pointers, len(theirs.signatures))
    assert {k: v for k, v in proof.items() if k != "proofValue"} == \
        {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    derived = SUITE.derive_proof(unsecured(signed), proof, load(selective_file), reg)
    assert unsecured(derived) == unsecured(load(f"{vector}/derivedRevealDocument.json"))
    assert await errors_of(derived, resolver, reg) == []


async def test_issue_derive_verify_hides_what_is_not_revealed(resolver: Resolver) -> None:
    key, credential = p256_issuer()
    issued = issue_credential(credential, key, suite="ecdsa-sd-2023")
    base = parse_base_proof_value(issued["proof"]["proofValue"])
    assert base.mandatory_pointers == ["/issuer", "/validFrom"]  # the defaults the credential has
    derived = derive_credential(issued, ["/credentialSubject/name"])
    assert derived["credentialSubject"] == {"id": "did:example:learner", "name": "Ada"}
    assert "grade" not in json.dumps(derived) and derived["issuer"] == credential["issuer"]
    assert await errors_of(derived, resolver) == []
    assert await errors_of(issued, resolver) == ["baseProofNotVerifiable"]
    other = derive_credential(issued, ["/credentialSubject/grade"])
    assert other["credentialSubject"] == {"id": "did:example:learner", "grade": "A"}
    assert await errors_of(other, resolver) == []
    # The revealed value swapped for the hidden one's: caught by the statement signatures.
    swapped = copy.deepcopy(derived)
    swapped["credentialSubject"]["name"] = "Bob"
    assert await errors_of(swapped, resolver) == ["invalidDisclosure"]
    # A mandatory field revealed differently changes the signed mandatory hash.
    moved = copy.deepcopy(derived)
    moved["validFrom"] = "2025-01-01T00:00:00Z"
    assert await errors_of(moved, resolver) == ["invalidSignature"]
    # An extra statement the proof does not cover.
    added = copy.deepcopy(derived)
    added["credentialSubject"]["grade"] = "A"
    assert await errors_of(added, resolver) == ["invalidDisclosure"]


def _derived_value(payload: list[Any]) -> str:
    return "u" + b64url(b"\xd9\x5d\x01" + cbor2.dumps(payload))


@pytest.mark.parametrize("value", [
    None, 42, "z3uHh", "u!!!", "u" + b64url(b"\x00\x01\x02garbage"), "u" + b64url(b"\xd9\x5d\x01\xff\xff"),
    _derived_value([b"x" * 64, b"y" * 35, [], {}]), _derived_value([b"x" * 63, b"y" * 35, [], {}, []]),
    _derived_value([b"x" * 64, b"y" * 35, [b"s" * 10], {}, []]),
    _derived_value([b"x" * 64, b"y" * 35, [], {"a": b""}, []]),
    _derived_value([b"x" * 64, b"y" * 35, [], {}, ["0"]]), "u" + b64url(b"\xd9\x5d\x01" + b"\xd8\x40"),
])
async def test_malformed_proof_values_are_named_errors(value: Any, resolver: Resolver) -> None:
    key, credential = p256_issuer()
    derived = derive_credential(issue_credential(credential, key, suite="ecdsa-sd-2023"), ["/credentialSubject/name"])
    derived["proof"]["proofValue"] = value
    assert await errors_of(derived, resolver) == ["malformedProofValue"]
    with pytest.raises(ProofError) as caught:
        parse_derived_proof_value(value)
    assert caught.value.code == "malformedProofValue"


async def test_a_proof_scoped_key_that_is_not_a_p256_point_is_malformed(resolver: Resolver) -> None:
    key, credential = p256_issuer()
    derived = derive_credential(issue_credential(credential, key, suite="ecdsa-sd-2023"), ["/credentialSubject/name"])
    parts = parse_derived_proof_value(derived["proof"]["proofValue"])
    parts.public_key = b"\x80\x24" + b"\x02" + b"\xff" * 32
    derived["proof"]["proofValue"] = parts.encode()
    assert await errors_of(derived, resolver) == ["malformedProofValue"]


def test_pointers_that_select_nothing_or_are_not_pointers_are_named_errors() -> None:
    key, credential = p256_issuer()
    issued = issue_credential(credential, key, suite="ecdsa-sd-2023")
    for reveal, code in ((["/credentialSubject/age"], "pointerSelectsNothing"), (["/type/7"], "pointerSelectsNothing"),
                         (["credentialSubject"], "invalidPointer"), (["/a~2b"], "invalidPointer"),
                         ("/credentialSubject/name", "invalidPointer")):
        with pytest.raises(ProofError) as caught:
            derive_credential(issued, reveal)  # type: ignore[arg-type]
        assert (caught.value.code, caught.value.status) == (code, 400), reveal
    with pytest.raises(ProofError) as caught:
        issue_credential(credential, key, suite="ecdsa-sd-2023", mandatory_pointers=["/credentialStatus"])
    assert caught.value.code == "pointerSelectsNothing"
    for credential_without in ({**issued, "proof": {**issued["proof"], "cryptosuite": "ecdsa-rdfc-2019"}},
                               unsecured(issued), derive_credential(issued, [])):
        with pytest.raises(ProofError) as caught:
            derive_credential(credential_without, ["/credentialSubject/name"])
        assert caught.value.code == "noBaseProof"


def test_undefined_terms_and_unknown_contexts_are_refused_as_by_every_suite() -> None:
    """Safe mode: a term no context defines would be dropped from what is signed; refused by name instead."""
    key, credential = p256_issuer()
    credential["@context"] = credential["@context"][:1]  # no @vocab: grade and email are undefined
    for document, code in ((credential, "undefinedTerm"),
                           ({**credential, "@context": [*credential["@context"], "https://unknown.example/v1"]},
                            "unknownContext")):
        with pytest.raises(VcnodeError) as caught:
            issue_credential(document, key, suite="ecdsa-sd-2023")
        assert caught.value.code == code


def test_json_pointers_and_selection_follow_rfc_6901_and_the_spec() -> None:
    assert parse_pointer("/a~1b/~0c/0/10") == ["a/b", "~c", 0, 10]
    document = {"@context": "ctx", "id": "urn:x", "type": "T", "list": [{"id": "_:b0", "type": "I", "v": 1},
                                                                         {"type": "I", "v": 2, "w": 3}],
                "nested": {"type": "N", "a": {"b": 1, "c": 2}}}
    assert select_json_ld(document, []) is None
    assert select_json_ld(document, ["/list/1/w", "/nested/a/c"]) == {
        "@context": "ctx", "id": "urn:x", "type": "T", "list": [{"type": "I", "w": 3}],
        "nested": {"type": "N", "a": {"c": 2}}}


def test_the_cli_prints_the_derived_credential_and_fails_in_one_line(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    key, credential = p256_issuer()
    path = tmp_path / "issued.json"
    path.write_text(json.dumps(issue_credential(credential, key, suite="ecdsa-sd-2023")))
    assert main(["derive", str(path), "--reveal", "/credentialSubject/email"]) == 0
    derived = json.loads(capsys.readouterr().out)
    assert derived["credentialSubject"] == {"id": "did:example:learner", "email": "ada@example.org"}
    assert parse_derived_proof_value(derived["proof"]["proofValue"]).signatures  # the email's statement
    assert main(["derive", str(path), "--reveal", "/credentialSubject/nothing"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "selects nothing" in err
