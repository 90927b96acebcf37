"""did:webvh end to end: the real Resolver, WebvhDriver and SafeFetcher against an HTTP server on 127.0.0.1
serving ``did.jsonl`` and ``did-witness.json``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiohttp import web

from did_methods.webvh import WebvhDriver
from tests.servers import Handler, LocalServer
from tests.webvh_builders import LogBuilder, key
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import Resolution
from vcnode.did.resolver import Resolver
from vcnode.net.fetch import SafeFetcher
from vcnode.webvh.witness import witness_did, witness_proof

pytestmark = pytest.mark.integration
BOUND = 5.0  # no resolution in this file may take longer


class DidServer(LocalServer):
    """Serves did:webvh logs (and witness files) for DIDs naming this server."""

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler


async def resolve(resolver: Resolver, did: str) -> Resolution:
    return await asyncio.wait_for(resolver.resolve(did), BOUND)


def assert_error(result: Resolution, code: str, in_message: str | None = None) -> None:
    assert result.did_document is None
    assert result.error == code, result.resolution_metadata
    if in_message is not None:
        assert in_message in result.resolution_metadata["errorMessage"], result.resolution_metadata


def recent(days_ago: int) -> str:
    return (datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")


@pytest.fixture
async def server() -> AsyncIterator[DidServer]:
    async with DidServer() as srv:
        yield srv


@pytest.fixture
async def fetcher() -> AsyncIterator[SafeFetcher]:
    client = SafeFetcher(allow_http_hosts=["127.0.0.1"], timeout=1.0, max_bytes=64 * 1024)
    yield client
    await client.close()


@pytest.fixture
def resolver(fetcher: SafeFetcher) -> Resolver:
    return Resolver({"webvh": WebvhDriver(DriverContext(fetcher=fetcher))}, cache_size=100, default_ttl=300)


def serve_bytes(server: DidServer, path: str, body: bytes, content_type: str = "text/jsonl",
                headers: dict[str, str] | None = None) -> None:
    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, headers=headers)

    server.serve(path, handler)


def rotated(server: DidServer, *segments: str, parameters: dict[str, Any] | None = None) -> LogBuilder:
    """A log for this server, created (on 2025-01-01) with key 1, rotated to keys 2 and 3 in the last days."""
    log = LogBuilder(server.authority, segments)
    log.create(key(1), parameters, document_key=key(1))
    log.update(key(1), {"updateKeys": [key(2).public_multikey]}, document_key=key(2), version_time=recent(2))
    log.update(key(2), {"updateKeys": [key(3).public_multikey]}, document_key=key(3), version_time=recent(1))
    return log


def publish(server: DidServer, log: LogBuilder, *segments: str, headers: dict[str, str] | None = None) -> None:
    path = "/" + "/".join(segments) + "/did.jsonl" if segments else "/.well-known/did.jsonl"
    serve_bytes(server, path, log.jsonl(), headers=headers)


async def test_resolves_the_latest_and_earlier_versions(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server)
    publish(server, log)
    latest = await resolve(resolver, log.did)
    assert latest.error is None, latest.resolution_metadata
    assert latest.did_document is not None and latest.did_document["id"] == log.did
    assert latest.document_metadata["versionNumber"] == 3
    assert latest.did_document["service"][0] == {"id": "#files", "type": "relativeRef",
                                                 "serviceEndpoint": f"http://{server.authority}"}
    first_id = log.entries[0]["versionId"]
    for query in (f"versionId={first_id}", "versionNumber=1", f"versionTime={log.entries[0]['versionTime']}"):
        earlier = await resolve(resolver, f"{log.did}?{query}")
        assert earlier.error is None, earlier.resolution_metadata
        assert earlier.document_metadata["versionId"] == first_id
        assert earlier.did_document is not None
        assert earlier.did_document["verificationMethod"][0]["publicKeyMultibase"] == key(1).public_multikey
    assert server.hits["/.well-known/did.jsonl"] == 1  # the verified log is cached for its versions too


async def test_path_form(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server, "issuers", "law")
    publish(server, log, "issuers", "law")
    result = await resolve(resolver, log.did)
    assert result.error is None, result.resolution_metadata
    method = await resolver.dereference(f"{log.did}#{key(3).public_multikey}")
    assert method["publicKeyMultibase"] == key(3).public_multikey


async def test_missing_log_and_missing_version(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server)
    assert_error(await resolve(resolver, log.did), "notFound")
    publish(server, log)
    assert_error(await resolve(resolver, f"{log.did}?versionNumber=9"), "notFound", "versionNotFound")
    assert_error(await resolve(resolver, f"{log.did}?versionTime=yesterday"), "invalidDidUrl")
    assert_error(await resolve(resolver, f"{log.did}?service=files"), "invalidDidUrl")


async def test_a_tampered_log_is_invalid_and_not_cached(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server)
    good = log.jsonl()
    log.entries[1]["state"]["alsoKnownAs"] = ["did:web:attacker.example"]
    publish(server, log)
    assert_error(await resolve(resolver, log.did), "invalidDid", "entryHashMismatch: entry 2")
    serve_bytes(server, "/.well-known/did.jsonl", good)  # the controller repairs it
    assert (await resolve(resolver, log.did)).error is None


async def test_a_log_of_another_did_is_rejected(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server)
    publish(server, log)
    impostor = log.did.replace(log.did.split(":")[2], "QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p")
    assert_error(await resolve(resolver, impostor), "invalidDid", "scidMismatch")


async def test_witness_proofs_are_fetched_and_counted(server: DidServer, resolver: Resolver) -> None:
    rule = {"threshold": 1, "witnesses": [{"id": witness_did(key(10))}]}
    log = rotated(server, parameters={"witness": rule})
    publish(server, log)
    assert_error(await resolve(resolver, log.did), "invalidDid", "witnessThresholdNotMet")
    proof = witness_proof(log.entries[2]["versionId"], key(10), recent(0))
    serve_bytes(server, "/.well-known/did-witness.json", orjson.dumps([proof]), "application/json")
    result = await resolve(resolver, log.did)
    assert result.error is None, result.resolution_metadata
    assert result.document_metadata["witness"] == {"threshold": "1", "witnesses": [{"id": witness_did(key(10))}]}
    assert server.hits["/.well-known/did-witness.json"] == 2


async def test_ttl_and_cache_control_bound_caching(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server, parameters={"ttl": 0})
    publish(server, log)
    await resolve(resolver, log.did)
    await resolve(resolver, log.did)
    assert server.hits["/.well-known/did.jsonl"] == 2
    other = rotated(server, "cached")
    publish(server, other, "cached", headers={"Cache-Control": "no-store"})
    await resolve(resolver, other.did)
    await resolve(resolver, other.did)
    assert server.hits["/cached/did.jsonl"] == 2


async def test_a_deactivated_did_has_no_document(server: DidServer, resolver: Resolver) -> None:
    log = rotated(server)
    log.update(key(3), {"deactivated": True, "updateKeys": []}, document_key=key(3), version_time=recent(0))
    publish(server, log)
    result = await resolve(resolver, log.did)
    assert result.error is None and result.did_document is None
    assert result.document_metadata["deactivated"] is True
    earlier = await resolve(resolver, f"{log.did}?versionNumber=3")
    assert earlier.did_document is not None and earlier.document_metadata["deactivated"] is True


async def test_ip_hosts_need_allow_http_hosts(server: DidServer) -> None:
    log = rotated(server)
    publish(server, log)
    strict = SafeFetcher(timeout=1.0)
    try:
        result = await Resolver([WebvhDriver(DriverContext(fetcher=strict))]).resolve(log.did)
    finally:
        await strict.close()
    assert_error(result, "invalidDid", "IP address")
    assert server.hits["/.well-known/did.jsonl"] == 0
