"""What exchanges and challenges need of the store: exchanges as stored state machines, and single-use
challenges. Every change of state is a compare-and-set inside the store. Implemented by :mod:`vcnode.store`."""

from __future__ import annotations

from typing import Literal, Protocol

from vcnode.exchanges.records import ExchangeRecord

#: A challenge's state: open (usable), consumed (by this call), never handed out (or purged), past its expiry,
#: already used.
ChallengeState = Literal["open", "consumed", "unknown", "expired", "used"]
#: Why an exchange could (``completed``: by this call) or could not be completed: unknown id, already
#: complete, cancelled or refused (``invalid``), past its expiry.
CompletionState = Literal["completed", "unknown", "complete", "invalid", "expired"]


class ExchangeRepository(Protocol):
    """Exchanges: created once per id, started, refused, cancelled, completed (within an issuance), pruned."""

    async def add_exchanges(self, records: list[ExchangeRecord]) -> list[ExchangeRecord]:
        """Store new exchanges in one transaction and return them as stored. Ids are insert-once but creation is
        idempotent: an id already stored with the same ``request_hash`` gives back the stored exchange;
        with another, :class:`~vcnode.errors.Conflict` ``exchangeIdInUse`` and nothing is stored."""
        ...

    async def get_exchange(self, exchange_id: str) -> ExchangeRecord | None:
        """One exchange by id."""
        ...

    async def start_exchange(self, exchange_id: str, now: float) -> ExchangeRecord | None:
        """Move a pending, unexpired exchange to ``active`` (a wallet started it; the sequence goes up) and
        return the exchange as it now is (unchanged when it was not pending); None when unknown."""
        ...

    async def refuse_presentation(self, exchange_id: str, problem: str) -> None:
        """Count a refused presentation of an open exchange and keep its problem (JSON) as ``last_error``."""
        ...

    async def cancel_exchange(self, exchange_id: str, now: float) -> CompletionState:
        """Make a pending or active exchange ``invalid`` (``completed`` when this call did); otherwise why not."""
        ...

    async def prune_exchanges(self, workflow: str, expired_before: float, limit: int = 1000) -> int:
        """Delete up to ``limit`` exchanges of ``workflow`` whose expiry is before ``expired_before``; how many.
        For ``present`` exchanges: a claim's OpenID4VCI rows refer to it (foreign keys), and claims are kept."""
        ...


class ChallengeRepository(Protocol):
    """Single-use challenges of presentations, at most ``limit`` open at a time."""

    async def add_challenge(self, challenge: str, created: float, expires: float, limit: int) -> bool:
        """Store a new challenge (times in Unix seconds), first purging expired ones, in one transaction;
        False (nothing stored) when ``limit`` unexpired challenges are already held."""
        ...

    async def challenge_state(self, challenge: str, now: float) -> ChallengeState:
        """``open`` when the challenge could be consumed now, otherwise why not (nothing changes)."""
        ...

    async def consume_challenge(self, challenge: str, now: float) -> ChallengeState:
        """Mark an open, unexpired challenge used, atomically (of two concurrent calls one gets
        ``consumed``, the other ``used``); otherwise say why not."""
        ...
