"""Old ``present`` exchanges (and the presentations they kept) are deleted by the background work; claims stay."""

from __future__ import annotations

import time

from vcnode.background.loops import prune_exchanges
from vcnode.exchanges.records import ExchangeRecord
from vcnode.node import Node


def exchange(exchange_id: str, workflow: str, expires: float) -> ExchangeRecord:
    return ExchangeRecord(id=exchange_id, workflow=workflow, state="complete", sequence=1, created=expires - 600,
                          expires=expires, challenge="c-" + exchange_id, domain="https://node.example",
                          owner=None, variables="{}", request_hash="h-" + exchange_id,
                          result='{"presentation": {"holder": "did:example:learner"}}', completed=expires - 300)


async def test_present_exchanges_past_their_retention_are_deleted(web_node: Node) -> None:
    now = time.time()
    retention = web_node.config.exchange_present_retention
    old = [exchange(f"old-{i}", "present", now - retention - 60 - i) for i in range(1005)]  # more than one batch
    recent = exchange("recent", "present", now - retention + 3600)
    claim = exchange("old-claim", "claim", now - retention - 3600)
    await web_node.store.add_exchanges([*old, recent, claim])
    assert await prune_exchanges(web_node, now) == 1005
    assert await web_node.store.get_exchange("old-0") is None and await web_node.store.get_exchange("old-1004") is None
    assert await web_node.store.get_exchange("recent") is not None  # within its retention
    assert await web_node.store.get_exchange("old-claim") is not None  # claims are never pruned
    assert await prune_exchanges(web_node, now) == 0
