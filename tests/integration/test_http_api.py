"""The HTTP API over a real node (aiohttp test server on 127.0.0.1)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from vcnode.node import Node

ED_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
PROBLEM = "application/problem+json"


async def test_resolve_did_key_result_and_document(client: TestClient) -> None:
    response = await client.get(f"/1.0/identifiers/{ED_DID}")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    body = await response.json(content_type=None)
    assert body["didDocument"]["id"] == ED_DID
    assert body["didResolutionMetadata"]["contentType"] == "application/did+ld+json"
    response = await client.get(f"/1.0/identifiers/{ED_DID}", headers={"Accept": "application/did+ld+json"})
    assert response.headers["Content-Type"] == "application/did+ld+json"
    document = await response.json(content_type=None)
    assert document["id"] == ED_DID and "didDocument" not in document


async def test_percent_encoded_did_in_path(client: TestClient) -> None:
    response = await client.get("/1.0/identifiers/did%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert response.status == 200


@pytest.mark.parametrize(("did", "status", "code"), [
    ("did:KEY:z6Mk", 400, "invalidDid"),
    ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0", 400, "invalidDid"),
    ("did:key:" + "z" * 10_000, 400, "invalidDid"),
    ("did:example:123", 501, "methodNotSupported"),
    ("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", 501, "unsupportedPublicKeyType"),
    ("did:key:z2DQUz8yxybcgY49o2TDENNPqPQBbVynuU6CcNCWtSMrwMx", 400, "invalidPublicKeyLength"),  # 31 bytes
    ("did:key:zQmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", 400, "invalidPublicKeyType"),  # a CID
    ("did:key:z6Mkeb4rtEhc8DUtvt5ehaVjdx3TLbQPpnTArkXhqfb1Mq75", 400, "invalidPublicKey"),  # y = 2: no point
    ("did:web:127.0.0.1%3A1", 502, "internalError"),  # upstream unreachable: reported, not crashed
])
async def test_resolution_errors_are_problems_with_resolution_metadata(
        client: TestClient, did: str, status: int, code: str) -> None:
    response = await client.get(f"/1.0/identifiers/{did}")
    assert response.status == status
    assert response.headers["Content-Type"] == PROBLEM
    body = await response.json(content_type=None)
    assert body["status"] == status and body["code"] == code and body["detail"]
    assert body["didResolutionMetadata"]["error"] == code and body["didDocument"] is None


async def test_unsupported_representation_is_406(client: TestClient) -> None:
    response = await client.get(f"/1.0/identifiers/{ED_DID}", headers={"Accept": "application/cbor"})
    assert response.status == 406
    body = await response.json(content_type=None)
    assert body["didResolutionMetadata"]["error"] == "representationNotSupported"


async def test_node_serves_its_own_did_web_document_and_resolves_it_locally(client: TestClient, web_node: Node) -> None:
    response = await client.get("/.well-known/did.json")
    assert response.status == 200
    document = await response.json()
    assert document["id"] == "did:web:example.edu"
    resolved = await client.get("/1.0/identifiers/did:web:example.edu", headers={"Accept": "application/did+json"})
    assert await resolved.json(content_type=None) == document
    await web_node.rotate_key("did:web:example.edu")
    rotated = await (await client.get("/.well-known/did.json")).json()
    assert len(rotated["verificationMethod"]) == 2 and "validUntil" in rotated["verificationMethod"][1]
    resolved = await client.get("/1.0/identifiers/did:web:example.edu", headers={"Accept": "application/did+json"})
    assert await resolved.json(content_type=None) == rotated  # the cache was refreshed on rotation


async def test_path_identities_are_served_under_their_path(client: TestClient, web_node: Node) -> None:
    identity = await web_node.identities.create("web", name="law")
    assert identity.did == "did:web:example.edu:identities:law"
    document = await (await client.get("/identities/law/did.json")).json()
    assert document["id"] == identity.did
    missing = await client.get("/identities/nobody/did.json")
    assert missing.status == 404 and missing.headers["Content-Type"] == PROBLEM


async def test_health_and_ready(client: TestClient) -> None:
    assert (await (await client.get("/health")).json())["status"] == "ok"
    ready = await client.get("/ready")
    assert ready.status == 200 and (await ready.json())["checks"] == {"store": True, "keys": True, "storage": True}


async def test_ready_fails_when_the_store_is_closed(client: TestClient, web_node: Node) -> None:
    await web_node.store.close()
    response = await client.get("/ready")
    body = await response.json()
    assert response.status == 503 and response.headers["Content-Type"] == PROBLEM
    assert body["code"] == "notReady" and body["checks"]["store"] is False


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/nothing-here", 404), ("POST", "/health", 405), ("DELETE", "/.well-known/did.json", 405)])
async def test_http_errors_are_problems(client: TestClient, method: str, path: str, status: int) -> None:
    response = await client.request(method, path)
    assert response.status == status
    assert response.headers["Content-Type"] == PROBLEM
    body = await response.json(content_type=None)
    assert body["status"] == status and body["title"] and body["detail"]


async def test_running_node_picks_up_a_rotation_made_by_another_process(web_node: Node, node_env: dict) -> None:
    """`vcnode keys rotate` runs in its own process while the server keeps running."""
    before = web_node.identities.document("did:web:example.edu")
    assert not await web_node.refresh_if_changed()
    other = await Node.open(web_node.config, environ=node_env)  # stands in for the CLI process
    try:
        await other.rotate_key("did:web:example.edu")
    finally:
        await other.close()
    assert await web_node.refresh_if_changed()
    after = (await web_node.resolver.resolve("did:web:example.edu")).did_document
    assert len(after["verificationMethod"]) == 2 and after != before
    assert web_node.identities.signing_key("did:web:example.edu").verification_method == after["authentication"][0]
