"""Bearer-token checks under a flood of made-up tokens (issue #11 item 8): an outsider sending random tokens
must not grow the node's memory (only tokens that verified are remembered, in a bounded LRU), and checking one
stays cheap (a SHA-256 and an indexed lookup; malformed tokens not even that)."""

from __future__ import annotations

import asyncio
import gc
import secrets
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient

from vcnode.auth.tokens import TokenService, Unauthorized
from vcnode.node import Node
from vcnode.store import open_store

FLOOD = 3000


async def _flood(session: ClientSession, url: str, count: int, make_token: Callable[[], str]) -> set[int]:
    """GET ``url`` ``count`` times, 20 at once, each with a new token; the set of statuses (a set, so the
    test itself keeps nothing per request)."""
    async def one() -> int:
        async with session.get(url, headers={"Authorization": f"Bearer {make_token()}"}) as response:
            await response.read()
            return response.status

    statuses: set[int] = set()
    for start in range(0, count, 20):
        statuses.update(await asyncio.gather(*(one() for _ in range(min(20, count - start)))))
    return statuses


async def test_random_tokens_do_not_grow_the_nodes_memory(web_node: Node, client: TestClient) -> None:
    def well_formed() -> str:  # exactly what a real token looks like, so it is looked up
        return "vcn_" + secrets.token_urlsafe(32)

    url = str(client.make_url("/credentials/urn:uuid:x"))
    # A plain session, as an outsider's client: aiohttp's TestClient keeps every response it got.
    async with ClientSession() as session:
        await _flood(session, url, 500, well_formed)  # warm up the connections and caches of aiohttp itself
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            statuses = await _flood(session, url, 1000, well_formed)
            gc.collect()
            first = tracemalloc.get_traced_memory()[0]
            statuses |= await _flood(session, url, FLOOD, well_formed)
            gc.collect()
            second = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        statuses |= await _flood(session, url, 100, lambda: secrets.token_hex(200))  # malformed
    assert statuses == {401}
    # What stays per token, net of aiohttp's per-connection buffers (the same after 1,000 tokens as after
    # 4,000): the old unbounded cache kept ~230 bytes for each (67 MiB for the 256,000 of the attack).
    per_token = (second - first) / FLOOD
    assert per_token < 25, (before, first, second)
    _, real = await web_node.tokens.create(["read"])
    response = await client.get("/credentials/urn:uuid:x", headers={"Authorization": f"Bearer {real}"})
    assert response.status == 404  # a real token still works (and the credential does not exist)


async def test_the_verified_token_cache_is_bounded_and_honours_revocation(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db.sqlite3")
    try:
        service = TokenService(store, cache_size=4)
        created = [await service.create(["read"]) for _ in range(10)]
        for _, token in created:
            await service.authenticate(f"Bearer {token}", "read")
        assert service.cached == 4
        for _, token in created:  # evicted ones are looked up again, not refused
            assert (await service.authenticate(f"Bearer {token}", "read")).scopes == ("read",)
        for _ in range(500):
            with pytest.raises(Unauthorized):
                await service.authenticate(f"Bearer vcn_{secrets.token_urlsafe(32)}", "read")
        assert service.cached == 4
        record, token = created[-1]
        await service.revoke(record.id)
        with pytest.raises(Unauthorized):
            await service.authenticate(f"Bearer {token}", "read")
    finally:
        await store.close()
