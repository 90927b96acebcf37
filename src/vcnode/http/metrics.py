"""``GET /metrics``: the node's Prometheus metrics (:mod:`vcnode.metrics`), summed over its processes.

Registered only with ``metrics_enabled`` (the default). Secure by default: a client needs a bearer token with
the ``metrics`` scope (or ``admin``), unless its address is in ``metrics_networks`` (empty by default), so a
node facing the internet does not show its traffic to anyone who asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from vcnode import metrics
from vcnode.errors import VcnodeError
from vcnode.http.access import client_address
from vcnode.http.clients import networks, parse_address, within
from vcnode.http.health_routes import NODE_KEY

METRICS_PATH = "/metrics"
SCOPE = "metrics"


async def get_metrics(request: web.Request) -> web.Response:
    """The text exposition format (OpenMetrics when the scraper asks for it)."""
    from prometheus_client.exposition import choose_encoder

    node = request.app[NODE_KEY]
    if not metrics.enabled():
        raise VcnodeError("this node records no metrics: its metrics directory could not be written (see the "
                          "log)", code="metricsUnavailable", status=503)
    if not within(parse_address(client_address(request)), networks(node.config.metrics_networks)):
        await node.tokens.authenticate(request.headers.get("Authorization"), SCOPE)
    if node.gossip is not None:
        usable = len(node.gossip.peers.usable())
        metrics.peers(usable, len(node.gossip.peers.peers) - usable)
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = await asyncio.to_thread(_render, encode)  # reads every process's files: off the event loop
    return web.Response(body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def _render(encode: Callable[[Any], bytes]) -> bytes:
    registry = metrics.collector()
    return encode(registry) if registry is not None else b""


def add_routes(app: web.Application) -> None:
    """Register ``/metrics`` when the node's configuration enables it."""
    if app[NODE_KEY].config.metrics_enabled:
        app.router.add_get(METRICS_PATH, get_metrics)
