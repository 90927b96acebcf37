"""Prometheus metrics of a serving node (``GET /metrics``, see :mod:`vcnode.http.metrics`).

Off until :func:`enable` is called (``vcnode serve`` does, unless ``metrics_enabled`` is false): every
recording function below then costs one global lookup, so the CLI and tests that never enable metrics pay
nothing. Enabled, a recording is a cached child lookup and a few float additions.

Multi-process mode: ``serve`` calls :func:`prepare_directory` (``<home>/metrics``, emptied at start) and
:func:`enable` with it; each process then writes its values to its own memory-mapped files there and
``/metrics`` sums the files of every process (prometheus-client's ``MultiProcessCollector``), so several
serving processes report as one node. Gauges are "most recent value of a live process".

Labels are bounded: routes are the route patterns (``/credentials/{id}``, never the path), methods outside
the standard ones are ``other``, suites outside the known ones ``other``, stores' operations their method
names.
"""

from __future__ import annotations

import inspect
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from vcnode.private_files import create_private_file, private_dir

METRICS_DIR = "metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
_GOSSIP_KINDS = frozenset(("announce", "pull", "exchange"))
_GAUGE_MODE = "livemostrecent"
# Files prometheus-client keeps per process (``<kind>_<pid>.db``) and the room each is given at once. Their
# pages are written through mmap: a page the file system has to find room for when the disk is full kills the
# process with SIGBUS. So the files are created here, 0600 and allocated in full (prometheus-client then only
# maps them), large enough that the bounded label sets never make it grow them (~250 bytes a sample).
_FILE_SIZES = {"counter": 1 << 20, "histogram": 4 << 20, f"gauge_{_GAUGE_MODE}": 1 << 16}
_STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_JOB_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _Metrics:
    """The node's metric families (created once per :func:`enable`)."""

    def __init__(self, directory: Path | None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.directory = directory
        self.registry = CollectorRegistry()
        # In multi-process mode the values live in files: the collector reads them, nothing is registered.
        registry = None if directory is not None else self.registry
        self.requests = Counter("vcnode_http_requests", "HTTP requests answered, by route pattern and status",
                                ["method", "route", "status"], registry=registry)
        self.latency = Histogram("vcnode_http_request_duration_seconds", "Time to answer an HTTP request (to the "
                                 "response head), by route pattern", ["method", "route"], registry=registry)
        self.verifications = Counter("vcnode_verifications", "Credentials and presentations verified, by result "
                                     "and the cryptosuite of their (first) proof", ["kind", "result", "suite"],
                                     registry=registry)
        self.status_fetches = Counter("vcnode_status_fetches", "Status lists wanted when verifying, by where they "
                                      "came from (cache, self, issuer, replica; none when no list could be had) "
                                      "and result", ["source", "result"], registry=registry)
        self.gossip = Counter("vcnode_gossip_messages", "Gossip messages, by direction, type and result",
                              ["direction", "type", "result"], registry=registry)
        self.peers = Gauge("vcnode_gossip_peers", "Peers in the peer table, by state (usable, banned)", ["state"],
                           registry=registry, multiprocess_mode=_GAUGE_MODE)
        self.jobs = Histogram("vcnode_background_job_duration_seconds", "Time one run of a background job took",
                              ["job"], buckets=_JOB_BUCKETS, registry=registry)
        self.job_failures = Counter("vcnode_background_job_failures", "Background job runs that raised", ["job"],
                                    registry=registry)
        self.store = Histogram("vcnode_store_operation_duration_seconds", "Time one store operation took, by "
                               "store and operation", ["store", "operation"], buckets=_STORE_BUCKETS,
                               registry=registry)
        self.request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.children: dict[tuple[Any, ...], Any] = {}

    def child(self, family: Any, *labels: str) -> Any:
        """``family.labels(*labels)``, cached (labels are bounded, so the cache is too)."""
        key = (id(family), *labels)
        found = self.children.get(key)
        if found is None:
            found = self.children[key] = family.labels(*labels)
        return found


_metrics: _Metrics | None = None
_SUITES: frozenset[str] | None = None


def prepare_directory(home: Path) -> Path:
    """``<home>/metrics`` emptied (values of an earlier run must not be added to this one's) and private; the
    serving process calls this once, before it or any worker enables metrics with it."""
    directory = home / METRICS_DIR
    if directory.exists():
        shutil.rmtree(directory)
    return private_dir(directory)


def enable(directory: Path | None = None) -> None:
    """Start recording in this process: into ``directory`` (multi-process mode, shared with the other serving
    processes of the node), or in memory when None."""
    global _metrics
    from prometheus_client import values

    if directory is not None:
        for kind, size in _FILE_SIZES.items():
            allocate(directory / f"{kind}_{os.getpid()}.db", size)
        os.environ[MULTIPROC_ENV] = str(directory)  # read by prometheus-client, and inherited by workers
        # The value class is chosen when prometheus-client is first imported; choose it now, explicitly.
        values.ValueClass = values.MultiProcessValue()
    else:
        os.environ.pop(MULTIPROC_ENV, None)
        values.ValueClass = values.MutexValue
    _metrics = _Metrics(directory)


def allocate(path: Path, size: int) -> None:
    """Create ``path`` 0600 with ``size`` bytes allocated on disk (OSError, e.g. ENOSPC, when there is no room)."""
    create_private_file(path)
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)


def disable() -> None:
    """Stop recording; this process's live gauges leave the sums (its counters stay, as they should)."""
    global _metrics
    current, _metrics = _metrics, None
    if current is not None and current.directory is not None:
        from prometheus_client import multiprocess, values

        multiprocess.mark_process_dead(os.getpid(), str(current.directory))
        close = getattr(values, "close_all_multiprocess_files", None)  # prometheus-client 0.22 and later
        if close is not None:
            close()


def enabled() -> bool:
    """Whether this process records metrics."""
    return _metrics is not None


def collector() -> Any:
    """A registry that collects every metric (summed over the node's processes in multi-process mode), for
    an exposition encoder; None when metrics are off."""
    metrics = _metrics
    if metrics is None or metrics.directory is None:
        return metrics.registry if metrics is not None else None
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics.directory))
    return registry


# --- recording -----------------------------------------------------------------------------------------


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request (``route``: the route pattern)."""
    metrics = _metrics
    if metrics is None:
        return
    key = (method, route, status)
    children = metrics.request_children.get(key)
    if children is None:
        label = method if method in _METHODS else "other"
        children = (metrics.requests.labels(label, route, str(status)), metrics.latency.labels(label, route))
        metrics.request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def suite_of(document: Any) -> str:
    """The cryptosuite (or proof type) of a document's first proof: a known suite's name, ``other`` or
    ``none``."""
    proof = document.get("proof") if isinstance(document, dict) else None
    if isinstance(proof, list):
        proof = proof[0] if proof else None
    if not isinstance(proof, dict):
        return "none"
    name = proof.get("cryptosuite") if proof.get("type") == "DataIntegrityProof" else proof.get("type")
    return name if isinstance(name, str) and name in _suites() else "other"


def _suites() -> frozenset[str]:
    global _SUITES
    if _SUITES is None:  # at first use, not import: recording needs no proof modules until then
        from vcnode.proofs import SUITES

        _SUITES = frozenset(SUITES)
    return _SUITES


def verification(kind: str, document: Any, verified: bool) -> None:
    """A verification's outcome (``kind``: credential or presentation)."""
    metrics = _metrics
    if metrics is not None:
        metrics.child(metrics.verifications, kind, "verified" if verified else "failed", suite_of(document)).inc()


def status_fetch(source: str, result: str) -> None:
    """A status list wanted: where it came from and ``ok`` or the error code."""
    metrics = _metrics
    if metrics is not None:
        metrics.child(metrics.status_fetches, source, result).inc()


def gossip_message(direction: str, kind: Any, result: str) -> None:
    """A gossip message sent (``out``) or received (``in``), with ``ok`` or why it failed."""
    metrics = _metrics
    if metrics is not None:
        label = kind if isinstance(kind, str) and kind in _GOSSIP_KINDS else "other"
        metrics.child(metrics.gossip, direction, label, result).inc()


def peers(usable: int, banned: int) -> None:
    """The peer table's size now."""
    metrics = _metrics
    if metrics is not None:
        metrics.child(metrics.peers, "usable").set(usable)
        metrics.child(metrics.peers, "banned").set(banned)


class job:
    """``with metrics.job("name"):`` times one run of a background job; a run that raises also counts as a
    failure (and still raises)."""

    __slots__ = ("_name", "_start")

    def __init__(self, name: str) -> None:
        self._name = name
        self._start = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        metrics = _metrics
        if metrics is None:
            return
        metrics.child(metrics.jobs, self._name).observe(time.perf_counter() - self._start)
        if kind is not None and not issubclass(kind, GeneratorExit):
            metrics.child(metrics.job_failures, self._name).inc()


def instrument_store(store: object, name: str) -> None:
    """Time every public coroutine method (and async context manager, e.g. a transaction) of ``store`` from
    now on, as operations of the store ``name``. The instance's attributes are replaced; its class, and so
    ``isinstance`` checks, stay as they were."""
    for attribute in dir(type(store)):
        if attribute.startswith("_"):
            continue
        declared = inspect.getattr_static(type(store), attribute)
        if inspect.iscoroutinefunction(declared):
            setattr(store, attribute, _timed(getattr(store, attribute), name, attribute))
        elif inspect.isasyncgenfunction(getattr(declared, "__wrapped__", None)):
            setattr(store, attribute, _timed_context(getattr(store, attribute), name, attribute))


def _observe_store(name: str, operation: str, seconds: float) -> None:
    metrics = _metrics
    if metrics is not None:
        metrics.child(metrics.store, name, operation).observe(seconds)


def _timed(method: Callable[..., Awaitable[Any]], name: str, operation: str) -> Callable[..., Awaitable[Any]]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            _observe_store(name, operation, time.perf_counter() - start)

    timed.__doc__ = method.__doc__
    return timed


def _timed_context(method: Callable[..., Any], name: str, operation: str) -> Callable[..., Any]:
    @asynccontextmanager
    async def timed(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        start = time.perf_counter()
        try:
            async with method(*args, **kwargs) as value:
                yield value
        finally:
            _observe_store(name, operation, time.perf_counter() - start)

    timed.__doc__ = method.__doc__
    return timed
