"""The aiohttp application and server: the composition root (see :mod:`vcnode.serve`)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import ssl
from pathlib import Path

from aiohttp import web

from vcnode import metrics
from vcnode.background.worker import Background
from vcnode.exchanges.service import ExchangeService
from vcnode.http import (
    did_routes,
    docs_routes,
    exchange_routes,
    health_routes,
    oid4vci_routes,
    oid4vp_routes,
    p2p_routes,
    pathway_routes,
    status_routes,
    trust_routes,
    vcapi_routes,
)
from vcnode.http import metrics as metrics_routes
from vcnode.http.access import CLIENTS_KEY, access_middleware
from vcnode.http.body import BODY_TIMEOUT_KEY
from vcnode.http.clients import ClientAddresses
from vcnode.http.connections import ConnectionGuard, ConnectionLimits, connection_cap, listen, raise_open_file_limit
from vcnode.http.exchange_routes import EXCHANGES_KEY
from vcnode.http.health_routes import BACKGROUND_KEY, NODE_KEY
from vcnode.http.middleware import problem_middleware
from vcnode.http.ratelimit import LIMITER_KEY, RateLimiter, rate_limit_middleware
from vcnode.jobs import batches as batch_jobs
from vcnode.jobs.model import JobSettings
from vcnode.jobs.runner import JobRunner
from vcnode.node import Node, offload_settings
from vcnode.oid4vp.request import link_parameters
from vcnode.proofs import offload
from vcnode.web import desk_batches, desk_common, desk_routes, desk_trust, verify_routes, wallet_routes
from vcnode.web import pages as web_pages

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Request line and header limits: aiohttp's default 8 KiB line would reject a long DID with a plain-text 400
# before our handlers can answer invalidDid as problem+json; DIDs up to MAX_DID_LENGTH must get through.
SERVER_LIMITS = {"max_line_size": 16 * 1024, "max_field_size": 16 * 1024}


def build_app(node: Node, connections: ConnectionGuard | None = None) -> web.Application:
    """The node's HTTP API over an open :class:`Node`; ``connections`` (as :func:`serve` makes it) learns
    when each request starts and ends."""
    middlewares = [access_middleware, rate_limit_middleware, problem_middleware]
    if connections is not None:
        middlewares.insert(0, connections.middleware)
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app[NODE_KEY] = node
    app[BODY_TIMEOUT_KEY] = node.config.http_body_timeout
    app[CLIENTS_KEY] = ClientAddresses(node.config.trusted_proxies)
    app[LIMITER_KEY] = RateLimiter.from_config(node.config)
    health_routes.add_routes(app)
    did_routes.add_routes(app)
    vcapi_routes.add_routes(app)
    status_routes.add_routes(app)
    p2p_routes.add_routes(app)
    trust_routes.add_routes(app)
    pathway_routes.add_routes(app)
    # the exchange service gets its OpenID4VP link builder here: exchanges may not import oid4vp, which builds on it
    app[EXCHANGES_KEY] = ExchangeService(node, oid4vp_link=link_parameters)
    exchange_routes.add_routes(app)
    oid4vci_routes.add_routes(app)
    oid4vp_routes.add_routes(app)
    docs_routes.add_routes(app)
    metrics_routes.add_routes(app)
    web_pages.add_routes(app, secure_cookies=node.config.base_url.startswith("https:"))
    verify_routes.add_routes(app)
    wallet_routes.add_routes(app)
    desk_routes.add_routes(app)
    desk_batches.add_routes(app)
    desk_trust.add_routes(app)
    return app


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context from PEM files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(node: Node, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None,
                ready: asyncio.Event | None = None, reuse_port: bool = False,
                metrics_directory: Path | None = None) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully.

    Connections go through a :class:`ConnectionGuard` (request-head deadline, connection cap), so the listener
    is made by :func:`listen` rather than by an aiohttp site. A worker of ``vcnode serve --workers`` passes
    ``reuse_port`` and the ``metrics_directory`` its parent prepared (see :mod:`vcnode.http.workers`)."""
    config = node.config
    if config.metrics_enabled:
        enable_metrics(node, metrics_directory)
    await node.trust.ready()  # verify the trust statements held once, before the first request needs them
    # What exists now (modules, pinned contexts, the node's state) lives as long as the process: kept out of
    # the collector's full passes, which otherwise stop the loop ~20 ms every few seconds under load.
    gc.collect()
    gc.freeze()
    cap = connection_cap(config.http_max_connections, raise_open_file_limit())
    guard = ConnectionGuard(ConnectionLimits(header_timeout=config.http_header_timeout, max_connections=cap))
    app = build_app(node, guard)
    # Background jobs (the desk's CSV batches) run in every serving process; see vcnode.jobs.
    job_settings = JobSettings.from_config(config)
    jobs = JobRunner(node.store, batch_jobs.handlers(node, job_settings, remember_emails=desk_common.remember_emails),
                     job_settings, clock=node.clock.time)
    app[desk_batches.JOBS_KEY] = jobs
    # The node's loops run in one elected process; see vcnode.background.
    background = Background(node, jobs=jobs)
    app[BACKGROUND_KEY] = background
    runner = web.AppRunner(app, access_log=None, handle_signals=False,
                           keepalive_timeout=config.http_keepalive_timeout, **SERVER_LIMITS)
    await runner.setup()
    try:
        listener = await listen(guard, runner, host, port, ssl_context=ssl_context, reuse_port=reuse_port)
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
    await background.open()  # a process that wins the election at once signs from its first request
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await background.stop()
        listener.close()  # stop accepting; runner.cleanup() then finishes and closes open connections
        await runner.cleanup()
        offload.uninstall()
        metrics.disable()


def enable_metrics(node: Node, directory: Path | None = None) -> None:
    """Record this process's metrics, with the node's stores timed, into ``directory`` (shared by the node's
    serving processes; by default ``<home>/metrics``, emptied of an earlier run's values first). A node whose
    disk cannot hold them (full, read-only) serves without metrics: ``/metrics`` then answers 503."""
    try:
        metrics.enable(directory or metrics.prepare_directory(node.config.home))
    except OSError as exc:
        metrics.disable()
        log.warning("metrics are off: %s", exc)
        return
    metrics.instrument_store(node.store, "store")
    metrics.instrument_store(node.anchors.store, "anchors")
