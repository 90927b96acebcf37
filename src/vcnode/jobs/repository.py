"""What the job runner needs of the store: stored jobs with leases, claimed and finished by compare-and-set.
Implemented by :mod:`vcnode.store`."""

from __future__ import annotations

from typing import Protocol

from vcnode.jobs.records import JobRecord


class JobRepository(Protocol):
    """Background jobs (the desk's batches)."""

    async def add_job(self, job: JobRecord, max_active: int) -> bool:
        """Store a new queued job, in one transaction; False (nothing stored) when its owner (token) already
        has ``max_active`` jobs queued or running."""
        ...

    async def get_job(self, job_id: str) -> JobRecord | None:
        """One job by id (without its result; see :meth:`job_result`)."""
        ...

    async def list_jobs(self, identities: list[str] | None = None, limit: int = 50) -> list[JobRecord]:
        """Jobs acting for one of ``identities`` (any when None), newest first; their ``input`` is left empty
        (read one job with :meth:`get_job` for it)."""
        ...

    async def job_result(self, job_id: str) -> bytes | None:
        """A finished job's result (None when it has none)."""
        ...

    async def claim_job(self, owner: str, now: float, lease_until: float, max_attempts: int) -> JobRecord | None:
        """Take the oldest job that is queued, or running with its lease passed (its process died), for the
        process ``owner`` until ``lease_until``: a compare-and-set in one transaction, so one process gets it.
        Jobs whose lease passed after ``max_attempts`` claims are failed (``jobAbandoned``) instead. Returns the
        job as claimed, or None when there is nothing to do."""
        ...

    async def renew_job(self, job_id: str, owner: str, now: float, lease_until: float,
                        progress: tuple[int, int] | None = None) -> bool:
        """Extend ``owner``'s lease of a running job and record its progress (``(done, total)``; ``done`` never
        goes back); False when ``owner`` no longer holds it (another process took it over)."""
        ...

    async def finish_job(self, job_id: str, owner: str, now: float, *, state: str, summary: str | None = None,
                         error: str | None = None, result: bytes | None = None) -> bool:
        """End a running job held by ``owner`` as ``done`` (with its summary and result) or ``failed`` (with its
        error); False when ``owner`` no longer holds it (nothing is written)."""
        ...

    async def release_job(self, job_id: str, owner: str, now: float) -> bool:
        """Give a running job held by ``owner`` back to the queue (its process is stopping); False when
        ``owner`` no longer holds it."""
        ...

    async def purge_jobs(self, finished_before: float) -> int:
        """Delete jobs that finished (done or failed) before ``finished_before``, with their results; how many."""
        ...
