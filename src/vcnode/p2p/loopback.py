"""An in-process network for simulations and tests: the same protocol code, no sockets.

Messages are serialised and parsed on the way (as over HTTP), so nodes never share objects; a node can be
taken offline. Used by ``scripts/bench_gossip.py`` for networks too large to run as processes.
"""

from __future__ import annotations

from typing import Any

import orjson

from vcnode.p2p.gossip import Gossip, MessageRefused, PeerUnavailable


def message_size(message: Any) -> int:
    """Bytes a message takes on the wire (its JSON)."""
    return len(orjson.dumps(message))


class LoopbackNetwork:
    """Nodes by URL; ``offline`` URLs do not answer."""

    def __init__(self) -> None:
        self.nodes: dict[str, Gossip] = {}
        self.offline: set[str] = set()

    def add(self, node: Gossip) -> None:
        self.nodes[node.url] = node

    async def request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        """Deliver ``message`` to the node at ``url`` and return its answer (a :class:`Transport`)."""
        node = self.nodes.get(url)
        if node is None or url in self.offline:
            raise PeerUnavailable(f"{url} does not answer")
        try:
            answer = await node.handle(orjson.loads(orjson.dumps(message)))
        except MessageRefused as exc:
            raise PeerUnavailable(f"{url} refused the message: {exc.code}") from None
        return orjson.loads(orjson.dumps(answer))
