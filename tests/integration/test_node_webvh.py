"""A node with a did:webvh identity, served on 127.0.0.1: create, rotate twice, resolve every version over HTTP
from another node, and verify a credential signed under the first key after both rotations."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from aiohttp import ClientSession, web
from yarl import URL

from tests.builders import badge
from vcnode.config import load_config
from vcnode.credentials.issue import prepare_credential, sign
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.node import Node, initialise
from vcnode.serve.app import SERVER_LIMITS, build_app
from vcnode.webvh.identifier import parse_webvh_did

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def make_node(home: Path, env: dict[str, str], method: str, domain: str = "") -> Node:
    config = load_config(home, environ=env, overrides={"domain": domain, "allow_http_hosts": ["127.0.0.1"]})
    return await initialise(config, did_method=method, environ=env)


@pytest.fixture
async def issuer(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[tuple[Node, str]]:
    """A did:webvh node serving its HTTP API on 127.0.0.1; yields the node and its base URL."""
    port = free_port()
    node = await make_node(tmp_path / "issuer", node_env, "webvh", f"127.0.0.1:{port}")
    runner = web.AppRunner(build_app(node), access_log=None, **SERVER_LIMITS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield node, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await node.close()


@pytest.fixture
async def verifier(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[Node]:
    """Another node (did:key) that knows the issuer only through HTTP."""
    node = await make_node(tmp_path / "verifier", node_env, "key")
    try:
        yield node
    finally:
        await node.close()


async def get(url: str, accept: str = "*/*") -> tuple[int, str, bytes]:
    # encoded=True: sent as written, so a DID's %3A port separator is not normalised to ':'.
    async with ClientSession() as session, session.get(URL(url, encoded=True), headers={"Accept": accept}) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def test_create_rotate_resolve_and_verify(issuer: tuple[Node, str], verifier: Node) -> None:
    node, base = issuer
    did = node.identities.default_did
    assert did is not None and did.startswith("did:webvh:") and did.endswith(f":127.0.0.1%3A{base.rsplit(':', 1)[1]}")
    first_key = node.identities.signing_key(did).verification_method
    credential = (await node.credentials.issue(badge(did), suite="eddsa-jcs-2022")).credential

    await node.rotate_key(did)
    await node.rotate_key(did)
    status, content_type, body = await get(f"{base}/.well-known/did.jsonl")
    assert status == 200 and content_type.startswith("text/jsonl")
    entries = [orjson.loads(line) for line in body.splitlines()]
    assert [entry["versionId"].split("-")[0] for entry in entries] == ["1", "2", "3"]
    assert body.endswith(b"\n")

    # The other node resolves every version over HTTP, through the did:webvh driver.
    latest = await verifier.resolver.resolve(did)
    assert latest.error is None, latest.resolution_metadata
    assert latest.document_metadata["versionId"] == entries[2]["versionId"]
    assert latest.did_document == node.identities.document(did)
    current_key = node.identities.signing_key(did).verification_method
    assert [m["id"] for m in latest.did_document["verificationMethod"]] == [current_key]
    for query, number in ((f"versionId={entries[0]['versionId']}", 0), (f"versionTime={entries[1]['versionTime']}", 1),
                          ("versionNumber=1", 0)):
        version = await verifier.resolver.resolve(f"{did}?{query}")
        assert version.error is None, version.resolution_metadata
        assert version.did_document == entries[number]["state"] | {"service": version.did_document["service"]}
    assert (await verifier.resolver.resolve(f"{did}?versionId={entries[0]['versionId']}")).did_document[
        "verificationMethod"][0]["id"] == first_key

    # The credential signed with the first key verifies after both rotations, on both nodes.
    for who in (node, verifier):
        report = (await who.credentials.verify_credential(credential)).to_json()
        assert report["verified"], report
    # A credential the rotated-out key signs after its version ended (say it leaked) does not verify.
    first_record = node.identities.keys(did)[-1]
    leaked = SigningKey(first_key, Ed25519KeyPair.from_seed(node.vault.open(first_record.sealed_secret)))
    late = sign(prepare_credential(badge(did, "urn:uuid:4b1c0a4e-1f0e-4d55-9d8e-3b7b8f0a9c11")), leaked,
                suite="eddsa-jcs-2022", created=entries[1]["versionTime"])
    report = (await verifier.credentials.verify_credential(late)).to_json()
    assert not report["verified"] and report["errors"][0]["code"] == "verificationMethodNotFound", report


async def test_parallel_did_web_document_and_resolution_over_the_api(issuer: tuple[Node, str], verifier: Node
                                                                     ) -> None:
    node, base = issuer
    did = node.identities.default_did
    assert did is not None
    status, _, body = await get(f"{base}/.well-known/did.json")
    assert status == 200
    document = orjson.loads(body)
    port = base.rsplit(":", 1)[1]
    web_did = f"did:web:127.0.0.1%3A{port}"
    assert document["id"] == web_did and did in document["alsoKnownAs"] and web_did not in document["alsoKnownAs"]
    assert {service["id"] for service in document["service"]} == {"#files", "#whois"}
    # The did:web form resolves through the did:web driver of the other node, to the same keys.
    web_result = await verifier.resolver.resolve(web_did)
    assert web_result.error is None, web_result.resolution_metadata
    assert web_result.did_document["verificationMethod"][0]["publicKeyMultibase"] == \
        node.identities.signing_key(did).key_pair.public_multikey

    status, _, body = await get(f"{base}/1.0/identifiers/{did}?versionNumber=1", "application/ld+json")
    assert status == 200 and orjson.loads(body)["didDocumentMetadata"]["versionNumber"] == 1
    status, _, _ = await get(f"{base}/1.0/identifiers/{did}?versionNumber=7")
    assert status == 404
    status, _, _ = await get(f"{base}/.well-known/nothing/did.jsonl")
    assert status == 404


async def test_path_identities_and_a_rotation_from_another_process(issuer: tuple[Node, str], node_env: dict[str, str],
                                                                   verifier: Node) -> None:
    node, base = issuer
    identity = await node.identities.create("webvh", name="law")
    parsed = parse_webvh_did(identity.did, allow_hosts=frozenset({"127.0.0.1"}))
    assert parsed.path == ("identities", "law")
    status, _, body = await get(f"{base}/identities/law/did.jsonl")
    assert status == 200 and len(body.splitlines()) == 1
    before = await node.resolver.resolve(identity.did)
    # Another process (the CLI) rotates the key; the serving node notices through the store.
    other = await Node.open(node.config, environ=node_env)
    try:
        await other.rotate_key(identity.did)
    finally:
        await other.close()
    assert await node.refresh_if_changed()
    after = await node.resolver.resolve(identity.did)
    assert after.document_metadata["versionNumber"] == 2 and before.document_metadata["versionNumber"] == 1
    status, _, body = await get(f"{base}/identities/law/did.jsonl")
    assert len(body.splitlines()) == 2
    remote = await verifier.resolver.resolve(identity.did)
    assert remote.error is None and remote.document_metadata["versionNumber"] == 2, remote.resolution_metadata


async def test_webvh_needs_a_domain_name(tmp_path: Path, node_env: dict[str, str]) -> None:
    from vcnode.errors import VcnodeError

    config = load_config(tmp_path / "n", environ=node_env, overrides={"domain": "127.0.0.1:8080"})
    with pytest.raises(VcnodeError, match="IP address"):
        await initialise(config, did_method="webvh", environ=node_env)


async def test_peers_keep_a_did_webvh_log_and_resolve_it_while_its_server_is_down(
        tmp_path: Path, node_env: dict[str, str]) -> None:
    """Peers act as watchers: the issuer's log is anchored and replicated, and resolves with the issuer down."""
    ports = {"issuer": free_port(), "peer": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}

    async def start(name: str, method: str, domain: str = "") -> tuple[Node, web.AppRunner]:
        other = "peer" if name == "issuer" else "issuer"
        config = load_config(tmp_path / name, environ=node_env, overrides={
            "domain": domain, "port": ports[name], "allow_http_hosts": ["127.0.0.1"], "peers": [urls[other]],
            "fetch_timeout": 2.0})
        node = await initialise(config, did_method=method, environ=node_env)
        runner = web.AppRunner(build_app(node), access_log=None, **SERVER_LIMITS)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", ports[name]).start()
        return node, runner

    issuer, issuer_runner = await start("issuer", "webvh", f"127.0.0.1:{ports['issuer']}")
    peer, peer_runner = await start("peer", "key")
    try:
        did = issuer.identities.default_did
        await issuer.rotate_key(did)  # two versions: the replica must carry the whole log
        credential = (await issuer.credentials.issue(badge(did))).credential
        # Announce, pull: a pull the peer starts in the background may finish after a step returns (slower
        # under load), so rounds go on until the replica is whole or a deadline passes.
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            await issuer.gossip.step()
            await peer.gossip.step()
            head = await peer.anchors.store.head(did)
            if (head and head["seq"] == 2) or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        assert head is not None and head["seq"] == 2, head
        await issuer_runner.cleanup()  # the issuer's server goes down
        await peer_runner.cleanup()
        await peer.close()  # … and the peer restarts, so nothing it resolved earlier is still cached
        peer = await Node.open(load_config(tmp_path / "peer", environ=node_env), environ=node_env)
        peer_runner = web.AppRunner(build_app(peer))
        await peer_runner.setup()
        resolved = await peer.resolver.resolve(did)
        assert resolved.error is None and resolved.document_metadata["versionNumber"] == 2, resolved.resolution_metadata
        report = (await peer.credentials.verify_credential(credential)).to_json()
        assert report["verified"], report["errors"]
    finally:
        await peer_runner.cleanup()
        await peer.close()
        await issuer.close()
