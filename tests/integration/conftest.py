"""Fixtures for integration tests: the node's real HTTP app on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app


@pytest.fixture
async def server() -> AsyncIterator[Any]:
    """A local server of status lists (``ListServer`` of test_status_check) for the status tests."""
    from tests.integration.test_status_check import ListServer

    lists = ListServer()
    await lists.start()
    try:
        yield lists
    finally:
        await lists.close()


@pytest.fixture
async def client(web_node: Node) -> AsyncIterator[TestClient]:
    """A client of ``web_node``'s HTTP API, served with the limits ``vcnode serve`` uses."""
    server = TestServer(build_app(web_node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    async with TestClient(server) as test_client:
        yield test_client
