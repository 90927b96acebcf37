"""Checking the proofs of large documents in worker processes, under a deadline.

Canonicalising a document is pure-Python CPU work: a 1 MiB credential can take seconds in pyld's JSON-LD
expansion, and on the event loop that would stall every other request of the node. A thread would not do:
the GIL still hands most of the time to the worker, and pyld's caches are not thread-safe. So a document
whose JSON is at least ``min_bytes`` long, or whose blank nodes need more than ``inline_calls`` rounds of
RDFC-1.0's N-degree hashing (see :mod:`vcnode.jsonld.rdfc`), is checked in a small pool of worker processes,
and a check that runs past ``deadline`` seconds is answered with ``canonicalizationLimit`` and its worker is
killed (the pool is replaced), so no input holds a core forever. Small documents — nearly every credential —
stay on the loop, where they cost well under a millisecond, so the verification rate is unchanged.

The pool is installed for the process by the node (:func:`install`) and its worker started at the first
document that needs it (its start-up is not counted against the deadline); library users who never install
one verify everything in-process. Workers die with the node's process, also when it is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson

from vcnode.errors import VcnodeError
from vcnode.jsonld.rdfc import CanonicalizationLimit, CanonicalizationLimits, configure_limits
from vcnode.keys.public import PublicKey

_PR_SET_PDEATHSIG = 1
#: How long a new worker may take to start (import vcnode, load the contexts) before checks give up on it.
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class OffloadSettings:
    """When and how proofs are checked off the event loop (see the module docstring)."""

    min_bytes: int = 64 * 1024
    deadline: float = 5.0
    workers: int = 1
    #: N-degree calls and seconds a document may cost on the loop before it is handed to a worker.
    inline_calls: int = 256
    inline_seconds: float = 0.005
    limits: CanonicalizationLimits = field(default_factory=CanonicalizationLimits)


def _verify_in_worker(unsecured: dict[str, Any], proof: dict[str, Any],
                      public_key: PublicKey) -> tuple[bool, tuple[str, str, int] | None]:
    """Runs in a worker process: the proof's outcome, or the error it raised as (code, detail, status)."""
    from vcnode.proofs import suite_for_proof

    try:
        return suite_for_proof(proof).verify_proof(unsecured, proof, public_key), None
    except VcnodeError as exc:
        return False, (exc.code, exc.detail, exc.status)


def _start_worker(limits: CanonicalizationLimits) -> None:
    """Initializer of a worker process: the node's limits, and exit when the node's process is gone.

    A worker of a ``ProcessPoolExecutor`` never sees its queue close when the parent dies (it holds a write
    end itself), so after a SIGKILL of ``vcnode serve`` it would live on forever. On Linux the kernel kills it
    with the parent (``PR_SET_PDEATHSIG``); elsewhere a watchdog thread notices the new parent id.
    """
    configure_limits(limits)
    parent = os.getppid()
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="vcnode-parent-watch", daemon=True).start()


def _warm_up() -> None:
    """Runs in a new worker: load the pinned contexts and pyld's caches before the first real check."""
    from vcnode.jsonld import canonicalize_rdfc

    canonicalize_rdfc({"@context": ["https://www.w3.org/ns/credentials/v2",
                                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                       "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": "did:example:warm",
                       "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
                           "id": "urn:example:warm", "type": ["Achievement"], "name": "warm-up"}}})


class ProofWorkers:
    """A lazily started pool of worker processes for heavy proof checks."""

    def __init__(self, settings: OffloadSettings) -> None:
        self.settings = settings
        self._starting: asyncio.Future[tuple[ProcessPoolExecutor, Future[None]]] | None = None

    def is_heavy(self, document: dict[str, Any]) -> bool:
        """True when ``document`` is large enough to be checked off the loop."""
        received = _INPUT_BYTES.get()
        if received is not None and received < self.settings.min_bytes:
            return False  # nothing in a smaller request can be large: no need to measure
        try:
            return len(orjson.dumps(document)) >= self.settings.min_bytes
        except (orjson.JSONEncodeError, TypeError):
            return True  # e.g. integers beyond 64 bits: let a worker find out what they cost

    def _new_pool(self) -> tuple[ProcessPoolExecutor, Future[None]]:
        """A pool and its warm-up (run in a thread: starting a process takes ~15 ms the loop must not wait)."""
        # spawn, not fork: the node's process has an event loop and threads that a fork would copy.
        pool = ProcessPoolExecutor(self.settings.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.settings.limits,))
        return pool, pool.submit(_warm_up)

    async def _started(self) -> ProcessPoolExecutor:
        """The pool, its first worker started and warmed up (not counted against any check's deadline: a new
        worker's imports and contexts cost about a second)."""
        if self._starting is None:  # no await between the test and the assignment: one pool at a time
            self._starting = asyncio.ensure_future(asyncio.to_thread(self._new_pool))
        pool, ready = await asyncio.shield(self._starting)
        if not ready.done():
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(ready)), _START_TIMEOUT)
            except (TimeoutError, BrokenExecutor):
                raise CanonicalizationLimit("the node's proof workers could not be started in time") from None
        return pool

    def _current(self) -> ProcessPoolExecutor | None:
        starting = self._starting
        if starting is None or not starting.done() or starting.cancelled() or starting.exception() is not None:
            return None
        return starting.result()[0]

    def _kill(self, pool: ProcessPoolExecutor) -> None:
        """Stop ``pool`` now, killing whatever it runs (its pending checks fail and are retried)."""
        if self._current() is pool:
            self._starting = None
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def verify(self, unsecured: dict[str, Any], proof: dict[str, Any], public_key: PublicKey) -> bool:
        """Like ``Cryptosuite.verify_proof``, in a worker, within the deadline (raises its errors)."""
        loop = asyncio.get_running_loop()
        pool = await self._started()
        deadline = loop.time() + self.settings.deadline
        while True:
            try:
                future = pool.submit(_verify_in_worker, unsecured, proof, public_key)
                ok, error = await asyncio.wait_for(asyncio.wrap_future(future), max(0.0, deadline - loop.time()))
            except TimeoutError:
                if not future.cancel():  # it is running: only killing its process stops it
                    self._kill(pool)
                raise CanonicalizationLimit(f"checking the proof of this document took longer than "
                                            f"{self.settings.deadline:g} s") from None
            except (BrokenExecutor, RuntimeError):
                # Another check's deadline killed the pool while this one waited: try again on a new pool.
                if loop.time() >= deadline:
                    raise CanonicalizationLimit("the proof could not be checked in time") from None
                pool = await self._started()
                continue
            if error is not None:
                code, detail, status = error
                raise VcnodeError(detail, code=code, status=status)
            return ok

    def close(self) -> None:
        """Stop the worker processes (also those of a pool still being started)."""
        starting, self._starting = self._starting, None
        if starting is None:
            return
        if starting.done():
            if not starting.cancelled() and starting.exception() is None:
                self._kill(starting.result()[0])
        else:
            starting.add_done_callback(lambda done: None if done.cancelled() or done.exception() is not None
                                       else self._kill(done.result()[0]))


_INPUT_BYTES: ContextVar[int | None] = ContextVar("offload_input_bytes", default=None)


def note_input_size(size: int) -> None:
    """The request being handled (this task and those it starts) was ``size`` bytes of JSON: a document in it
    is at most that large, so smaller requests skip measuring their documents."""
    _INPUT_BYTES.set(size)


class _Installed:
    workers: ProofWorkers | None = None


def install(settings: OffloadSettings) -> ProofWorkers:
    """Check heavy documents' proofs in worker processes from now on (the node does this at start-up)."""
    uninstall()
    configure_limits(settings.limits)
    _Installed.workers = ProofWorkers(settings)
    return _Installed.workers


def uninstall() -> None:
    """Stop the workers; every proof is checked in-process again."""
    if _Installed.workers is not None:
        _Installed.workers.close()
        _Installed.workers = None


def installed() -> ProofWorkers | None:
    """The installed workers, if any."""
    return _Installed.workers
