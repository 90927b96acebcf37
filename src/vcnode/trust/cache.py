"""Trust paths already walked, kept between evaluations while they still hold."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from vcnode.trust.source import FrameworkLookup, StatementSource


class Reusable(Protocol):
    """A cached result that knows whether it still holds at another time."""

    def holds_at(self, now: datetime) -> bool: ...


W = TypeVar("W", bound=Reusable)


class RecognitionCache:
    """Trust paths already walked, kept for sources that say when they change (an integer ``version``
    attribute, as :class:`~vcnode.trust.source.InMemoryStatements` has). An entry is reused for a
    credential of the same issuer with the same level alignments, credits, field and country, under the
    same anchors and bounds, while the source's version is unchanged and no statement it depends on has
    crossed its validFrom or validUntil. Least recently used entries go first."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._walks: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lookup: tuple[int, int, FrameworkLookup] | None = None

    def lookup(self, source: StatementSource, version: int) -> FrameworkLookup:
        """A framework lookup shared while the source is unchanged."""
        if self._lookup is None or self._lookup[:2] != (id(source), version):
            self._lookup = (id(source), version, FrameworkLookup(source))
        return self._lookup[2]

    def walk(self, key: tuple[Any, ...], now: datetime, compute: Callable[[], W]) -> W:
        """The cached walk for ``key`` if it still holds at ``now``, else a new one."""
        found: W | None = self._walks.get(key)
        if found is not None and found.holds_at(now):
            self._walks.move_to_end(key)
            self.hits += 1
            return found
        self.misses += 1
        walk = compute()
        self._walks[key] = walk
        self._walks.move_to_end(key)
        while len(self._walks) > self.max_entries:
            self._walks.popitem(last=False)
        return walk
