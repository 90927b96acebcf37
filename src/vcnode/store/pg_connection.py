"""asyncpg behind the small connection API the store's SQL is written against (:class:`vcnode.store.sql.
Connection`, aiosqlite's): ``?`` placeholders numbered ``$1 … $n``, rows as tuples, ``rowcount`` from the
command tag, ``execute`` awaited or entered as a context manager."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

# A single-quoted literal (kept as it is) or a placeholder, ``?`` or numbered ``?N``.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\?(\d*)")
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)
_ROWCOUNT = re.compile(r"(\d+)$")


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders (outside string literals) numbered for PostgreSQL; ``?N`` becomes
    ``$N``."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if not match.group(0).startswith("?"):
            return match.group(0)
        if match.group(1):
            return f"${match.group(1)}"
        counter += 1
        return f"${counter}"

    return _TOKEN.sub(number, sql)


class PgCursor:
    """The result of one statement, read at once (PostgreSQL sends it whole anyway)."""

    def __init__(self, rows: Sequence[Any], rowcount: int) -> None:
        self._rows = [tuple(row) for row in rows]
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[tuple[Any, ...]]:
        """The rows not yet read."""
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    async def __aiter__(self) -> AsyncIterator[tuple[Any, ...]]:
        for row in await self.fetchall():
            yield row


class _Statement:
    """``conn.execute(...)``: awaited for the cursor, or ``async with`` it."""

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """One asyncpg connection (or the pool, for single statements outside a transaction) speaking the
    store's connection API."""

    def __init__(self, target: asyncpg.Connection | asyncpg.Pool) -> None:
        self._target = target

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Statement:
        """Run one statement; its rows (a SELECT, or RETURNING) and the count of rows it changed."""
        args = tuple(parameters)

        async def run() -> PgCursor:
            query = numbered(sql)
            if _RETURNS_ROWS.search(sql):
                rows = await self._target.fetch(query, *args)
                return PgCursor(rows, len(rows))
            status = await self._target.execute(query, *args)
            found = _ROWCOUNT.search(status or "")
            return PgCursor((), int(found.group(1)) if found else -1)

        return _Statement(run)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> None:
        """Run one statement for each set of parameters (nothing when there are none)."""
        rows = [tuple(row) for row in parameters]
        if rows:
            await self._target.executemany(numbered(sql), rows)

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of one statement."""
        return [tuple(row) for row in await self._target.fetch(numbered(sql), *tuple(parameters))]
