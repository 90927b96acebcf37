"""The port the change feed reads: an append-only, numbered log of change events kept by the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vcnode.feed.events import ChangeEvent


@dataclass(frozen=True, slots=True)
class Change:
    """One stored event: its sequence number, the event (None for a kind this version does not know, written
    by a newer vcnode sharing the store) and the connection (``origin``) whose transaction wrote it."""

    seq: int
    event: ChangeEvent | None
    origin: str


class ChangeLog(Protocol):
    """The store's log of change events. Sequence numbers grow; old events are pruned, and the highest
    pruned number is kept (the horizon), so a reader that fell behind it knows it missed events."""

    #: Written on the events this process's own connection appends (its caches already saw those changes).
    origin: str

    async def append(self, transaction: Any, events: Sequence[ChangeEvent]) -> None:
        """Append ``events`` inside ``transaction`` (the store's open write transaction): stored with the
        change they describe, or not at all."""
        ...

    async def after(self, seq: int, limit: int) -> list[Change]:
        """Up to ``limit`` events numbered above ``seq``, oldest first."""
        ...

    async def newest(self) -> int:
        """The number of the newest event (0 when none was ever written)."""
        ...

    async def horizon(self) -> int:
        """The highest number pruned (0 when none was): events up to it are gone."""
        ...
