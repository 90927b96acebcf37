"""What a job is to the code that runs it: its settings, what a job kind's handler returns, and how a job is
shown (pure: no I/O)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from typing import Any

import orjson

from vcnode.config import Config
from vcnode.errors import VcnodeError
from vcnode.jobs.records import JobRecord

#: The states of a job, in order; ``done`` and ``failed`` are final.
STATES = ("queued", "running", "done", "failed")
FINAL = frozenset({"done", "failed"})


@dataclass(frozen=True)
class JobSettings:
    """The ``job_*`` settings (docs/configuration.md): each field is ``Config.job_<field>``, default included."""

    lease: float = Config.job_lease
    max_attempts: int = Config.job_max_attempts
    poll_interval: float = Config.job_poll_interval
    max_active: int = Config.job_max_active
    result_max_bytes: int = Config.job_result_max_bytes
    retention: float = Config.job_retention
    batch_chunk: int = Config.job_batch_chunk
    #: Seconds a batch waits after each chunk (leaves the store and the process to other work).
    chunk_pause: float = Config.job_chunk_pause

    @classmethod
    def from_config(cls, config: Any) -> JobSettings:
        """The settings of a node's :class:`~vcnode.config.Config`."""
        return cls(**{item.name: getattr(config, "job_" + item.name) for item in fields(cls)})


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job did (``summary``, JSON-able) and its downloadable result, if any."""

    summary: dict[str, Any] = field(default_factory=dict)
    result: bytes | None = None


class TooManyJobs(VcnodeError):
    """The token already has ``job_max_active`` jobs queued or running."""

    code = "tooManyJobs"
    status = 429
    title = "Too many jobs"


class ResultTooLarge(VcnodeError):
    """A job's result is larger than ``job_result_max_bytes``."""

    code = "resultTooLarge"
    status = 413
    title = "Result too large"


def new_job_id() -> str:
    """A new job id: random and unguessable (a job's page is still shown only to tokens that may see it)."""
    return "job_" + secrets.token_hex(16)


def error_json(code: str, detail: str) -> str:
    """A failed job's ``error`` (JSON text)."""
    return orjson.dumps({"code": code, "detail": detail[:2000]}).decode()


def job_view(job: JobRecord) -> dict[str, Any]:
    """A job as the progress route answers it: state, counts, percentage, error and summary."""
    percent = 100 if job.state == "done" else (min(100, job.done * 100 // job.total) if job.total else 0)
    view: dict[str, Any] = {"id": job.id, "kind": job.kind, "state": job.state, "done": job.done,
                            "total": job.total, "percent": percent, "final": job.state in FINAL,
                            "hasResult": job.result_size > 0, "created": job.created, "updated": job.updated}
    if job.error:
        view["error"] = orjson.loads(job.error)
    if job.summary:
        view["summary"] = orjson.loads(job.summary)
    return view
