"""BLS12-381 G2 (BBS) keys as identity keys: the ``bls12381`` key type, sealed in the vault and reopened, the
:class:`BbsSigner` that bbs-2023 signs with (and that JOSE and the single-signature suites refuse by name), the
suites the node picks for such a key (bbs-2023 for credentials, none for its own documents: status lists are
refused by name), what identities it may hold and how its DID document lists it."""

from __future__ import annotations

import nacl.pwhash
import pytest

from tests.builders import badge
from vcnode.credentials.derive import derive_credential
from vcnode.credentials.issue import issue_credential
from vcnode.errors import VcnodeError
from vcnode.identity.documents import web_document
from vcnode.identity.records import KeyRecord
from vcnode.identity.service import check_key_type
from vcnode.issuing.envelope import Enveloped
from vcnode.keys import signer
from vcnode.keys.bls12381 import Bls12381G2KeyPair
from vcnode.keys.nist import P256KeyPair
from vcnode.keys.public import BLS12381_G2, PublicKey
from vcnode.keys.vault import EncryptedVault
from vcnode.proofs import default_suite_for, document_suite_for, suite_by_name
from vcnode.proofs.bbs_2023 import parse_base_proof_value, parse_derived_proof_value
from vcnode.proofs.sd_suite import SelectiveDisclosureSuite
from vcnode.status.service import StatusListUnsignable, status_suite_for


def bls_key() -> signer.SigningKey:
    pair = signer.generate(signer.key_type_named("bls12381"))
    did = f"did:key:{pair.public_multikey}"
    return signer.SigningKey(f"{did}#{pair.public_multikey}", pair)


def test_the_key_type_is_named_generated_and_sealed_in_the_vault_and_reopened() -> None:
    assert signer.key_type_named("bls12381") == signer.key_type_named("BLS12381") == BLS12381_G2
    pair = signer.generate(BLS12381_G2)
    assert isinstance(pair, Bls12381G2KeyPair) and pair.key_type == BLS12381_G2
    assert pair.public_multikey.startswith("zUC7") and len(pair.secret) == 32
    vault, _ = EncryptedVault.create("a passphrase for the test", opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN,
                                     memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN)
    sealed = vault.seal(pair.secret)
    assert pair.secret not in sealed
    reopened = signer.from_secret(BLS12381_G2, vault.open(sealed))
    assert reopened.public_multikey == pair.public_multikey
    assert reopened.bbs_sign(b"h", [b"m"]) == pair.bbs_sign(b"h", [b"m"])  # BBS Sign is deterministic
    with pytest.raises(ValueError):
        signer.from_secret(BLS12381_G2, P256KeyPair.generate().secret[:31])


def test_a_bbs_key_signs_bbs_2023_through_the_issuing_call_and_nothing_single_signature() -> None:
    key = bls_key()
    did = key.verification_method.split("#")[0]
    assert not isinstance(key.signer, signer.Signer)
    issued = issue_credential(badge(did), key, suite="bbs-2023")
    [proof] = issued["proof"]  # Open Badges: a proof array
    # The default mandatory pointers are ecdsa-sd-2023's: the holder cannot hide the issuer or the dates.
    assert parse_base_proof_value(proof["proofValue"]).mandatory_pointers == ["/issuer", "/validFrom"]
    derived = derive_credential(issued, ["/credentialSubject/achievement/name"], presentation_header=b"nonce")
    assert parse_derived_proof_value(derived["proof"]["proofValue"]).presentation_header == b"nonce"
    suite = suite_by_name("bbs-2023")
    public = PublicKey.from_multikey(key.signer.public_multikey)
    assert suite.verify_proof({k: v for k, v in derived.items() if k != "proof"}, derived["proof"], public)
    for other in ("eddsa-rdfc-2022", "ecdsa-jcs-2019", "ecdsa-sd-2023"):
        with pytest.raises(VcnodeError) as refused:
            issue_credential(badge(did), key, suite=other)
        assert refused.value.code == "keyTypeMismatch"
    with pytest.raises(VcnodeError) as envelope:
        Enveloped(key, "application/vc+jwt").sign(badge(did), [])
    assert envelope.value.code == "keyTypeMismatch"
    with pytest.raises(VcnodeError) as single:
        key.single_signer  # noqa: B018
    assert single.value.code == "keyTypeMismatch"


def test_a_presentation_header_is_refused_by_name_where_the_suite_has_none() -> None:
    pair = P256KeyPair.generate()
    did = f"did:key:{pair.public_multikey}"
    issued = issue_credential(badge(did), signer.SigningKey(f"{did}#{pair.public_multikey}", pair),
                              suite="ecdsa-sd-2023")
    with pytest.raises(VcnodeError) as refused:
        derive_credential(issued, ["/name"], presentation_header=b"nonce")
    assert refused.value.code == "unsupportedDeriveOption"
    assert isinstance(suite_by_name("bbs-2023"), SelectiveDisclosureSuite)


def test_the_node_signs_credentials_with_bbs_2023_and_refuses_status_lists_by_name() -> None:
    assert default_suite_for(BLS12381_G2) == "bbs-2023"
    assert document_suite_for(BLS12381_G2) is None  # a base proof no verifier accepts signs no node document
    assert (document_suite_for("Ed25519"), document_suite_for("P-256")) == ("eddsa-rdfc-2022", "ecdsa-jcs-2019")
    with pytest.raises(StatusListUnsignable) as refused:
        status_suite_for(bls_key())
    assert refused.value.code == "statusListUnsignable" and refused.value.status == 400


def test_which_identities_hold_a_bbs_key() -> None:
    check_key_type("key", BLS12381_G2)
    check_key_type("web", BLS12381_G2)
    for method, default in (("key", True), ("web", True), ("jwk", False), ("webvh", False)):
        with pytest.raises(VcnodeError) as refused:
            check_key_type(method, BLS12381_G2, default=default)
        assert refused.value.code == "unsupportedKeyType", method


def test_a_did_web_document_lists_a_bbs_key_for_assertions_only() -> None:
    did = "did:web:example.edu"
    bbs_key, ed_key = bls_key().signer, signer.generate("Ed25519")
    records = [KeyRecord(f"{did}#{pair.public_multikey}", did, pair.key_type, pair.public_multikey, b"", "2026-01-01",
                         None, True) for pair in (bbs_key, ed_key)]
    document = web_document(did, records)
    assert [m["publicKeyMultibase"] for m in document["verificationMethod"]] == [bbs_key.public_multikey,
                                                                                 ed_key.public_multikey]
    assert document["assertionMethod"] == [r.id for r in records]
    assert document["authentication"] == document["capabilityInvocation"] == [records[1].id]
