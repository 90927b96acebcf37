"""The job runner of one process: claims jobs from the store, runs them, keeps their lease and progress up to
date, and finishes them. Nothing here is shared between processes except through the store.

How a job goes (every step a compare-and-set in one store transaction, see :class:`vcnode.store.base.Store`):

1. :meth:`JobRunner.run_once` claims the oldest queued job, or a running one whose lease has passed (its
   process died), for this process until ``now + lease``.
2. The job kind's handler runs. Each :meth:`JobContext.progress` call records the counts and renews the lease;
   a heartbeat renews it too while a long chunk works. When a renewal finds another process holds the job (this
   one was too slow, and its lease passed), the next progress call raises :class:`LeaseLost` and the handler
   stops; whatever it did is idempotent, and its finish would be refused anyway.
3. The job is finished ``done`` (summary and result, at most ``result_max_bytes``) or ``failed`` (the error).
   A runner stopped (SIGTERM) gives its job back to the queue, for the next process to continue at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from vcnode.errors import StorageUnavailable, VcnodeError
from vcnode.jobs.model import JobOutcome, JobSettings, error_json
from vcnode.jobs.records import JobRecord
from vcnode.jobs.repository import JobRepository

log = logging.getLogger(__name__)

#: Longest pause between claims while the disk refuses writes.
MAX_BACKOFF = 60.0


class LeaseLost(Exception):
    """Another process took the job over (this process's lease passed): stop working on it."""


class JobContext:
    """What a handler gets: the job as claimed, its input, and :meth:`progress`."""

    def __init__(self, runner: JobRunner, job: JobRecord) -> None:
        self.job = job
        self.input: Any = orjson.loads(job.input)
        self._runner = runner
        self.lost = False

    async def progress(self, done: int, total: int) -> None:
        """Record how far the job got (and renew the lease); :class:`LeaseLost` when another process holds it."""
        if self.lost or not await self._runner.renew(self.job, (done, total)):
            self.lost = True
            raise LeaseLost(self.job.id)


JobHandler = Callable[[JobContext], Awaitable[JobOutcome]]


def process_name() -> str:
    """This process's name as a lease owner: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class JobRunner:
    """Runs jobs of the kinds in ``handlers``, one at a time, for as long as :meth:`run_forever` runs."""

    def __init__(self, store: JobRepository, handlers: Mapping[str, JobHandler], settings: JobSettings, *,
                 owner: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.settings = settings
        self.owner = owner or process_name()
        self.clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for work now (a job was just queued by this process) rather than at the next poll."""
        self._wake.set()

    def start(self) -> asyncio.Task[None]:
        """Run :meth:`run_forever` as a task of the running loop."""
        self._task = asyncio.get_running_loop().create_task(self.run_forever(), name="vcnode-jobs")
        return self._task

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop; the job it was running goes back to the queue (see :meth:`_run`)."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._task, timeout)
        self._task = None

    async def run_forever(self) -> None:
        """Claim and run jobs; poll every ``poll_interval`` (or when woken) while there is none; purge old
        finished jobs now and then. A failing round is logged and the loop goes on."""
        backoff = 0.0
        last_purge = 0.0
        while True:
            ran = False
            try:
                if self.clock() - last_purge > min(3600.0, self.settings.retention):
                    last_purge = self.clock()
                    await self.store.purge_jobs(last_purge - self.settings.retention)
                ran = await self.run_once()
                backoff = 0.0
            except StorageUnavailable:
                backoff = min(max(2 * backoff, 2 * self.settings.poll_interval), MAX_BACKOFF)
            except Exception:  # one bad round must not stop the loop; the next one retries
                log.exception("running jobs failed")
                backoff = self.settings.poll_interval
            if ran:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff or self.settings.poll_interval)

    async def run_once(self) -> bool:
        """Claim one job and run it to its end; False when there was none to claim."""
        now = self.clock()
        job = await self.store.claim_job(self.owner, now, now + self.settings.lease, self.settings.max_attempts)
        if job is None:
            return False
        if job.attempts > 1:
            log.warning("taking over job %s (attempt %d): its lease had passed", job.id, job.attempts)
        await self._run(job)
        return True

    async def renew(self, job: JobRecord, progress: tuple[int, int] | None = None) -> bool:
        """Extend this process's lease of ``job`` (recording ``progress``); False when it lost the job."""
        now = self.clock()
        return await self.store.renew_job(job.id, self.owner, now, now + self.settings.lease, progress)

    async def _heartbeat(self, context: JobContext) -> None:
        """Renew the lease a few times per lease while the handler works (a chunk can outlast progress calls)."""
        while not context.lost:
            await asyncio.sleep(self.settings.lease / 3)
            try:
                if not await self.renew(context.job):
                    context.lost = True
            except Exception:  # a missed renewal is retried; the lease has room for two more
                log.warning("renewing the lease of job %s failed", context.job.id, exc_info=True)

    async def _run(self, job: JobRecord) -> None:
        context = JobContext(self, job)
        handler = self.handlers.get(job.kind)
        heartbeat = asyncio.create_task(self._heartbeat(context))
        try:
            if handler is None:
                raise VcnodeError(f"this node runs no job of kind {job.kind[:60]!r}", code="unknownJobKind")
            outcome = await handler(context)
        except LeaseLost:
            log.warning("job %s was taken over by another process; this one stops", job.id)
            return
        except asyncio.CancelledError:
            # The process is stopping: give the job back at once rather than leaving it to its lease.
            with contextlib.suppress(Exception):
                await asyncio.shield(self.store.release_job(job.id, self.owner, self.clock()))
            raise
        except VcnodeError as exc:
            await self._finish(context, "failed", error=error_json(exc.code, exc.detail))
        except Exception as exc:
            log.exception("job %s failed", job.id)
            await self._finish(context, "failed", error=error_json("jobError", f"{type(exc).__name__}: {exc}"))
        else:
            if outcome.result is not None and len(outcome.result) > self.settings.result_max_bytes:
                await self._finish(context, "failed", error=error_json(
                    "resultTooLarge", f"the result is {len(outcome.result)} bytes, more than job_result_max_bytes "
                    f"({self.settings.result_max_bytes}); split the batch"))
            else:
                await self._finish(context, "done", summary=orjson.dumps(outcome.summary).decode(),
                                   result=outcome.result)
        finally:
            heartbeat.cancel()

    async def _finish(self, context: JobContext, state: str, *, summary: str | None = None,
                      error: str | None = None, result: bytes | None = None) -> None:
        if not await self.store.finish_job(context.job.id, self.owner, self.clock(), state=state, summary=summary,
                                           error=error, result=result):
            log.warning("job %s was taken over by another process before it finished here", context.job.id)
