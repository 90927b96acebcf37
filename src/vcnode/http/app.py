"""The aiohttp application and server."""

from __future__ import annotations

import asyncio
import gc
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
from vcnode.http.body import BODY_TIMEOUT_KEY
from vcnode.http.connections import ConnectionGuard, ConnectionLimits, connection_cap, listen, raise_open_file_limit
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.middleware import problem_middleware
from vcnode.node import Node, offload_settings
from vcnode.proofs import offload
from vcnode.store.health import StorageUnavailable

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Request line and header limits: aiohttp's default 8 KiB line would reject a long DID with a plain-text 400
# before our handlers can answer invalidDid as problem+json; DIDs up to MAX_DID_LENGTH must get through.
SERVER_LIMITS = {"max_line_size": 16 * 1024, "max_field_size": 16 * 1024}
STORE_WATCH_SECONDS = 2.0
#: Longest pause between gossip rounds while the disk refuses writes.
MAX_STORAGE_BACKOFF = 60.0


def build_app(node: Node, connections: ConnectionGuard | None = None) -> web.Application:
    """The node's HTTP API over an open :class:`Node`; ``connections`` (as :func:`serve` makes it) learns
    when each request starts and ends."""
    middlewares = [problem_middleware] if connections is None else [connections.middleware, problem_middleware]
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app[NODE_KEY] = node
    app[BODY_TIMEOUT_KEY] = node.config.http_body_timeout
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
    """Serve until SIGINT/SIGTERM, then shut down gracefully.

    Connections go through a :class:`ConnectionGuard` (request-head deadline, connection cap), so the listener
    is made by :func:`listen` rather than by an aiohttp site."""
    config = node.config
    await node.trust.ready()  # verify the trust statements held once, before the first request needs them
    # What exists now (modules, pinned contexts, the node's state) lives as long as the process: kept out of
    # the collector's full passes, which otherwise stop the loop ~20 ms every few seconds under load.
    gc.collect()
    gc.freeze()
    cap = connection_cap(config.http_max_connections, raise_open_file_limit())
    guard = ConnectionGuard(ConnectionLimits(header_timeout=config.http_header_timeout, max_connections=cap))
    runner = web.AppRunner(build_app(node, guard), access_log=None, handle_signals=False,
                           keepalive_timeout=config.http_keepalive_timeout, **SERVER_LIMITS)
    await runner.setup()
    try:
        listener = await listen(guard, runner, host, port, ssl_context=ssl_context)
    except BaseException:
        await runner.cleanup()
        raise
    offload.install(offload_settings(config))  # large documents' proofs are checked off the loop
    scheme = "https" if ssl_context else "http"
    log.info("vcnode serving %s on %s://%s:%d", node.identities.default_did, scheme, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(watch_store(node, STORE_WATCH_SECONDS))
    gossiper = asyncio.create_task(gossip_loop(node))
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        watcher.cancel()
        gossiper.cancel()
        listener.close()  # stop accepting; runner.cleanup() then finishes and closes open connections
        await runner.cleanup()
        offload.uninstall()


async def watch_store(node: Node, interval: float) -> None:
    """Pick up identities and keys that `vcnode keys rotate` / `identity create` changed while serving."""
    while True:
        await asyncio.sleep(interval)
        try:
            await node.refresh_if_changed()
        except Exception:  # a transient store error must not stop the server; the next tick retries
            log.exception("checking the store for changes failed")


async def gossip_loop(node: Node) -> None:
    """Re-sign (and so anchor) changed status lists, spread new heads, and now and then exchange state with a
    random peer and sign witness statements for the logs held."""
    last_exchange = 0.0
    backoff = 0.0
    while True:
        await asyncio.sleep(backoff or node.config.gossip_interval)
        waited, backoff = backoff, 0.0
        try:
            await node.status.publish_changed()
            if node.gossip is None:
                continue
            if node.gossip.has_work():
                await node.gossip.step()
            if time.monotonic() - last_exchange >= node.config.anti_entropy_interval:
                last_exchange = time.monotonic()
                await node.gossip.witness_all()
                await node.gossip.anti_entropy()
                await node.save_peers()
        except StorageUnavailable:  # full or read-only disk: logged once by the store; retry less and less often
            backoff = min(max(2 * waited, 2 * node.config.gossip_interval), MAX_STORAGE_BACKOFF)
        except Exception:  # one bad round must not stop gossip; the next one retries
            log.exception("gossip round failed")
