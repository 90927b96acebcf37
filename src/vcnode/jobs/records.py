"""A background job as the store keeps it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A background job (see :mod:`vcnode.jobs`). Times are Unix seconds; ``input``, ``error`` and ``summary``
    are JSON text; the result itself is read with :meth:`vcnode.jobs.repository.JobRepository.job_result`
    (``result_size`` bytes, 0 when there is none)."""

    id: str
    kind: str
    owner: str
    identity: str
    state: str
    input: str
    total: int = 0
    done: int = 0
    error: str | None = None
    summary: str | None = None
    result_size: int = 0
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: float = 0.0
    created: float = 0.0
    updated: float = 0.0
