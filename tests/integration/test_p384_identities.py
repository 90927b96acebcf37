"""P-384 identities of a real node: created (did:web, did:key, did:jwk, and the node's own from the command line),
published as Multikey ``z82…`` / JWK ``crv P-384``, sealed and reopened, rotated with their type kept, signing
ES384 JWS and Open Badges with ecdsa-jcs-2019 and ecdsa-rdfc-2019 over SHA-384, which the node verifies; the
eddsa suites and did:webvh refused by name. The P-256 ones: test_p256_identities.py."""

from __future__ import annotations

import json
from pathlib import Path

import base58
import pytest

from tests.builders import badge
from tests.integration.test_cli import assert_one_line_error, run
from tests.integration.test_p256_identities import published_nist_identity, reopened_then_rotated
from vcnode.errors import VcnodeError
from vcnode.jose import sign_compact, verify_with_did
from vcnode.node import Node

pytestmark = pytest.mark.integration


async def test_a_p384_did_web_identity_is_published_sealed_rotated_and_signs(web_node: Node,
                                                                            node_env: dict[str, str]) -> None:
    did, signing, key = await published_nist_identity(web_node, "P-384", name="p384")
    [method] = (await web_node.resolver.resolve(did)).did_document["verificationMethod"]
    assert (method["type"], method["publicKeyMultibase"]) == ("Multikey", key.public_multikey)
    token = sign_compact({"iss": did}, signing.signer, kid=signing.verification_method)
    verified = await verify_with_did(token, web_node.resolver, did=did)
    assert verified.header["alg"] == "ES384" and verified.key.key_type == "P-384"

    # Issued with both ECDSA suites: SHA-384 hashes, 96-byte signatures; the node verifies them.
    for n, suite in enumerate(("ecdsa-jcs-2019", "ecdsa-rdfc-2019")):
        issued = await web_node.credentials.issue(badge(did, f"urn:uuid:38438438-0000-4000-8000-00000000000{n}"),
                                                  suite=suite)
        [proof] = issued.credential["proof"]
        assert proof["cryptosuite"] == suite and proof["verificationMethod"] == key.id
        assert len(base58.b58decode(proof["proofValue"][1:])) == 96
        assert (await web_node.credentials.verify_credential(issued.credential)).verified
    with pytest.raises(VcnodeError) as eddsa:
        await web_node.credentials.issue(badge(did), suite="eddsa-rdfc-2022")
    assert eddsa.value.code == "keyTypeMismatch"

    await reopened_then_rotated(web_node, node_env, did, signing, "P-384")


async def test_p384_identities_cannot_live_in_did_webvh(web_node: Node) -> None:
    # did:key and did:jwk P-384 identities: test_p256_identities.py::test_self_certifying_nist_identities.
    with pytest.raises(VcnodeError) as webvh:
        await web_node.identities.create("webvh", name="vh384", key_type="P-384")
    assert webvh.value.code == "unsupportedKeyType"


def test_the_command_line_makes_p384_nodes_and_identities(tmp_path: Path) -> None:
    home = tmp_path / "node"
    init = run(home, "init", "--key-type", "p384")  # the node's own identity: its log is signed ecdsa-jcs-2019
    assert init.returncode == 0, init.stderr
    node_did = init.stdout.split("DID: ", 1)[1].split()[0]
    assert node_did.startswith("did:key:z82")
    assert [key["type"] for key in json.loads(run(home, "keys", "list", "--did", node_did, "--json").stdout)] \
        == ["P-384"]
    created = run(home, "identity", "create", "--did-method", "jwk", "--key-type", "p384", "--name", "jwk384")
    assert created.returncode == 0 and created.stdout.startswith("did:jwk:"), created.stderr
    resolved = json.loads(run(home, "did", "resolve", created.stdout.strip()).stdout)
    assert resolved["verificationMethod"][0]["publicKeyJwk"]["crv"] == "P-384"
    refused = run(tmp_path / "vh", "init", "--key-type", "p384", "--did-method", "webvh", "--domain", "x.example")
    assert_one_line_error(refused, "did:webvh")
