"""``GET /1.0/identifiers/{didUrl}`` on a real did:webvh node served on 127.0.0.1: DID URL dereferencing
(fragments, service + relativeRef, versions), the current DID Resolution error objects beside the older drafts'
string codes, and did:key options, the way the w3c-ccg did-resolution and did-key suites ask for them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from aiohttp import ClientSession, web
from yarl import URL

from tests.integration.test_node_webvh import free_port, make_node
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app

pytestmark = pytest.mark.integration

ED = "z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"
ED_DID = f"did:key:{ED}"
ED_VM = f"{ED_DID}#{ED}"
LEGACY = 'application/ld+json;profile="https://w3id.org/did-resolution"'
SPEC = "application/did-resolution"
DEREF = "application/did-url-dereferencing"
DID_NS = "https://www.w3.org/ns/did#"


@pytest.fixture
async def api(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[tuple[Node, str, ClientSession]]:
    """A did:webvh node serving its HTTP API on 127.0.0.1, a client session that does not follow redirects."""
    port = free_port()
    node = await make_node(tmp_path / "node", node_env, "webvh", f"127.0.0.1:{port}")
    runner = web.AppRunner(build_app(node), access_log=None, **SERVER_LIMITS)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with ClientSession() as session:
            yield node, f"http://127.0.0.1:{port}/1.0/identifiers/", session
    finally:
        await runner.cleanup()
        await node.close()


async def get(api: tuple[Node, str, ClientSession], path: str, accept: str) -> tuple[int, dict, dict]:
    _, base, session = api
    # encoded=True: the path goes out exactly as written (yarl would otherwise decode %3A, as some clients do)
    url = URL(base + path, encoded=True)
    async with session.get(url, headers={"Accept": accept}, allow_redirects=False) as response:
        text = await response.text()
        return response.status, dict(response.headers), (orjson.loads(text) if text else {})


async def test_fragment_is_dereferenced_in_every_form(api) -> None:
    status, headers, body = await get(api, quote(ED_VM, safe=""), DEREF)
    assert status == 200 and headers["Content-Type"] == DEREF
    assert body["dereferencingMetadata"]["contentType"] == "application/did"
    assert body["contentStream"]["id"] == ED_VM and body["contentStream"]["controller"] == ED_DID
    assert body["contentMetadata"] == {}
    status, _, body = await get(api, quote(ED_VM, safe=""), LEGACY)  # what the did-key suite reads
    assert status == 200 and body["didDocument"]["id"] == ED_VM and "didDereferencingMetadata" in body
    status, headers, body = await get(api, quote(ED_VM, safe=""), "application/did+ld+json")
    assert status == 200 and headers["Content-Type"] == "application/did+ld+json" and body["type"] == "Multikey"
    # only the fragment's # encoded (a URL path cannot carry a bare #), as clients that keep colons send it
    status, _, body = await get(api, f"{ED_DID}%23{ED}", DEREF)
    assert status == 200 and body["contentStream"]["id"] == ED_VM


async def test_service_and_relative_ref_redirect_to_the_endpoint(api) -> None:
    node, _, _ = api
    did = node.identities.default_did
    resolved = await get(api, did, SPEC)
    files = next(s for s in resolved[2]["didDocument"]["service"] if s["id"].endswith("#files"))
    status, headers, body = await get(api, f"{did}?service=files&relativeRef=%2Fcredentials%2F1", DEREF)
    assert status == 303 and body == {}
    assert headers["Location"] == files["serviceEndpoint"].rstrip("/") + "/credentials/1"
    # the binding's percent-encoded form says the same
    encoded = quote(f"{did}?service=files&relativeRef=%2Fcredentials%2F1", safe="")
    assert (await get(api, encoded, DEREF))[1]["Location"] == headers["Location"]
    # asked for a DID document: the document with only the selected service
    status, _, body = await get(api, f"{did}?service=files", "application/did+ld+json")
    assert status == 200 and [s["id"] for s in body["service"]] == [files["id"]]


async def test_version_id_dereferences_to_that_version(api) -> None:
    node, _, _ = api
    version_id = (await get(api, node.identities.default_did, SPEC))[2]["didDocumentMetadata"]["versionId"]
    status, _, body = await get(api, f"{node.identities.default_did}?versionId={version_id}", DEREF)
    assert status == 200 and body["contentStream"]["id"] == node.identities.default_did
    assert body["contentMetadata"]["versionId"] == version_id
    status, _, body = await get(api, f"{node.identities.default_did}?versionId=9-QmNothing", DEREF)
    assert status == 404 and body["dereferencingMetadata"]["error"]["type"] == DID_NS + "NOT_FOUND"
    status, _, body = await get(api, f"{ED_DID}?versionId=1", SPEC)  # did:key keeps no versions
    assert status == 400 and body["didResolutionMetadata"]["error"]["type"] == DID_NS + "INVALID_DID_URL"


@pytest.mark.parametrize(("path", "status", "name", "code"), [
    ("not-a-did", 400, "INVALID_DID", "invalidDid"),
    ("did:example", 400, "INVALID_DID", "invalidDid"),
    ("did:unsupported:123456789abcdefghi", 501, "METHOD_NOT_SUPPORTED", "methodNotSupported"),
    ("did:key:zTjsVPtY", 400, "INVALID_DID", "invalidPublicKeyLength"),
])
async def test_errors_are_error_objects_or_string_codes_by_accept(api, path: str, status: int, name: str,
                                                                 code: str) -> None:
    got, headers, body = await get(api, path, SPEC)
    assert got == status and headers["Content-Type"] == "application/problem+json"
    assert body["code"] == code and body["didDocument"] is None and body["didDocumentMetadata"] == {}
    error = body["didResolutionMetadata"]["error"]
    assert error["type"] == DID_NS + name and error["title"] and error["detail"] and error["code"] == code
    got, _, body = await get(api, path, LEGACY)  # the older drafts' form keeps the readable string
    assert got == status and body["didResolutionMetadata"]["error"] == code


async def test_did_key_options_from_the_query(api) -> None:
    encoded = quote(ED_DID, safe="")
    status, _, body = await get(api, f"{encoded}?publicKeyFormat=JsonWebKey", SPEC)
    assert status == 200 and body["didDocument"]["verificationMethod"][0]["publicKeyJwk"]["crv"] == "Ed25519"
    status, _, body = await get(api, f"{encoded}?publicKeyFormat=unknown", LEGACY)
    assert status == 501 and body["didResolutionMetadata"]["error"] == "unsupportedPublicKeyType"
    options = "publicKeyFormat=Ed25519VerificationKey2018&enableExperimentalPublicKeyTypes=false"
    status, _, body = await get(api, f"{quote(ED_VM, safe='')}?{options}", LEGACY)
    assert status == 400 and body["didDereferencingMetadata"]["error"] == "invalidPublicKeyType"
    options = "publicKeyFormat=Ed25519VerificationKey2018&enableExperimentalPublicKeyTypes=true"
    status, _, body = await get(api, f"{quote(ED_VM, safe='')}?{options}", DEREF)
    assert status == 200 and body["contentStream"]["publicKeyBase58"]
    status, _, body = await get(api, quote(f"{ED_DID}/^bar^/?query=`#{ED}", safe=""), LEGACY)
    assert status == 400 and body["didDereferencingMetadata"]["error"] == "invalidDidUrl"
