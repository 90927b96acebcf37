"""An exchange as the store keeps it."""

from __future__ import annotations

from dataclasses import dataclass


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
