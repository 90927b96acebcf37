"""P-256 identities of a real node: created (did:web, did:key, did:jwk, the node's own), published as Multikey,
sealed in the vault, rotated with their type kept, signing JWS that the node's resolver verifies and Data
Integrity proofs with ecdsa-jcs-2019; and what they cannot do (did:webvh, the eddsa suites) refused by name.
A P-256 node among Ed25519 peers: test_p256_node.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import badge
from tests.integration.test_cli import assert_one_line_error, run
from vcnode.errors import VcnodeError
from vcnode.jose import sign_compact, verify_with_did
from vcnode.jose.errors import JoseError
from vcnode.keys import multikey
from vcnode.keys.public import PublicKey
from vcnode.node import Node

pytestmark = pytest.mark.integration


async def published_nist_identity(web_node: Node, key_type: str, *, name: str) -> tuple[str, Any, Any]:
    """A did:web identity of ``key_type`` (P-256 or P-384) on ``web_node``: its DID, signing key and one key
    record, checked to be of that type, its JOSE algorithm and Multikey codec (``zDn…`` / ``z82…``)."""
    alg, prefix, codec = {"P-256": ("ES256", "zDn", multikey.P256_PUB),
                          "P-384": ("ES384", "z82", multikey.P384_PUB)}[key_type]
    did = (await web_node.identities.create("web", name=name, key_type=key_type)).did
    signing = web_node.identities.signing_key(did)
    assert (signing.key_type, signing.signer.alg) == (key_type, alg)
    [key] = web_node.identities.keys(did)
    assert key.key_type == key_type and key.public_multikey.startswith(prefix)
    assert multikey.decode(key.public_multikey).codec == codec
    return did, signing, key


async def reopened_then_rotated(web_node: Node, node_env: dict[str, str], did: str, signing: Any,
                                key_type: str) -> tuple[Any, Any]:
    """Check that a fresh process's node opens ``did``'s sealed key to the same key, then rotate it: the old and
    new key records, both of ``key_type``."""
    reopened = await Node.open(web_node.config, environ=node_env, vault=web_node.vault)
    try:
        assert reopened.identities.signing_key(did).signer.public_jwk == signing.signer.public_jwk
    finally:
        await reopened.close()
    old, new = await web_node.rotate_key(did)
    prefix = {"P-256": "zDn", "P-384": "z82"}[key_type]
    assert (old.key_type, new.key_type) == (key_type, key_type) and new.public_multikey.startswith(prefix)
    return old, new


async def test_a_p256_did_web_identity_is_published_sealed_rotated_and_signs_jws(
        web_node: Node, node_env: dict[str, str]) -> None:
    did, signing, key = await published_nist_identity(web_node, "P-256", name="eudi")
    document = (await web_node.resolver.resolve(did)).did_document
    [method] = document["verificationMethod"]
    assert method == {"id": key.id, "type": "Multikey", "controller": did,
                      "publicKeyMultibase": key.public_multikey, "validFrom": key.valid_from}
    assert document["assertionMethod"] == [key.id] and document["authentication"] == [key.id]
    first = sign_compact({"iss": did}, signing.signer, kid=signing.verification_method)
    assert (await verify_with_did(first, web_node.resolver, did=did)).key.multikey == key.public_multikey

    # Sealed: the stored secret is not the scalar, and a fresh process's node opens it to the same key.
    secret = signing.signer.secret
    stored = await web_node.store.list_keys()
    assert secret not in next(k for k in stored if k.id == key.id).sealed_secret
    old, new = await reopened_then_rotated(web_node, node_env, did, signing, "P-256")
    rotated = web_node.identities.signing_key(did)
    assert rotated.verification_method == new.id != old.id
    document = (await web_node.resolver.resolve(did)).did_document
    assert [m["id"] for m in document["verificationMethod"]] == [new.id, old.id]
    assert document["authentication"] == [new.id]
    second = sign_compact({"iss": did}, rotated.signer, kid=rotated.verification_method)
    assert (await verify_with_did(second, web_node.resolver, did=did, purpose="authentication")).verification_method \
        == new.id
    # The retired key still verifies as an assertion key; it no longer authenticates.
    assert (await verify_with_did(first, web_node.resolver, did=did)).verification_method == old.id
    with pytest.raises(JoseError) as retired:
        await verify_with_did(first, web_node.resolver, did=did, purpose="authentication")
    assert retired.value.code == "keyNotAuthorized"


@pytest.mark.parametrize(("key_type", "method", "prefix"), [
    ("P-256", "key", "did:key:zDn"), ("P-256", "jwk", "did:jwk:"), ("P-384", "key", "did:key:z82"),
    ("P-384", "jwk", "did:jwk:")])
async def test_self_certifying_nist_identities(web_node: Node, key_type: str, method: str, prefix: str) -> None:
    identity = await web_node.identities.create(method, name=f"{key_type.lower()}-{method}", key_type=key_type)
    assert identity.did.startswith(prefix)
    signing = web_node.identities.signing_key(identity.did)
    resolved = await web_node.resolver.dereference(signing.verification_method)
    key = PublicKey.from_jwk(resolved["publicKeyJwk"]) if method == "jwk" \
        else PublicKey.from_multikey(resolved["publicKeyMultibase"])
    assert key.key_type == key_type and key.multikey == signing.signer.public_multikey
    if method == "jwk":
        assert resolved["publicKeyJwk"]["crv"] == key_type
    token = sign_compact({"sub": identity.did}, signing.signer, kid=signing.verification_method)
    assert (await verify_with_did(token, web_node.resolver, did=identity.did)).claims() == {"sub": identity.did}
    with pytest.raises(VcnodeError, match="cannot rotate"):
        await web_node.rotate_key(identity.did)


async def test_what_p256_identities_cannot_do_is_refused_by_name(web_node: Node) -> None:
    with pytest.raises(VcnodeError) as webvh:
        await web_node.identities.create("webvh", name="vh", key_type="P-256")
    assert webvh.value.code == "unsupportedKeyType"
    identity = await web_node.identities.create("key", name="p256-key", key_type="P-256")
    with pytest.raises(VcnodeError) as signed:  # the eddsa suites refuse a P-256 signer
        await web_node.credentials.issue(badge(identity.did))
    assert signed.value.code == "keyTypeMismatch" and signed.value.status == 400
    issued = await web_node.credentials.issue(badge(identity.did), suite="ecdsa-jcs-2019")
    assert issued.credential["proof"][0]["cryptosuite"] == "ecdsa-jcs-2019"
    assert (await web_node.credentials.verify_credential(issued.credential)).verified
    with pytest.raises(VcnodeError) as witness:  # did:webvh witness proofs are Ed25519
        _ = web_node.identities.signing_key(identity.did).key_pair
    assert witness.value.code == "keyTypeMismatch"


def test_the_key_type_flags_of_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "node"
    refused = run(home, "init", "--key-type", "p256", "--did-method", "webvh", "--domain", "issuer.example")
    assert_one_line_error(refused, "did:webvh")
    assert not (home / "vcnode.sqlite3").exists()  # refused before anything was written
    init = run(home, "init", "--key-type", "p256")  # the node's own identity: its log is signed ecdsa-jcs-2019
    assert init.returncode == 0, init.stderr
    node_did = init.stdout.split("DID: ", 1)[1].split()[0]
    assert node_did.startswith("did:key:zDn")
    assert [key["type"] for key in json.loads(run(home, "keys", "list", "--did", node_did, "--json").stdout)] \
        == ["P-256"]
    created = run(home, "identity", "create", "--did-method", "key", "--key-type", "p256", "--name", "eudi")
    assert created.returncode == 0, created.stderr
    did = created.stdout.strip()
    assert did.startswith("did:key:zDn")
    resolved = json.loads(run(home, "did", "resolve", did).stdout)
    assert resolved["verificationMethod"][0]["publicKeyMultibase"] == did.removeprefix("did:key:")
    keys = json.loads(run(home, "keys", "list", "--did", did, "--json").stdout)
    assert [key["type"] for key in keys] == ["P-256"]
    jwk = run(home, "identity", "create", "--did-method", "jwk", "--key-type", "p256", "--name", "eudi-jwk")
    assert jwk.returncode == 0 and jwk.stdout.startswith("did:jwk:"), jwk.stderr
    rsa = run(home, "identity", "create", "--did-method", "key", "--key-type", "rsa", "--name", "x")
    assert rsa.returncode == 2 and "invalid choice: 'rsa'" in rsa.stderr  # argparse's usage error
    assert_one_line_error(run(home, "witness", "id", "--did", did), "Ed25519")
