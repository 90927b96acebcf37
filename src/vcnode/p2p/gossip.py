"""The gossip protocol: how nodes spread anchor log heads, pull what they miss, and catch up.

Transport-agnostic: messages are JSON objects handed to a :class:`Transport` (HTTP between real nodes,
a loopback in simulations), so the same code runs in both.

- **Announce (push).** A node that learns a newer head of a log — its own after publishing, or another's
  after pulling and verifying it — announces the head's summary (log, seq, entry CID) once to up to
  ``fanout`` of its peers, skipping those it knows have it (they announced it, or told us they knew it).
  Peer tables are small and random, so this reaches every connected node in about log(N)/log(fanout)
  hops, and a summary is small next to the payload it points to.
- **Pull.** A node told of a head newer than its own pulls the missing entries (starting with the last
  one it holds, so a fork shows) with their payloads from the announcer, verifies them (``AnchorLog``) and
  becomes a source in turn. Proofs of equivocation spread the same way as heads.
- **Anti-entropy.** Periodically a node exchanges all its head summaries with one random peer; whoever is
  behind pulls. Nodes that were offline catch up this way. Exchanges also carry peer addresses (peer
  exchange) and a few witness statements.

Every message is signed by its sender's DID (``eddsa-jcs-2022``) and carries a time; a message that does
not verify, is stale, or comes from a banned or over-rate peer is refused. A peer that sends invalid data
is penalised (see :mod:`vcnode.p2p.peers`). Work per message is bounded: at most ``MAX_HEADS`` summaries,
``MAX_ENTRIES`` entries per pull.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from vcnode.anchor.entries import AnchorError, now_stamp, position
from vcnode.anchor.log import AnchorLog, verify_signature
from vcnode.credentials.issue import sign
from vcnode.did.resolver import Resolver
from vcnode.identity.service import SigningKey
from vcnode.p2p.peers import PENALTY_UNREACHABLE, PeerTable
from vcnode.proofs.verify import parse_datetime

MAX_HEADS = 1000
MAX_ENTRIES = 256
MAX_WITNESSES = 8
MAX_PEERS_SHARED = 32
MESSAGE_SKEW = timedelta(minutes=5)


class Transport(Protocol):
    """Sends one message to the node at ``url`` and returns its answer."""

    async def request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        """Raise :class:`PeerUnavailable` when the peer cannot be reached or refuses."""
        ...


class PeerUnavailable(Exception):
    """The peer could not be reached, timed out, or refused the message."""


class MessageRefused(Exception):
    """An incoming message was refused (``code``: badSignature, stale, rateLimited, banned, malformed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def summary(head: dict[str, Any]) -> dict[str, Any]:
    """What is announced of a head (or of the entry standing for one): log, seq and entry CID."""
    log, seq, cid = position(head)
    return {"log": log, "seq": seq, "entry": cid}


@dataclass
class GossipStats:
    """Counters for benchmarks and the operator."""

    sent: int = 0
    received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    refused: int = 0
    invalid: int = 0
    pulls: int = 0


@dataclass
class Gossip:
    """One node's side of the protocol."""

    did: str
    key: SigningKey
    url: str
    anchors: AnchorLog
    resolver: Resolver
    peers: PeerTable
    transport: Transport
    fanout: int = 8
    rng: random.Random = field(default_factory=random.SystemRandom)
    measure: Callable[[dict[str, Any]], int] | None = None  # message size, for statistics
    on_ingest: Callable[[str], None] | None = None  # a log grew (the node drops cached lists)
    stats: GossipStats = field(default_factory=GossipStats)
    _rumours: dict[str, dict[str, Any]] = field(default_factory=dict)      # log → summary to announce
    _known_by: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # (log, seq) → peers that have it
    _to_pull: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # log → (peer, summary)
    _new_proofs: list[dict[str, Any]] = field(default_factory=list)

    # --- messages ---------------------------------------------------------------------------------------

    def _message(self, kind: str, **body: Any) -> dict[str, Any]:
        return sign({"type": kind, "from": self.did, "url": self.url, "time": now_stamp(), **body}, self.key,
                    suite="eddsa-jcs-2022")

    async def _send(self, url: str, message: dict[str, Any]) -> dict[str, Any] | None:
        try:
            answer = await self.transport.request(url, message)
        except PeerUnavailable:
            self.peers.penalise(url, PENALTY_UNREACHABLE)
            return None
        self.stats.sent += 1
        if self.measure is not None:
            self.stats.bytes_sent += self.measure(message)
            self.stats.bytes_received += self.measure(answer)
        self.peers.reward(url)
        return answer

    async def _check_incoming(self, message: Any) -> str:
        """Verify an incoming message; returns the sender's URL."""
        if not isinstance(message, dict) or not isinstance(message.get("from"), str) \
                or not isinstance(message.get("url"), str):
            raise MessageRefused("malformed", "a message needs from (a DID), url and a proof")
        sender = message["url"]
        peer = self.peers.peers.get(sender)
        if peer is not None and peer.did not in (None, message["from"]):
            raise MessageRefused("malformed", f"{sender[:120]} is known as another DID")
        if not self.peers.allow(sender):
            self.stats.refused += 1
            raise MessageRefused("rateLimited", f"{sender[:120]} is over its rate or banned")
        sent = parse_datetime(message.get("time"))
        if sent is None or abs(datetime.now(UTC) - sent) > MESSAGE_SKEW:
            raise MessageRefused("stale", "the message's time is missing or more than 5 minutes off")
        try:
            await verify_signature(message, message["from"], self.resolver)
        except AnchorError as exc:
            self.peers.penalise(sender)
            raise MessageRefused("badSignature", exc.message) from None
        self.stats.received += 1
        if self.measure is not None:
            self.stats.bytes_received += self.measure(message)
        self.peers.add(sender, message["from"], source="inbound")
        return sender

    # --- inbound ----------------------------------------------------------------------------------------

    async def handle(self, message: Any) -> dict[str, Any]:
        """Answer one incoming message (raises :class:`MessageRefused`)."""
        sender = await self._check_incoming(message)
        kind = message.get("type")
        if kind == "announce":
            known = await self._note_heads(sender, message.get("heads"))
            await self._take_proofs(sender, message.get("equivocations"))
            answer: dict[str, Any] = {"known": known}
        elif kind == "pull":
            answer = await self._serve_pull(message)
        elif kind == "exchange":
            await self._note_heads(sender, message.get("heads"))
            await self._take_proofs(sender, message.get("equivocations"))
            await self._take_witnesses(sender, message.get("witnesses"))
            for url in _strings(message.get("peers"), MAX_PEERS_SHARED):
                if url != self.url:
                    self.peers.add(url, source="exchange")
            answer = {"heads": await self._summaries(), "peers": self._shared_peers(),
                      "witnesses": await self._witness_sample(),
                      "equivocations": await self.anchors.store.equivocations()}
        else:
            raise MessageRefused("malformed", f"unknown message type {str(kind)[:40]!r}")
        if self.measure is not None:
            self.stats.bytes_sent += self.measure(answer)
        return answer

    async def _note_heads(self, sender: str, heads: Any) -> list[str]:
        """Remember heads newer than ours (or conflicting with ours) to pull from ``sender``; returns the
        logs whose announced head this node already had."""
        if not isinstance(heads, list) or len(heads) > MAX_HEADS:
            self.peers.penalise(sender)
            raise MessageRefused("malformed", f"heads must be a list of at most {MAX_HEADS}")
        known = []
        for item in heads:
            if not (isinstance(item, dict) and isinstance(item.get("log"), str) and isinstance(item.get("seq"), int)
                    and isinstance(item.get("entry"), str)):
                continue
            held = await self.anchors.store.head(item["log"])
            mine = summary(held) if held else None
            if mine is None or item["seq"] > mine["seq"] or \
                    (item["seq"] == mine["seq"] and item["entry"] != mine["entry"]):
                pending = self._to_pull.get(item["log"])
                if pending is None or item["seq"] > pending[1]["seq"]:
                    self._to_pull[item["log"]] = (sender, item)
            else:
                known.append(item["log"])
            self._knows(item["log"], item["seq"], sender)
        return known

    def _knows(self, log: str, seq: int, peer: str) -> None:
        holders = self._known_by.setdefault((log, seq), set())
        holders.add(peer)
        if len(self._known_by) > 4 * MAX_HEADS:  # forget the oldest positions; at worst a peer hears twice
            del self._known_by[next(iter(self._known_by))]

    async def _serve_pull(self, message: dict[str, Any]) -> dict[str, Any]:
        log, from_seq = message.get("log"), message.get("fromSeq", 1)
        if not isinstance(log, str) or isinstance(from_seq, bool) or not isinstance(from_seq, int) or from_seq < 1:
            raise MessageRefused("malformed", "pull needs log and fromSeq >= 1")
        head = await self.anchors.store.head(log)
        if head is None:
            return {"head": None, "entries": [], "blobs": {}}
        stored = await self.anchors.store.entries(log, from_seq, MAX_ENTRIES)
        blobs = {}
        for entry in stored:
            payload = entry.document["statement"].get("payload")
            data = await self.anchors.store.blob(payload) if payload else None
            if data is not None:
                blobs[payload] = base64.b64encode(data).decode("ascii")
        if stored and stored[-1].seq < position(head)[1]:
            # More than one pull's worth: the last entry sent (signed by the log's owner) stands for the head,
            # and the puller asks again from there.
            return {"head": stored[-1].document, "entries": [s.document for s in stored], "blobs": blobs,
                    "more": True}
        return {"head": head, "entries": [s.document for s in stored], "blobs": blobs}

    async def _take_proofs(self, sender: str, proofs: Any) -> None:
        for proof in proofs if isinstance(proofs, list) else []:
            try:
                fresh = await self.anchors.take_equivocation(proof)
            except AnchorError:
                self.peers.penalise(sender)
                self.stats.invalid += 1
                continue
            if fresh is not None:
                await self._found_equivocation(fresh)

    async def _take_witnesses(self, sender: str, statements: Any) -> None:
        for statement in statements[:MAX_WITNESSES] if isinstance(statements, list) else []:
            try:
                await self.anchors.take_witness(statement)
            except AnchorError:
                self.peers.penalise(sender)
                self.stats.invalid += 1

    async def _found_equivocation(self, proof: dict[str, Any]) -> None:
        self._new_proofs.append(proof)
        if self.on_ingest is not None:
            self.on_ingest(proof["log"])

    # --- outbound ---------------------------------------------------------------------------------------

    def has_work(self) -> bool:
        """True when there are heads to pull or rumours to push."""
        return bool(self._to_pull or self._rumours or self._new_proofs)

    def published(self, head: dict[str, Any]) -> None:
        """This node appended to its own log: spread the new head."""
        item = summary(head)
        self._rumours[item["log"]] = item

    async def step(self) -> None:
        """Pull what was announced, then push what is new. One gossip round of this node."""
        pulls, self._to_pull = self._to_pull, {}
        for log, (peer, item) in pulls.items():
            # The announcer first; if it fails or sends invalid data, up to two others known to have it.
            others = sorted(self._known_by.get((log, item["seq"]), set()) - {peer})
            for source in [peer, *self.rng.sample(others, min(2, len(others)))]:
                if await self._pull(source, log, item):
                    break
        rumours, self._rumours = self._rumours, {}
        proofs, self._new_proofs = self._new_proofs, []
        if not rumours and not proofs:
            return
        batches: dict[str, list[dict[str, Any]]] = {}
        for item in rumours.values():
            holders = self._known_by.get((item["log"], item["seq"]), set())
            for peer in self.peers.sample(self.fanout, holders):
                batches.setdefault(peer.url, []).append(item)
        if proofs:  # proofs of equivocation go to every usable peer
            for peer in self.peers.usable():
                batches.setdefault(peer.url, [])
        for url, items in batches.items():
            # Whether the peer had a head or will now pull it, it need not be told again.
            await self._send(url, self._message("announce", heads=items, equivocations=proofs))
            for item in items:
                self._knows(item["log"], item["seq"], url)

    async def _pull(self, peer: str, log: str, item: dict[str, Any]) -> bool:
        """Pull ``log`` from ``peer`` up to the announced ``item``; False when the peer failed us."""
        for _ in range(64):  # at most 64 batches of 256 entries per announcement; the rest on the next one
            held = await self.anchors.store.head(log)
            from_seq = max(1, position(held)[1]) if held else 1  # include the last entry held: a fork shows
            answer = await self._send(peer, self._message("pull", log=log, fromSeq=from_seq))
            if answer is None:
                return False
            self.stats.pulls += 1
            head, entries, more = answer.get("head"), answer.get("entries"), answer.get("more") is True
            if head is None:
                return False
            try:
                if not isinstance(head, dict) or not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
                    raise AnchorError("malformedEntry", f"a pull answer holds a head and at most {MAX_ENTRIES} "
                                      "entries")
                blobs = {cid: base64.b64decode(data, validate=True)
                         for cid, data in (answer.get("blobs") or {}).items()
                         if isinstance(cid, str) and isinstance(data, str)}
                result = await self.anchors.ingest(head, entries, blobs)
            except (AnchorError, ValueError):
                self.peers.penalise(peer)
                self.stats.invalid += 1
                return False
            for proof in result.equivocations:
                await self._found_equivocation(proof)
            if not result.accepted:
                return bool(result.equivocations) or position(head)[1] <= from_seq
            self._rumours[log] = summary(head)
            if self.on_ingest is not None:
                self.on_ingest(log)
            if not more:
                return True
        return True

    async def pull_from(self, url: str, log: str) -> bool:
        """Ask the node at ``url`` for its newest entries of ``log`` (e.g. the issuer's own node)."""
        return await self._pull(url, log, {"log": log, "seq": 0})

    async def anti_entropy(self) -> None:
        """Exchange head summaries, peers and witness statements with one random peer; pull what we lack."""
        for peer in self.peers.sample(1):
            message = self._message("exchange", heads=await self._summaries(), peers=self._shared_peers(),
                                    witnesses=await self._witness_sample(),
                                    equivocations=await self.anchors.store.equivocations())
            answer = await self._send(peer.url, message)
            if answer is None:
                continue
            try:
                await self._note_heads(peer.url, answer.get("heads"))
            except MessageRefused:
                continue
            await self._take_proofs(peer.url, answer.get("equivocations"))
            await self._take_witnesses(peer.url, answer.get("witnesses"))
            for url in _strings(answer.get("peers"), MAX_PEERS_SHARED):
                if url != self.url:
                    self.peers.add(url, source="exchange")

    async def witness_all(self) -> list[dict[str, Any]]:
        """Sign witness statements for every other log held (after verifying it on ingest)."""
        out = []
        for head in await self.anchors.store.heads():
            statement = await self.anchors.witness(self.did, head["log"])
            if statement is not None:
                out.append(statement)
        return out

    async def _summaries(self) -> list[dict[str, Any]]:
        return [summary(h) for h in (await self.anchors.store.heads())[:MAX_HEADS]]

    def _shared_peers(self) -> list[str]:
        return [p.url for p in self.peers.sample(MAX_PEERS_SHARED)]

    async def _witness_sample(self) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        for head in (await self.anchors.store.heads())[:MAX_WITNESSES]:
            log, seq, _ = position(head)
            statements.extend((await self.anchors.store.witnesses(log, seq))[:2])
        return statements[:MAX_WITNESSES]


def _strings(value: Any, limit: int) -> list[str]:
    return [item for item in value[:limit] if isinstance(item, str)] if isinstance(value, list) else []
