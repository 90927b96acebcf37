"""How long, and how far, a replica of a status list may vouch for a credential's status.

A replica is a copy of an issuer's list that peers gossiped and this node verified against the issuer's
anchor log. It shows the list as it was when that version was anchored, not as it is now: a revocation made
since, while this node was cut off from its peers, is not in it. So a replica vouches only while

- it is younger than ``max_age``, counted from the ``time`` of the anchor entry that published it. That time is
  signed by the issuer inside its log (and chained by the entries after it), so neither a peer nor whoever
  serves the list can make a replica look newer; the list's own ``validFrom`` is not used, because a
  re-anchored old document would keep it;
- the node does not know it to be behind: no peer announced a head of the issuer's log beyond the entries
  this node holds (see ``AnchorStore.announced``).

Otherwise the status check fails with ``statusStale``, or warns when the node is configured to fail open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcnode.clock import parse_datetime

DEFAULT_MAX_AGE = 3 * 86_400.0
#: An anchoring time further in the future than this is not believed (clocks differ by less).
CLOCK_SKEW = 300.0

#: How far the node knows a log to be behind: ``{heldSeq, announcedSeq, announcedAt}``, or None.
LogLag = Callable[[str], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Staleness:
    """Why a replica may no longer vouch, and the figures that show it (added to the report's ``anchor``)."""

    reason: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class ReplicaBounds:
    """What a replica may vouch for: its greatest age (seconds), whether a stale one only warns, and how to
    learn whether a log is known to be behind."""

    max_age: float = DEFAULT_MAX_AGE
    fail_open: bool = False
    lag: LogLag | None = None

    def remaining(self, provenance: dict[str, Any], now: datetime) -> float:
        """Seconds a replica with this provenance may still vouch for by its age alone (0 when it may not)."""
        age = _age(provenance, now)
        if age is None or age < -CLOCK_SKEW:
            return 0.0
        return max(0.0, self.max_age - max(age, 0.0))

    async def staleness(self, provenance: dict[str, Any], now: datetime) -> Staleness | None:
        """Why a replica with this provenance (``anchoredAt``, ``log``) may no longer vouch; None if it may."""
        age = _age(provenance, now)
        detail: dict[str, Any] = {"maxAgeSeconds": self.max_age}
        if age is None:
            return Staleness("the time it was anchored is unknown", detail)
        if age < -CLOCK_SKEW:
            return Staleness(f"it claims to be anchored in the future ({str(provenance.get('anchoredAt'))[:40]})",
                             detail)
        if age > self.max_age:
            return Staleness(f"it was anchored {int(age)} s ago, and a replica vouches for at most "
                             f"{self.max_age:g} s", detail)
        log = provenance.get("log")
        lag = await self.lag(log) if self.lag is not None and isinstance(log, str) else None
        if lag:
            return Staleness(f"a peer announced entry {lag['announcedSeq']} of the issuer's anchor log, and this "
                             f"node holds it only up to entry {lag['heldSeq']}", {**detail, **lag})
        return None


def _age(provenance: dict[str, Any], now: datetime) -> float | None:
    anchored = parse_datetime(provenance.get("anchoredAt"))
    return None if anchored is None else (now - anchored).total_seconds()
