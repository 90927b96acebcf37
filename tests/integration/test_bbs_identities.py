"""BLS12-381 G2 identities of a node (in process): a did:web identity published as Multikey ``zUC7…`` for
assertions only, its key sealed in the encrypted vault and reopened, rotated with its type kept, issuing bbs-2023
through the node's issuing path (the default suite for it) both before and after rotation; did:jwk, did:webvh and
the node's own identity refused by name."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.builders import badge
from vcnode.credentials.derive import derive_credential
from vcnode.errors import VcnodeError
from vcnode.issuing.batch import credential_id_for, issue_batch
from vcnode.keys import multikey
from vcnode.node import Node
from vcnode.proofs.bbs_2023 import is_base_proof
from vcnode.status.records import StatusListSpec

pytestmark = pytest.mark.integration

REVEAL = ["/name", "/credentialSubject/achievement/name", "/credentialSubject/achievement/description",
          "/credentialSubject/achievement/criteria"]


async def issue_and_check(node: Node, did: str, credential_id: str) -> None:
    issued = await node.credentials.issue(badge(did, credential_id), suite="bbs-2023")
    assert is_base_proof(issued.credential["proof"][0])
    derived = derive_credential(issued.credential, REVEAL, presentation_header=b"n")
    report = await node.credentials.verify_credential(derived)
    assert report.verified, report.to_json()["errors"]


async def test_a_bls_did_web_identity_is_published_sealed_reopened_rotated_and_issues(
        web_node: Node, node_env: dict[str, str]) -> None:
    identity = await web_node.identities.create("web", name="bbs", key_type="bls12381")
    did = identity.did
    [key] = web_node.identities.keys(did)
    assert key.key_type == "Bls12381G2" and multikey.decode(key.public_multikey).codec == multikey.BLS12381_G2_PUB
    document = (await web_node.resolver.resolve(did)).did_document
    [method] = document["verificationMethod"]
    assert (method["type"], method["publicKeyMultibase"]) == ("Multikey", key.public_multikey)
    assert document["assertionMethod"] == [key.id] and document["authentication"] == []
    assert web_node.credentials.key_type_of(did) == "Bls12381G2"
    await issue_and_check(web_node, did, "urn:uuid:b1b1b1b1-0000-4000-8000-000000000001")

    reopened = await Node.open(web_node.config, environ=node_env, vault=web_node.vault)
    try:  # the sealed secret opens to the same key
        assert reopened.identities.signing_key(did).signer.public_multikey == key.public_multikey
    finally:
        await reopened.close()
    old, new = await web_node.rotate_key(did)
    assert (old.key_type, new.key_type) == ("Bls12381G2", "Bls12381G2") and new.public_multikey.startswith("zUC7")
    await issue_and_check(web_node, did, "urn:uuid:b1b1b1b1-0000-4000-8000-000000000002")


async def test_did_jwk_and_did_webvh_cannot_hold_a_bls_key(web_node: Node) -> None:
    for method in ("jwk", "webvh"):
        with pytest.raises(VcnodeError) as refused:
            await web_node.identities.create(method, name=f"bbs-{method}", key_type="bls12381")
        assert refused.value.code == "unsupportedKeyType"
    key = await web_node.identities.create("key", name="bbs", key_type="bls12381")
    assert key.did.startswith("did:key:zUC7")


async def test_a_bls_identity_issues_a_batch_without_status_and_is_refused_one_with(web_node: Node,
                                                                                  tmp_path: Path) -> None:
    """CSV batches take the same refusal as single credentials: no status index is handed out for a list a BBS
    key could never sign, and no credential is stored."""
    did = (await web_node.identities.create("key", name="bbs", key_type="bls12381")).did
    achievement = {"id": "https://example.edu/achievements/rust", "type": ["Achievement"], "name": "Rust",
                   "description": "Writes safe systems code.", "criteria": {"narrative": "Passed the exam."}}
    row = {"id": "did:example:learner", "email": "", "name": "Ada"}
    common = {"achievement": achievement, "issuer_did": did, "issuer_profile": {"name": "Example University"},
              "identities": web_node.identities, "store": web_node.store, "suite": "bbs-2023",
              "status_service": web_node.credentials.status_service}
    with pytest.raises(VcnodeError) as refused:
        await issue_batch([row], out_dir=tmp_path / "refused", status=[StatusListSpec("revocation", entries=4096)],
                          **common)
    assert refused.value.code == "statusListUnsignable"
    assert await web_node.store.get_credential(credential_id_for(did, achievement, 0, row)) is None
    result = await issue_batch([row], out_dir=tmp_path / "out", **common)
    assert result.issued == 1
    stored = await web_node.store.get_credential(credential_id_for(did, achievement, 0, row))
    assert stored is not None and is_base_proof(orjson.loads(stored.document)["proof"][0])
