"""An in-process network for simulations and tests: the same protocol code, no sockets.

Messages are serialised and parsed on the way (as over HTTP), so nodes never share objects; a node can be
taken offline. Each node sends through its own :meth:`LoopbackNetwork.endpoint`, so the receiver sees the
sender's URL as the connection's address (as a server sees the remote IP). Used by
``scripts/bench_gossip.py`` for networks too large to run as processes.
"""

from __future__ import annotations

from typing import Any

import orjson

from vcnode.p2p.gossip import Gossip, MessageRefused, PeerUnavailable
from vcnode.p2p.peers import PeerUrlRefused


def loop_url(url: str) -> str:
    """Peer URLs on the loopback network are ``loop://name``; anything else is refused like junk."""
    if not isinstance(url, str) or not url.startswith("loop://") or len(url) > 64:
        raise PeerUrlRefused(f"{str(url)[:80]!r} is not a loopback URL")
    return url


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

    def endpoint(self, sender: str) -> _Endpoint:
        """The transport of the node at ``sender``: its messages arrive from that address."""
        return _Endpoint(self, sender)

    async def request(self, url: str, message: dict[str, Any], address: str | None = None) -> dict[str, Any]:
        """Deliver ``message`` to the node at ``url`` and return its answer (a :class:`Transport`)."""
        node = self.nodes.get(url)
        if node is None or url in self.offline:
            raise PeerUnavailable(f"{url} does not answer")
        try:
            answer = await node.handle(orjson.loads(orjson.dumps(message)), address)
        except MessageRefused as exc:
            raise PeerUnavailable(f"{url} refused the message: {exc.code}") from None
        return orjson.loads(orjson.dumps(answer))


class _Endpoint:
    """One node's side of the loopback network (a :class:`vcnode.p2p.gossip.Transport`)."""

    def __init__(self, network: LoopbackNetwork, sender: str) -> None:
        self._network = network
        self._sender = sender

    async def request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        """Deliver ``message`` from this node's address."""
        return await self._network.request(url, message, self._sender)
