"""A node's anchor logs: appending to its own, taking in verified copies of others', witnessing, and
detecting equivocation (two validly signed, different versions of one position of a log)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from vcnode.anchor.cid import cid_for_bytes
from vcnode.anchor.entries import (
    WITNESS,
    AnchorError,
    check_entry_shape,
    check_head_shape,
    entry_cid,
    make_entry,
    make_head,
    make_witness,
    position,
    published_statement,
)
from vcnode.anchor.statements import DID_LOG_PUBLISHED, STATUS_LIST_PUBLISHED, TRUST_STATEMENT_PUBLISHED
from vcnode.anchor.store import AnchorStore, ListAnchor, StoredEntry
from vcnode.clock import SYSTEM_CLOCK, Clock, now_timestamp
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey
from vcnode.proofs.verify import ProofExpectations, verify_proofs

MAX_PAYLOAD = 1024 * 1024  # a status list credential is a few KB; anything near this is abuse
#: Compare-and-set rounds an append (or an ingest) tries before giving up: each lost round means another
#: process appended to the same log in the few milliseconds between reading the head and writing.
APPEND_ATTEMPTS = 16


@dataclass
class IngestResult:
    """What taking in a batch of entries did."""

    accepted: int = 0
    equivocations: list[dict[str, Any]] = field(default_factory=list)


async def verify_signature(document: dict[str, Any], signer: str, resolver: Resolver) -> None:
    """The document's proof must verify and be made by a key ``signer`` controls (assertionMethod)."""
    results = await verify_proofs(document, ProofExpectations(purpose="assertionMethod", controller=signer),
                                  resolver)
    if not any(result.verified for result in results):
        reason = next((r.error["code"] for r in results if r.error), "invalidSignature")
        raise AnchorError("invalidSignature", f"not validly signed by {signer[:120]} ({reason})")


class AnchorLog:
    """Anchor logs held by one node. ``keys`` gives the signing key of each DID the node owns."""

    def __init__(self, store: AnchorStore, resolver: Resolver, keys: Callable[[str], SigningKey | None], *,
                 quota_per_log: int = 64 * 1024 * 1024, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self._clock = clock  # the time entries, heads and witness statements carry
        self._resolver = resolver
        self._keys = keys
        self._quota = quota_per_log
        # Work-saving only: appends of this process queue here instead of losing compare-and-set rounds to
        # one another (each lost round is a signature thrown away). No invariant depends on it: the sequence
        # is kept by the store's compare-and-set on the head (see append), which holds across processes.
        self._append_lock = asyncio.Lock()
        #: Proofs of equivocation held per log: a cache of the store, so a verification asks it nothing. Reloaded
        #: when this node keeps a new proof and when another process wrote to the store (Node.refresh_if_changed).
        self._equivocated: dict[str, int] | None = None

    async def publish_status_list(self, did: str, url: str, version: int, document: bytes) -> dict[str, Any]:
        """Anchor a new publication of one of this node's status lists in ``did``'s log; returns the entry."""
        cid = cid_for_bytes(document)
        statement = published_statement(STATUS_LIST_PUBLISHED, url, version, cid, len(document))
        return await self.append(did, statement, {cid: document})

    async def publish_did_log(self, did: str, url: str, log: bytes) -> dict[str, Any] | None:
        """Anchor this node's did:webvh log for ``did`` unless its current content is already anchored."""
        version = log.count(b"\n") + (0 if log.endswith(b"\n") else 1)
        return await self._publish_changed(did, DID_LOG_PUBLISHED, url, log, lambda _held: version)

    async def publish_trust_statement(self, did: str, statement_id: str, document: bytes) -> dict[str, Any] | None:
        """Anchor a signed trust statement of ``did`` under its credential id, unless this content already is;
        a changed statement with the same id gets the next version."""
        return await self._publish_changed(did, TRUST_STATEMENT_PUBLISHED, statement_id, document,
                                           lambda held: held.version + 1 if held else 1)

    async def _publish_changed(self, did: str, kind: str, url: str, document: bytes,
                               version: Callable[[ListAnchor | None], int]) -> dict[str, Any] | None:
        cid = cid_for_bytes(document)

        async def plan() -> tuple[dict[str, Any], dict[str, bytes]] | None:
            # Asked again on every attempt: another process may have anchored this content meanwhile.
            current = await self.store.list_anchor(url, did)
            if current is not None and current.payload == cid:
                return None
            return published_statement(kind, url, version(current), cid, len(document)), {cid: document}

        return await self._append(did, plan)

    async def append(self, did: str, statement: dict[str, Any], blobs: dict[str, bytes]) -> dict[str, Any]:
        """Append a statement to this node's own log for ``did`` (with the payloads it references)."""

        async def plan() -> tuple[dict[str, Any], dict[str, bytes]]:
            return statement, blobs

        entry = await self._append(did, plan)
        assert entry is not None  # the plan always has something to append
        return entry

    async def _append(self, did: str, plan: Callable[[], Awaitable[tuple[dict[str, Any], dict[str, bytes]] | None]]
                      ) -> dict[str, Any] | None:
        """Read the head, build and sign the next entry (no write lock held while signing), and write it only
        if the head is still the one it links to (the store's compare-and-set). When another process appended
        first, rebuild on its head: at most ``APPEND_ATTEMPTS`` times. ``plan`` gives the statement and its
        payloads, read after the head (so a plan made from newer rows fails the compare-and-set), or None when
        there is nothing to append any more."""
        key = self._keys(did)
        if key is None:
            raise AnchorError("notOwner", f"this node holds no key for {did[:120]}")
        async with self._append_lock:
            for attempt in range(APPEND_ATTEMPTS):
                head = await self.store.head(did)
                planned = await plan()
                if planned is None:
                    return None
                statement, blobs = planned
                _, held, prev = position(head) if head else (did, 0, None)
                stamp = now_timestamp(self._clock)
                entry = make_entry(key, did, held + 1, prev, statement, stamp, stamp)
                cid = entry_cid(entry)
                if await self.store.append([StoredEntry(did, held + 1, cid, entry)],
                                           make_head(key, did, held + 1, cid, stamp, stamp), blobs, expect=held):
                    return entry
                await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # let the winner's writes settle
        raise AnchorError("appendContended", f"{did[:120]}'s log kept moving: no entry appended after "
                          f"{APPEND_ATTEMPTS} attempts")

    async def ingest(self, head: dict[str, Any], entries: list[dict[str, Any]],
                     blobs: dict[str, bytes]) -> IngestResult:
        """Take in another node's log up to ``head`` (a signed head, or the last signed entry sent when a log
        is longer than one batch): entries after what is held, each checked (shape,
        signature by the log's DID, seq, ``prev`` link), ending at the head's entry, with every payload they
        reference. All or nothing. Entries may start with ones already held (senders include the last one
        held, so a fork shows): one that differs from what is held becomes a proof of equivocation."""
        for _ in range(APPEND_ATTEMPTS):
            result = await self._ingest_once(head, entries, blobs)
            if result is not None:
                return result
        raise AnchorError("appendContended", "the log kept moving: another process took in entries meanwhile")

    async def _ingest_once(self, head: dict[str, Any], entries: list[dict[str, Any]],
                           blobs: dict[str, bytes]) -> IngestResult | None:
        """One attempt of :meth:`ingest`; None when another process moved the held head between reading it
        and writing (the store's compare-and-set refused the write): the caller tries again from the new head."""
        log, head_seq, head_cid = position(head)
        await verify_signature(head, log, self._resolver)
        result = IngestResult()
        held = await self.store.head(log)
        _, held_seq, held_cid = position(held) if held else (log, 0, None)
        if head_seq <= held_seq:
            mine = await self.store.entry(log, head_seq)
            if mine is not None and mine.cid != head_cid:
                result.equivocations.append(await self._record_equivocation(log, head_seq, mine.document, head))
            return result
        expected_prev = held_cid
        accepted: list[StoredEntry] = []
        needed: dict[str, bytes] = {}
        for entry in entries:
            check_entry_shape(entry)
            if entry["log"] != log:
                raise AnchorError("brokenLink", f"an entry of another log was sent for {log[:80]}")
            if entry["seq"] <= held_seq:  # an overlap with what is held: it must be the same entry
                mine = await self.store.entry(log, entry["seq"])
                if mine is not None and mine.cid != entry_cid(entry):
                    result.equivocations.append(await self._record_equivocation(log, entry["seq"], mine.document,
                                                                                entry))
                    return result
                continue
            seq = held_seq + len(accepted) + 1
            if entry["seq"] != seq:
                raise AnchorError("brokenLink", f"expected entry {seq} of {log[:80]}, got {entry['seq']}")
            if entry["prev"] != expected_prev:
                raise AnchorError("brokenLink", f"entry {seq} does not link to entry {seq - 1}")
            await verify_signature(entry, log, self._resolver)
            cid = entry_cid(entry)
            accepted.append(StoredEntry(log, seq, cid, entry))
            expected_prev = cid
            if seq == head_seq:
                break
        if not accepted or accepted[-1].seq != head_seq or accepted[-1].cid != head_cid:
            raise AnchorError("brokenLink", f"the entries do not lead to the head's entry {head_seq}")
        # Only the newest publication of each list is kept (see AnchorStore.append), so only its payload is
        # required; a superseded payload that was sent anyway is checked and dropped.
        newest = {stored.document["statement"].get("url"): stored for stored in accepted}
        for stored in accepted:
            statement = stored.document["statement"]
            payload = statement.get("payload")
            if payload is None:
                continue
            if newest.get(statement.get("url")) is stored:
                needed[payload] = _checked_payload(payload, statement.get("size"), blobs.get(payload))
            elif payload in blobs:
                _checked_payload(payload, statement.get("size"), blobs[payload])
        if await self.store.bytes_held(log) + sum(len(b) for b in needed.values()) > self._quota:
            raise AnchorError("quotaExceeded", f"the payloads of {log[:80]} exceed this node's quota")
        if not await self.store.append(accepted, head, needed, expect=held_seq):
            return None
        result.accepted = len(accepted)
        return result

    async def check_equivocation(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
        """A proof of equivocation from two documents (entries or heads) naming different CIDs for the same
        position of one log, both validly signed by that log's owner; None when they do not conflict."""
        pos_a, pos_b = position(a), position(b)
        if pos_a[0] != pos_b[0] or pos_a[1] != pos_b[1] or pos_a[2] == pos_b[2]:
            return None
        for document in (a, b):
            await verify_signature(document, pos_a[0], self._resolver)
        return {"type": "AnchorEquivocation", "log": pos_a[0], "seq": pos_a[1], "documents": [a, b]}

    async def take_equivocation(self, proof: Any) -> dict[str, Any] | None:
        """Verify a proof of equivocation received from a peer and keep it; the proof if it is new."""
        if not isinstance(proof, dict) or not isinstance(proof.get("documents"), list) or len(proof["documents"]) != 2:
            raise AnchorError("malformedProof", "a proof of equivocation holds two signed documents")
        checked = await self.check_equivocation(*proof["documents"])
        if checked is None:
            raise AnchorError("malformedProof", "the two documents do not conflict")
        return checked if await self._keep_equivocation(checked) else None

    async def _record_equivocation(self, log: str, seq: int, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        proof = await self.check_equivocation(a, b)
        assert proof is not None  # the caller found different CIDs at one position
        await self._keep_equivocation(proof)
        return proof

    async def _keep_equivocation(self, proof: dict[str, Any]) -> bool:
        """Store a verified proof; when it is new, reload the counts (the store is the truth: another process
        may have added proofs too)."""
        added = await self.store.add_equivocation(proof)
        if added:
            await self.reload_equivocations()
        return added

    async def reload_equivocations(self) -> None:
        """Read the number of proofs held per log from the store again (one query)."""
        self._equivocated = await self.store.equivocation_counts()

    async def witness(self, witness_did: str, log: str) -> dict[str, Any] | None:
        """Sign a witness statement for the newest entry held of ``log`` (verified when it was taken in)."""
        key = self._keys(witness_did)
        head = await self.store.head(log)
        if key is None or head is None or log == witness_did:
            return None
        _, seq, cid = position(head)
        statement = make_witness(key, witness_did, log, seq, cid, now_timestamp(self._clock))
        await self.store.add_witness(statement)
        return statement

    async def take_witness(self, statement: Any) -> bool:
        """Keep another node's witness statement when it is validly signed and agrees with the log held."""
        check_head_shape(statement, WITNESS)
        mine = await self.store.entry(statement["log"], statement["seq"])
        if mine is None or mine.cid != statement["entry"]:
            return False  # about entries not held (yet), or a different history: not counted
        await verify_signature(statement, statement["witness"], self._resolver)
        return await self.store.add_witness(statement)

    async def equivocation_count(self, did: str) -> int:
        """How many proofs of equivocation are held against ``did``'s log: from memory (every verification
        asks), loaded from the store on first use and kept current by :meth:`reload_equivocations`."""
        if self._equivocated is None:
            await self.reload_equivocations()
        assert self._equivocated is not None
        return self._equivocated.get(did, 0)

    async def lag(self, log: str) -> dict[str, Any] | None:
        """How far this node knows its copy of ``log`` to be behind: ``{heldSeq, announcedSeq, announcedAt,
        announcers}`` when authenticated peers announced a head beyond the entries held and have not (yet)
        failed to serve it (``AnchorStore.announced``), else None."""
        claims = await self.store.announced(log)
        if not claims:
            return None
        head = await self.store.head(log)
        held = position(head)[1] if head else 0
        newest = max(claims, key=lambda claim: claim.seq)
        if newest.seq <= held:
            return None
        return {"heldSeq": held, "announcedSeq": newest.seq, "announcedAt": newest.seen, "announcers": len(claims)}

    async def list_anchor(self, url: str) -> tuple[ListAnchor, int, list[dict[str, Any]]] | None:
        """The newest anchored publication of a status list, how many distinct other nodes witnessed it,
        and any proofs that its log's owner equivocated."""
        anchor = await self.store.list_anchor(url)
        if anchor is None:
            return None
        statements = await self.store.witnesses(anchor.log, anchor.seq)
        witnesses = {s["witness"] for s in statements if s["witness"] != anchor.log}
        return anchor, len(witnesses), await self.store.equivocations(anchor.log)


def _checked_payload(cid: str, size: Any, data: bytes | None) -> bytes:
    if data is None:
        raise AnchorError("missingPayload", f"payload {cid} was not sent")
    if len(data) > MAX_PAYLOAD or len(data) != size:
        raise AnchorError("payloadTooLarge" if len(data) > MAX_PAYLOAD else "payloadMismatch",
                          f"payload {cid} has {len(data)} bytes, expected {size}")
    if cid_for_bytes(data) != cid:
        raise AnchorError("payloadMismatch", f"payload does not hash to {cid}")
    return data
