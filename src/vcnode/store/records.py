"""Plain records exchanged with the store. No SQL, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API bearer token (only its hash is stored)."""

    id: str
    token_hash: str
    scopes: tuple[str, ...]
    identity: str | None
    created: str
    revoked: str | None = None


@dataclass(frozen=True, slots=True)
class ExchangeRecord:
    """One run of a workflow (see :mod:`vcnode.exchanges`). Times are Unix seconds; ``variables``,
    ``result`` and ``last_error`` are JSON text."""

    id: str
    workflow: str
    state: str
    sequence: int
    created: float
    expires: float
    challenge: str
    domain: str
    owner: str | None
    variables: str
    request_hash: str
    attempts: int = 0
    last_error: str | None = None
    holder: str | None = None
    result: str | None = None
    completed: float | None = None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A background job (see :mod:`vcnode.jobs`). Times are Unix seconds; ``input``, ``error`` and ``summary``
    are JSON text; the result itself is read with :meth:`vcnode.store.base.Store.job_result` (``result_size``
    bytes, 0 when there is none)."""

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
