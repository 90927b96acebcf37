"""Where anchor logs are kept: the interface, and an in-memory implementation (simulations, tests).

The node's SQLite store implements the same interface (``vcnode.store.anchors.SqlAnchorStore``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from vcnode.anchor.statements import PUBLISHED
from vcnode.clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class StoredEntry:
    """One entry of a log as kept: its position, CID and the signed document."""

    log: str
    seq: int
    cid: str
    document: dict[str, Any]


MAX_ANNOUNCERS = 16  # announced heads kept per log (one per announcer)


@dataclass(frozen=True)
class AnnouncedHead:
    """A peer said ``log`` reaches ``seq`` (entry CID ``entry``) beyond what this node holds, and the node has
    not pulled it (yet). ``announcer`` is the authenticated DID (or, for an answer to this node's own
    request, the URL) that said so; ``seen`` when it last did (ISO 8601). The claim is the peer's, not
    signed by the log's owner: a peer that cannot then serve it is penalised and its claim dropped."""

    log: str
    seq: int
    entry: str
    announcer: str
    seen: str


@dataclass(frozen=True)
class ListAnchor:
    """The newest anchored publication under a URL in one log."""

    log: str
    seq: int
    version: int
    payload: str
    time: str


class AnchorStore(Protocol):
    """Persistence of anchor logs, payloads, witness statements and proofs of equivocation."""

    async def head(self, log: str) -> dict[str, Any] | None:
        """The signed document (a head, or an entry) marking how far ``log`` is held."""
        ...

    async def heads(self) -> list[dict[str, Any]]:
        """Every log's newest signed head."""
        ...

    async def entry(self, log: str, seq: int) -> StoredEntry | None:
        """One entry."""
        ...

    async def entries(self, log: str, from_seq: int, limit: int) -> list[StoredEntry]:
        """Entries ``from_seq`` on, at most ``limit``."""
        ...

    async def append(self, entries: list[StoredEntry], head: dict[str, Any], blobs: dict[str, bytes], *,
                     expect: int | None = None) -> bool:
        """Add verified entries, their payloads and the new head, atomically; True when written. Eviction: when
        a newer publication of a status list is anchored, the payload of the one it supersedes is deleted
        (entries, which are small, are kept for good).

        ``expect`` makes it a compare-and-set on the log's head, decided inside the write transaction: the
        seq of the held head the entries were built on (0: the log is not held yet). When the held head is at
        another seq (another process appended meanwhile), nothing is written and False is returned; the
        caller rebuilds on the new head. Without it, the entries are written as given."""
        ...

    async def blob(self, cid: str) -> bytes | None:
        """A payload by CID."""
        ...

    async def list_anchor(self, url: str, log: str | None = None) -> ListAnchor | None:
        """The newest anchored publication under ``url`` (a status list, a did:webvh log, a trust statement):
        in ``log``, or in whichever log anchored one most recently."""
        ...

    async def anchored(self, kind: str, log: str | None = None) -> list[tuple[str, ListAnchor]]:
        """Every URL with a publication of ``kind`` (in ``log``), and its newest anchor in each log."""
        ...

    async def add_witness(self, statement: dict[str, Any]) -> bool:
        """Keep a verified witness statement; False if this witness already stated this or a later seq."""
        ...

    async def witnesses(self, log: str, seq: int) -> list[dict[str, Any]]:
        """Witness statements for ``log`` at ``seq`` or later."""
        ...

    async def add_equivocation(self, proof: dict[str, Any]) -> bool:
        """Keep a verified proof of equivocation; False if one is already held for that log and seq."""
        ...

    async def equivocations(self, log: str | None = None) -> list[dict[str, Any]]:
        """Proofs of equivocation (of one log, or all)."""
        ...

    async def equivocation_counts(self) -> dict[str, int]:
        """How many proofs of equivocation are held per log (logs with none left out)."""
        ...

    async def bytes_held(self, log: str) -> int:
        """Payload bytes held for a log (for quotas)."""
        ...

    async def note_announced(self, heads: list[tuple[str, int, str]], announcer: str) -> None:
        """Remember (log, seq, entry) heads ``announcer`` announced beyond the held head of a log this node
        holds (logs it does not hold are not remembered); the newest per (log, announcer), at most
        ``MAX_ANNOUNCERS`` announcers per log. Pulling the log up to a claim removes it."""
        ...

    async def announced(self, log: str | None = None) -> list[AnnouncedHead]:
        """Announced heads beyond the held head (of one log, or all), newest first per log."""
        ...

    async def forget_announced(self, announcer: str, log: str | None = None) -> None:
        """Drop what ``announcer`` claimed (about one log, or all): it could not serve it."""
        ...


@dataclass
class MemoryAnchorStore:
    """An :class:`AnchorStore` in memory (``clock``: when an announced head was seen)."""

    clock: Clock = SYSTEM_CLOCK
    _heads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _entries: dict[tuple[str, int], StoredEntry] = field(default_factory=dict)
    _blobs: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _lists: dict[tuple[str, str], tuple[str, ListAnchor]] = field(default_factory=dict)  # (url, log) → (kind, …)
    _witnesses: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _equivocations: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    _announced: dict[tuple[str, str], AnnouncedHead] = field(default_factory=dict)

    async def head(self, log: str) -> dict[str, Any] | None:
        return self._heads.get(log)

    async def heads(self) -> list[dict[str, Any]]:
        return list(self._heads.values())

    async def entry(self, log: str, seq: int) -> StoredEntry | None:
        return self._entries.get((log, seq))

    async def entries(self, log: str, from_seq: int, limit: int) -> list[StoredEntry]:
        out = []
        seq = from_seq
        while len(out) < limit and (log, seq) in self._entries:
            out.append(self._entries[(log, seq)])
            seq += 1
        return out

    async def append(self, entries: list[StoredEntry], head: dict[str, Any], blobs: dict[str, bytes], *,
                     expect: int | None = None) -> bool:
        if expect is not None and self._heads.get(head["log"], {}).get("seq", 0) != expect:
            return False
        for cid, data in blobs.items():
            self._blobs[cid] = (head["log"], data)
        for stored in entries:
            self._entries[(stored.log, stored.seq)] = stored
            statement = stored.document["statement"]
            if statement.get("type") in PUBLISHED:
                key = (statement["url"], stored.log)
                old = self._lists.get(key)
                if old is not None and old[1].seq >= stored.seq:
                    continue
                self._lists[key] = (statement["type"], ListAnchor(stored.log, stored.seq, statement["version"],
                                                                  statement["payload"], stored.document["time"]))
                if old is not None and old[1].payload != statement["payload"] \
                        and all(anchor.payload != old[1].payload for _, anchor in self._lists.values()):
                    self._blobs.pop(old[1].payload, None)
        self._heads[head["log"]] = head
        for key, claim in list(self._announced.items()):
            if claim.log == head["log"] and claim.seq <= head.get("seq", 0):
                del self._announced[key]
        return True

    async def blob(self, cid: str) -> bytes | None:
        held = self._blobs.get(cid)
        return held[1] if held else None

    async def list_anchor(self, url: str, log: str | None = None) -> ListAnchor | None:
        if log is not None:
            found = self._lists.get((url, log))
            return found[1] if found else None
        held = [anchor for (held_url, _), (_, anchor) in self._lists.items() if held_url == url]
        return max(held, key=lambda anchor: (anchor.time, anchor.seq)) if held else None

    async def anchored(self, kind: str, log: str | None = None) -> list[tuple[str, ListAnchor]]:
        return [(url, anchor) for (url, held_log), (held_kind, anchor) in self._lists.items()
                if held_kind == kind and (log is None or held_log == log)]

    async def add_witness(self, statement: dict[str, Any]) -> bool:
        key = (statement["log"], statement["witness"])
        held = self._witnesses.get(key)
        if held is not None and held["seq"] >= statement["seq"]:
            return False
        self._witnesses[key] = statement
        return True

    async def witnesses(self, log: str, seq: int) -> list[dict[str, Any]]:
        return [s for (held_log, _), s in self._witnesses.items() if held_log == log and s["seq"] >= seq]

    async def add_equivocation(self, proof: dict[str, Any]) -> bool:
        key = (proof["log"], proof["seq"])
        if key in self._equivocations:
            return False
        self._equivocations[key] = proof
        return True

    async def equivocations(self, log: str | None = None) -> list[dict[str, Any]]:
        return [p for (held_log, _), p in self._equivocations.items() if log is None or held_log == log]

    async def equivocation_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for held_log, _ in self._equivocations:
            counts[held_log] = counts.get(held_log, 0) + 1
        return counts

    async def bytes_held(self, log: str) -> int:
        return sum(len(data) for owner, data in self._blobs.values() if owner == log)

    async def note_announced(self, heads: list[tuple[str, int, str]], announcer: str) -> None:
        seen = self.clock.now().isoformat()  # as the SQLite store writes it
        for log, seq, entry in heads:
            held = self._heads.get(log)
            if held is None or held.get("seq", 0) >= seq:
                continue
            old = self._announced.get((log, announcer))
            if old is None and sum(1 for (held_log, _) in self._announced if held_log == log) >= MAX_ANNOUNCERS:
                continue
            if old is None or old.seq <= seq:
                self._announced[(log, announcer)] = AnnouncedHead(log, seq, entry, announcer, seen)

    async def announced(self, log: str | None = None) -> list[AnnouncedHead]:
        out = [claim for claim in self._announced.values() if (log is None or claim.log == log)
               and claim.seq > self._heads.get(claim.log, {}).get("seq", 0)]
        return sorted(out, key=lambda claim: (claim.log, -claim.seq))

    async def forget_announced(self, announcer: str, log: str | None = None) -> None:
        for key in [k for k in self._announced if k[1] == announcer and (log is None or k[0] == log)]:
            del self._announced[key]
