"""Notes of this node's trust statements that were signed, or are being signed, but are not yet known to be
anchored: the repository the trust service keeps them in (rows of the store, so every process on the node
sees the same notes and none can drop another's).

A note is added before its statement is signed and removed when the statement is anchored (the SQLite anchor
store removes it in the transaction that appends the entry). A process that finds a note whose statement is
signed anchors it (anchoring is idempotent: content already anchored is not appended again); a note whose
statement was never signed is forgotten once it is older than :data:`PENDING_GRACE`, so a publication still
running in another process is not mistaken for one that a stopped process left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

#: Seconds after which a note whose statement is still not signed is taken to be left by a process that
#: stopped (signing takes milliseconds; a publication running this long in another process is not expected).
PENDING_GRACE = 600.0


@dataclass(frozen=True)
class PendingStatement:
    """A note: the statement's id, the identity that signs it, and when it was noted (Unix seconds)."""

    statement_id: str
    issuer: str
    noted: float


class PendingStatements(Protocol):
    """Where the notes are kept (``vcnode.store.trust_pending`` for the node's SQLite store)."""

    async def note(self, statement_id: str, issuer: str, noted: float) -> None:
        """Note that ``statement_id`` is about to be signed (a note already held is renewed)."""
        ...

    async def pending(self) -> list[PendingStatement]:
        """Every note, oldest first."""
        ...

    async def settle(self, statement_id: str) -> None:
        """Drop the note: its statement is anchored."""
        ...

    async def forget(self, note: PendingStatement) -> bool:
        """Drop the note only if it is still the one read (not renewed since); True when dropped."""
        ...


class MemoryPendingStatements:
    """A :class:`PendingStatements` in memory (one process: tests)."""

    def __init__(self) -> None:
        self._notes: dict[str, PendingStatement] = {}

    async def note(self, statement_id: str, issuer: str, noted: float) -> None:
        self._notes[statement_id] = PendingStatement(statement_id, issuer, noted)

    async def pending(self) -> list[PendingStatement]:
        return sorted(self._notes.values(), key=lambda note: note.noted)

    async def settle(self, statement_id: str) -> None:
        self._notes.pop(statement_id, None)

    async def forget(self, note: PendingStatement) -> bool:
        if self._notes.get(note.statement_id) != note:
            return False
        del self._notes[note.statement_id]
        return True
