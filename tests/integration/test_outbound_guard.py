"""The outbound guard against an outsider's crafted hosts, end to end: a real node's HTTP API is asked to resolve a
did:web DID, or to verify a credential whose status list URL, names 127.0.0.1 in a disguise (NAT64, 6to4,
IPv4-translated, ISATAP, decimal/hex/octal/short IPv4). A bare TCP listener on 127.0.0.1 behind each URL proves
the node never connected; the answer names the refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from tests.integration.test_status_check import Issuer, make_node
from tests.servers import ConnectionCounter
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app

pytestmark = pytest.mark.integration

BOUND = 5.0

# How each disguise writes 127.0.0.1 as a URL host (the port is added per test).
DISGUISES = {
    "NAT64": "[64:ff9b::7f00:1]",
    "6to4": "[2002:7f00:1::]",
    "IPv4-translated": "[::ffff:0:7f00:1]",
    "ISATAP": "[2600::5efe:7f00:1]",
    "decimal": "2130706433",
    "hex": "0x7f000001",
    "octal": "0177.0.0.1",
    "short": "127.1",
}


@pytest.fixture
async def strict_node(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[Node]:
    """A node as in production: no host is exempt from the address guard."""
    node = await make_node(tmp_path / "node", node_env, allow_http_hosts=[])
    try:
        yield node
    finally:
        await node.close()


@pytest.fixture
async def api(strict_node: Node) -> AsyncIterator[TestClient]:
    server = TestServer(build_app(strict_node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    async with TestClient(server) as client:
        yield client


@pytest.fixture
async def listener() -> AsyncIterator[ConnectionCounter]:
    async with ConnectionCounter() as counter:
        yield counter


@pytest.mark.parametrize("host", DISGUISES.values(), ids=DISGUISES.keys())
async def test_did_web_on_a_disguised_loopback_host_is_refused(api: TestClient, listener: ConnectionCounter,
                                                               host: str) -> None:
    did = "did:web:" + quote(f"{host}:{listener.port}", safe="")
    url = URL(f"{api.make_url('/1.0/identifiers/')}{quote(did, safe='')}", encoded=True)  # keep %3A as sent
    response = await asyncio.wait_for(api.session.get(url), BOUND)
    body = await response.json(content_type=None)
    assert listener.connections == 0  # checked first: today's guard let the decimal forms connect
    assert response.status == 502, body
    assert "addressRefused" in str(body), body


@pytest.mark.parametrize("host", DISGUISES.values(), ids=DISGUISES.keys())
async def test_a_status_list_on_a_disguised_loopback_host_is_refused(api: TestClient, listener: ConnectionCounter,
                                                                     host: str) -> None:
    credential = Issuer().credential(f"https://{host}:{listener.port}/status/1", 7)
    response = await asyncio.wait_for(api.post("/credentials/verify", json={"verifiableCredential": credential}),
                                      BOUND)
    body = await response.json(content_type="application/problem+json")
    assert listener.connections == 0
    assert (response.status, body["code"]) == (400, "statusUnavailable"), body
    assert "non-public address" in body["detail"], body["detail"]
    assert body["results"]["proof"]["verified"] is True  # only the status check failed
