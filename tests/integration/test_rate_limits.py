"""Per-client rate limits on the public routes (issue 12 item 13), driven as clients would: a real node where
127.0.0.1 is not exempt answers 429 problem+json with ``Retry-After`` once a client's bucket is empty, per
limit (verify, resolve, exchanges), lets the operator's token through, counts clients behind a trusted proxy by
their forwarded address, and serves again after the time it said. In-process (the HTTP app on 127.0.0.1): the
defaults exempt loopback, and without ``trusted_proxies`` a forged ``X-Forwarded-For`` changes nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.ops_node import Answer, OpsNode
from vcnode.config import load_config
from vcnode.node import Node, initialise
from vcnode.serve.app import SERVER_LIMITS, build_app

KEY_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
RESOLVE = "/1.0/identifiers/" + KEY_DID
STRICT = {"VCNODE_RATE_LIMIT_EXEMPT": "", "VCNODE_TRUSTED_PROXIES": "127.0.0.1",
          "VCNODE_RATE_LIMIT_RESOLVE": "0.5", "VCNODE_RATE_LIMIT_RESOLVE_BURST": "2",
          "VCNODE_RATE_LIMIT_VERIFY": "0.5", "VCNODE_RATE_LIMIT_VERIFY_BURST": "2",
          "VCNODE_RATE_LIMIT_EXCHANGES": "0.5", "VCNODE_RATE_LIMIT_EXCHANGES_BURST": "1",
          "VCNODE_LOG_LEVEL": "WARNING"}


@pytest.fixture
def strict_node(tmp_path: Path) -> Iterator[OpsNode]:
    node = OpsNode(tmp_path, STRICT)
    node.start()
    try:
        yield node
    finally:
        node.kill()


def assert_limited(answer: Answer, limit: str, retry_after: int) -> None:
    assert answer.status == 429, answer.body[:300]
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["Retry-After"] == str(retry_after)
    body = answer.json()
    assert (body["code"], body["status"], body["limit"], body["retryAfter"]) == ("rateLimited", 429, limit,
                                                                                  retry_after)
    assert body["requestId"] == answer.headers["X-Request-Id"]


def test_a_client_over_its_limit_gets_429_with_retry_after(strict_node: OpsNode) -> None:
    node = strict_node
    assert [node.call("GET", RESOLVE).status for _ in range(2)] == [200, 200]  # the burst
    assert_limited(node.call("GET", RESOLVE), "resolve", 2)  # 1 request at 0.5/s: 2 s
    assert_limited(node.call("GET", RESOLVE), "resolve", 2)  # refused requests take nothing from the bucket
    assert all(node.call("GET", "/health").status == 200 for _ in range(5))  # not a limited route

    # Each limit has its own bucket: verifying is still allowed, then limited on its own.
    body = {"verifiableCredential": {"@context": ["https://www.w3.org/ns/credentials/v2"]}}
    assert [node.call("POST", "/credentials/verify", body).status for _ in range(2)] == [400, 400]
    assert_limited(node.call("POST", "/presentations/verify", {"verifiablePresentation": {}}), "verify", 2)
    assert node.call("POST", "/challenges").status == 201
    assert_limited(node.call("POST", "/challenges"), "exchanges", 2)
    assert_limited(node.call("POST", "/pathways/evaluate", {"verifiablePresentation": {}}), "exchanges", 2)

    # The operator's own clients (any valid token of the node) are not limited; a made-up token is.
    token = node.token("read")
    assert node.call("GET", RESOLVE, headers={"Authorization": f"Bearer {token}"}).status == 200
    assert node.call("GET", RESOLVE, headers={"Authorization": "Bearer vcn_" + "A" * 43}).status == 429

    time.sleep(2.05)  # what Retry-After said
    assert node.call("GET", RESOLVE).status == 200
    assert node.call("GET", RESOLVE).status == 429


def test_clients_behind_a_trusted_proxy_are_told_apart(strict_node: OpsNode) -> None:
    node = strict_node

    def resolve(forwarded: str) -> Any:
        return node.call("GET", RESOLVE, headers={"X-Forwarded-For": forwarded})

    assert [resolve("203.0.113.9").status for _ in range(3)] == [200, 200, 429]
    assert node.call("GET", RESOLVE).status == 200  # the proxy's own address has its own bucket
    # The proxy appends the address it saw; what the client wrote before it (left) does not choose its bucket.
    assert [resolve(f"10.0.0.{n}, 198.51.100.4").status for n in range(3)] == [200, 200, 429]
    # IPv6 clients are counted by their /64.
    assert [resolve(f"2001:db8:1:2::{n}").status for n in range(1, 4)] == [200, 200, 429]
    assert resolve("2001:db8:1:3::1").status == 200


async def _app_client(tmp_path: Path, env: dict[str, str], **overrides: Any) -> AsyncIterator[TestClient]:
    config = load_config(tmp_path / "node", environ=env, overrides={
        "rate_limit_resolve": 0.5, "rate_limit_resolve_burst": 2, **overrides})
    node: Node = await initialise(config, did_method="key", environ=env)
    server = TestServer(build_app(node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    try:
        async with TestClient(server) as client:
            yield client
    finally:
        await node.close()


@pytest.fixture
async def default_client(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[TestClient]:
    async for client in _app_client(tmp_path, node_env):
        yield client


@pytest.fixture
async def no_proxy_client(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[TestClient]:
    async for client in _app_client(tmp_path, node_env, rate_limit_exempt=[]):
        yield client


async def test_loopback_is_exempt_by_default(default_client: TestClient) -> None:
    statuses = [(await default_client.get(RESOLVE)).status for _ in range(10)]
    assert statuses == [200] * 10


async def test_forwarded_for_is_ignored_without_trusted_proxies(no_proxy_client: TestClient) -> None:
    statuses = [(await no_proxy_client.get(RESOLVE, headers={"X-Forwarded-For": f"203.0.113.{n}"})).status
                for n in range(4)]
    assert statuses == [200, 200, 429, 429]
