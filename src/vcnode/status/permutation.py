"""Which position of a status list the ``n``-th allocation gets: a secret keyed permutation of ``[0, length)``.

Allocating positions in order (0, 1, 2, …) would make a position say when a credential was issued, and
credentials issued together neighbours; drawing them at random needs a look at what is taken, which grows with
the list. A keyed pseudorandom permutation gives both: allocation ``n`` gets ``permute(n)``, which is
unpredictable without the list's key, and distinct for distinct ``n`` by construction, so a per-list counter
is all the state allocation needs.

The permutation is a balanced Feistel network over ``2 ** (2 * half)`` values (the smallest even power of two
that covers the list), restricted to ``[0, length)`` by cycle walking: a value that falls outside is permuted
again until it lands inside. The domain is at most four times the list, so a position costs fewer than four
passes on average. Each round function is a table of ``2 ** half`` pseudorandom values drawn from SHAKE256 of
the key and the round number (a keyed extendable-output function is a pseudorandom function): a list of 16M
entries has halves of 12 bits, so the eight tables take 64 KiB, computed in one call each, and a round is a
table look-up.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from functools import lru_cache

KEY_BYTES = 16
ROUNDS = 8  # 4 make a strong pseudorandom permutation (Luby-Rackoff); the halves are short, so double that
MAX_LENGTH = 1 << 32  # halves of up to 16 bits: tables of 16-bit values


class IndexPermutation:
    """A permutation of ``[0, length)`` chosen by ``key`` (:data:`KEY_BYTES` secret random bytes)."""

    __slots__ = ("_half", "_length", "_mask", "_tables")

    def __init__(self, key: bytes, length: int) -> None:
        if not 1 <= length <= MAX_LENGTH:
            raise ValueError(f"a permutation has 1 to {MAX_LENGTH} values, not {length}")
        if len(key) != KEY_BYTES:
            raise ValueError(f"a permutation key has {KEY_BYTES} bytes")
        self._length = length
        self._half = max(1, ((length - 1).bit_length() + 1) // 2)
        self._mask = (1 << self._half) - 1
        self._tables = _round_tables(key, self._half)

    @property
    def length(self) -> int:
        """How many values are permuted."""
        return self._length

    def _feistel(self, value: int) -> int:
        half, mask = self._half, self._mask
        left, right = value >> half, value & mask
        for table in self._tables:
            left, right = right, left ^ (table[right] & mask)
        return (left << half) | right

    def __call__(self, value: int) -> int:
        """The position of ``value`` (``0 <= value < length``)."""
        if not 0 <= value < self._length:
            raise ValueError(f"{value} is outside [0, {self._length})")
        value = self._feistel(value)
        while value >= self._length:  # cycle walking: stays a permutation of [0, length)
            value = self._feistel(value)
        return value


@lru_cache(maxsize=64)
def _round_tables(key: bytes, half: int) -> tuple[array, ...]:
    """The round functions of one key: SHAKE256(key ‖ "vcnode status index" ‖ round) as little-endian 16-bit
    values."""
    tables = []
    for number in range(ROUNDS):
        stream = hashlib.shake_256(key + b"vcnode status index" + bytes([number])).digest(2 << half)
        table = array("H")
        table.frombytes(stream)
        if sys.byteorder == "big":  # the same permutation on every machine: a store can move between them
            table.byteswap()
        tables.append(table)
    return tuple(tables)
