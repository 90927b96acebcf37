"""A small LRU cache whose entries also expire."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlLruCache(Generic[V]):
    """At most ``maxsize`` entries; each expires ``ttl`` seconds after it was stored (inf: never)."""

    def __init__(self, maxsize: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._maxsize = maxsize
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        """The live value for ``key``, marking it recently used; None when absent or expired."""
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def put(self, key: str, value: V, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds, evicting the least recently used entry when full."""
        if ttl <= 0:
            return
        self._data[key] = (self._clock() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._maxsize:
            self._data.popitem(last=False)

    def discard(self, key: str) -> None:
        """Forget ``key`` if present."""
        self._data.pop(key, None)

    def discard_prefix(self, prefix: str) -> None:
        """Forget every key that starts with ``prefix``."""
        for key in [key for key in self._data if key.startswith(prefix)]:
            del self._data[key]

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
