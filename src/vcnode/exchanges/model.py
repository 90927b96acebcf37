"""An exchange as the rest of the node sees it: one run of a workflow, its state and what it produced.

States follow the VC API (VCALM): ``pending`` (created, no wallet yet) → ``active`` (a wallet started it) →
``complete`` (a presentation was accepted) or ``invalid`` (cancelled by its creator). ``expired`` is not
stored: an exchange that is neither complete nor invalid is expired once its time is past, whichever process
reads it. Pure: records in, JSON and errors out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from vcnode.clock import from_unix
from vcnode.errors import Conflict, NotFound, VcnodeError
from vcnode.exchanges.records import ExchangeRecord
from vcnode.exchanges.repository import CompletionState

OPEN_STATES = ("pending", "active")


def timestamp(seconds: float) -> str:
    """Unix seconds as an XML Schema dateTimeStamp in UTC (what the VC API's ``expires`` is)."""
    return from_unix(seconds)


@dataclass(frozen=True)
class Exchange:
    """A stored exchange, with its state as of ``now`` (Unix seconds)."""

    record: ExchangeRecord
    now: float

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def workflow(self) -> str:
        return self.record.workflow

    @property
    def state(self) -> str:
        """``pending``, ``active``, ``complete``, ``invalid`` or ``expired`` (open and past its time)."""
        if self.record.state in OPEN_STATES and self.now >= self.record.expires:
            return "expired"
        return self.record.state

    @property
    def variables(self) -> dict[str, Any]:
        return orjson.loads(self.record.variables)

    @property
    def result(self) -> Any:
        return orjson.loads(self.record.result) if self.record.result is not None else None

    def to_json(self) -> dict[str, Any]:
        """The VC API's exchange state (``GET /workflows/{w}/exchanges/{x}``), without URLs."""
        body: dict[str, Any] = {"id": self.id, "workflow": self.workflow, "sequence": self.record.sequence,
                                "state": self.state, "created": timestamp(self.record.created),
                                "expires": timestamp(self.record.expires), "variables": self.variables,
                                "attempts": self.record.attempts}
        if self.record.last_error is not None:
            body["lastError"] = orjson.loads(self.record.last_error)
        if self.record.holder is not None:
            body["holder"] = self.record.holder
        if self.record.result is not None:
            body["result"] = self.result
            body["completed"] = timestamp(self.record.completed or self.record.created)
        return body


class ExchangeNotFound(NotFound):
    """No such exchange in this workflow."""

    code = "exchangeNotFound"


class UnknownWorkflow(NotFound):
    """The node offers no workflow by that id."""

    code = "unknownWorkflow"


class ExchangeClosed(Conflict):
    """The exchange can no longer take a presentation (or be cancelled)."""

    code = "exchangeComplete"


class ExchangeExpired(VcnodeError):
    """The exchange's time is past."""

    code = "exchangeExpired"
    status = 410
    title = "Exchange expired"


class InvalidMessage(VcnodeError):
    """A wallet's message is not one the VC API defines."""

    code = "invalidExchangeMessage"
    status = 400
    title = "Invalid exchange message"


def closed(exchange_id: str, state: CompletionState | str) -> VcnodeError:
    """The error for an exchange that cannot go on because of ``state``."""
    if state == "unknown":
        return ExchangeNotFound(f"no exchange {exchange_id[:120]}")
    if state == "expired":
        return ExchangeExpired("this link has expired: ask the institution that sent it for a new one")
    if state == "invalid":
        return ExchangeClosed("this exchange was cancelled by the institution that created it", code="exchangeInvalid")
    return ExchangeClosed("this exchange is already complete: a claim link can be used once")
