"""The aiohttp application and server."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import time

from aiohttp import web

from vcnode.http import (
    did_routes,
    health_routes,
    p2p_routes,
    pathway_routes,
    status_routes,
    trust_routes,
    vcapi_routes,
)
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.middleware import problem_middleware
from vcnode.node import Node

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Request line and header limits: aiohttp's default 8 KiB line would reject a long DID with a plain-text 400
# before our handlers can answer invalidDid as problem+json; DIDs up to MAX_DID_LENGTH must get through.
SERVER_LIMITS = {"max_line_size": 16 * 1024, "max_field_size": 16 * 1024}
STORE_WATCH_SECONDS = 2.0


def build_app(node: Node) -> web.Application:
    """The node's HTTP API over an open :class:`Node`."""
    app = web.Application(middlewares=[problem_middleware], client_max_size=MAX_BODY_BYTES)
    app[NODE_KEY] = node
    health_routes.add_routes(app)
    did_routes.add_routes(app)
    vcapi_routes.add_routes(app)
    status_routes.add_routes(app)
    p2p_routes.add_routes(app)
    trust_routes.add_routes(app)
    pathway_routes.add_routes(app)
    return app


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context from PEM files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(node: Node, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None,
                ready: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully."""
    await node.trust.ready()  # verify the trust statements held once, before the first request needs them
    runner = web.AppRunner(build_app(node), access_log=None, handle_signals=False, **SERVER_LIMITS)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=1024, reuse_address=True)
    await site.start()
    scheme = "https" if ssl_context else "http"
    log.info("vcnode serving %s on %s://%s:%d", node.identities.default_did, scheme, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(watch_store(node, STORE_WATCH_SECONDS))
    publisher = asyncio.create_task(publish_loop(node))
    gossiper = asyncio.create_task(gossip_loop(node))
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        watcher.cancel()
        publisher.cancel()
        gossiper.cancel()
        await runner.cleanup()


async def watch_store(node: Node, interval: float) -> None:
    """Pick up identities and keys that `vcnode keys rotate` / `identity create` changed while serving."""
    while True:
        await asyncio.sleep(interval)
        try:
            await node.refresh_if_changed()
        except Exception:  # a transient store error must not stop the server; the next tick retries
            log.exception("checking the store for changes failed")


async def publish_loop(node: Node) -> None:
    """Re-sign (and so anchor and announce) changed status lists. Its own task: however long a gossip round
    takes, the node's own lists are signed on time."""
    while True:
        await asyncio.sleep(node.config.gossip_interval)
        try:
            await node.status.publish_changed()
        except Exception:  # one failed round must not stop publishing; the next one retries
            log.exception("publishing changed status lists failed")


async def gossip_loop(node: Node) -> None:
    """Spread new heads, pull announced ones, and now and then exchange state with a random peer and sign
    witness statements for the logs held."""
    last_exchange = 0.0
    while True:
        await asyncio.sleep(node.config.gossip_interval)
        try:
            if node.gossip is None:
                continue
            if node.gossip.has_work():
                await node.gossip.step()
            if time.monotonic() - last_exchange >= node.config.anti_entropy_interval:
                last_exchange = time.monotonic()
                await node.gossip.witness_all()
                await node.gossip.anti_entropy()
                await node.save_peers()
        except Exception:  # one bad round must not stop gossip; the next one retries
            log.exception("gossip round failed")
