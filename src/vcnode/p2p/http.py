"""Gossip over HTTP: each message is a POST of signed JSON to the peer's ``/p2p/v1/message``."""

from __future__ import annotations

from typing import Any

import orjson

from vcnode import metrics
from vcnode.errors import FetchError
from vcnode.net.fetch import SafeFetcher
from vcnode.p2p.gossip import PeerUnavailable

MESSAGE_PATH = "/p2p/v1/message"


class HttpTransport:
    """A :class:`vcnode.p2p.gossip.Transport` over the node's guarded HTTP client."""

    def __init__(self, fetcher: SafeFetcher) -> None:
        self._fetcher = fetcher

    async def request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        """POST ``message`` to the peer at ``url`` (its base URL); its JSON answer."""
        try:
            answer = await self._request(url, message)
        except PeerUnavailable:
            metrics.gossip_message("out", message.get("type"), "unreachable")
            raise
        metrics.gossip_message("out", message.get("type"), "ok")
        return answer

    async def _request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._fetcher.post_json(url.rstrip("/") + MESSAGE_PATH, orjson.dumps(message))
        except FetchError as exc:
            raise PeerUnavailable(exc.detail) from None
        if response.status != 200:
            raise PeerUnavailable(f"{url[:120]} answered HTTP {response.status}")
        try:
            answer = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise PeerUnavailable(f"{url[:120]} answered with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise PeerUnavailable(f"{url[:120]} answered with a JSON value that is not an object")
        return answer
