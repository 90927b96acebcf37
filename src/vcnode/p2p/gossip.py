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
  becomes a source in turn. Proofs of equivocation spread the same way as heads. Pulls are budgeted (per
  round, per peer), run concurrently, each under a deadline, and never go to a banned peer or to a URL whose
  DID was not proved there; what is left waits for the next round.
- **Anti-entropy.** Periodically a node exchanges all its head summaries with one random peer; whoever is
  behind pulls. Nodes that were offline catch up this way. Exchanges also carry verified peer addresses
  (peer exchange) and a few witness statements.
- **Hello.** A URL heard of becomes a peer only when this node reaches it and the node there answers a
  fresh nonce with a message signed by its DID (``hello`` → ``welcome``).

Every message is signed by its sender's DID (``eddsa-jcs-2022``, or ``ecdsa-jcs-2019`` for a P-256 key),
carries a time and a random nonce; a message that does not verify, is stale, was seen before (replay), or
comes from a banned or over-rate sender is refused. Only what is authenticated is acted on: the claimed
``from`` and ``url`` of a message change no score, bucket or binding before its signature verified (see
:mod:`vcnode.p2p.peers`). Work per message is bounded: at most ``MAX_HEADS`` summaries, ``MAX_ENTRIES``
entries per pull.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
import secrets
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import orjson

from vcnode.anchor.entries import AnchorError, position, suite_for
from vcnode.anchor.log import AnchorLog, verify_signature
from vcnode.clock import SYSTEM_CLOCK, Clock, now_timestamp, parse_datetime
from vcnode.credentials.issue import sign
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey
from vcnode.p2p.peers import PENALTY_INVALID, PENALTY_UNREACHABLE, PeerTable, PeerUrlRefused

MAX_HEADS = 1000
MAX_ENTRIES = 256
MAX_WITNESSES = 8
MAX_PEERS_SHARED = 32
MAX_PENDING = 4 * MAX_HEADS  # announced heads of logs not held waiting to be pulled (held logs: always)
MAX_NEW_PER_ANNOUNCER = MAX_HEADS // 4  # … of which one announcer may have this many at once
MAX_OFFERS = 4  # announcers remembered per log to pull from
MAX_NONCE = 64
MESSAGE_SKEW = timedelta(minutes=5)
REPLAY_WINDOW = 2 * MESSAGE_SKEW.total_seconds()  # a message's time may be up to the skew ahead or behind
BAD_SIGNATURE_COST = 5.0  # extra tokens a bad signature costs its connection's address
SOURCELESS_ROUNDS = 5  # rounds an announced head waits for its announcer's URL to be proved, then dropped


class Transport(Protocol):
    """Sends one message to the node at ``url`` and returns its answer."""

    async def request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        """Raise :class:`PeerUnavailable` when the peer cannot be reached or refuses."""
        ...


class GossipEvents(Protocol):
    """What :class:`Gossip` reports (its port; the node answers it, see ``vcnode.node.NodeEvents``)."""

    def log_grew(self, log: str) -> None:
        """``log`` grew (or was found forked) by what a peer sent: lists and statements cached from it are old."""
        ...


class PeerUnavailable(Exception):
    """The peer could not be reached, timed out, or refused the message."""


class MessageRefused(Exception):
    """An incoming message was refused (``code``: badSignature, stale, replayed, rateLimited, malformed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def summary(head: dict[str, Any]) -> dict[str, Any]:
    """What is announced of a head (or of the entry standing for one): log, seq and entry CID."""
    log, seq, cid = position(head)
    return {"log": log, "seq": seq, "entry": cid}


def message_id(message: dict[str, Any]) -> str:
    """What identifies a message for replay: a hash of its signed content in a canonical form (keys sorted,
    the proof value left out, so re-encoding a message does not make it new)."""
    proof = message.get("proof")
    unsigned = {**message, "proof": {k: v for k, v in proof.items() if k != "proofValue"}} \
        if isinstance(proof, dict) else message
    return hashlib.sha256(orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    replayed: int = 0


@dataclass
class Offer:
    """One announcer's newest announced head of a log, and the URL its message claimed (used only when the
    announcer has no proved URL, and then under the announcer's own pull budget)."""

    item: dict[str, Any]
    claimed: str | None = None


@dataclass
class Pending:
    """Announced heads of one log to pull: the newest each announcer (a DID, or the URL this node asked)
    announced, a few announcers at most; whether this node holds the log; the announcer that first asked
    (whose quota of new logs it counts against); for how many rounds no source could serve it."""

    offers: dict[str, Offer]
    held: bool
    first: str
    sourceless: int = 0

    def offer(self, announcer: str, item: dict[str, Any], claimed: str | None) -> None:
        """Note ``announcer``'s head; keep the ``MAX_OFFERS`` newest announcers' (a liar's high claim
        does not displace the others: if it cannot be pulled, theirs are)."""
        old = self.offers.get(announcer)
        if old is None or item["seq"] > old.item["seq"]:
            self.offers[announcer] = Offer(item, claimed)
            if len(self.offers) > MAX_OFFERS:
                del self.offers[min(self.offers, key=lambda a: self.offers[a].item["seq"])]


@dataclass(frozen=True)
class Source:
    """Where to pull from: a URL, the budget it counts against, who announced what is pulled, and what."""

    url: str
    budget: tuple[str, ...]  # a peer URL, and for a claimed URL also "claim:<announcer DID>"
    announcer: str | None
    item: dict[str, Any]


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
    pulls_per_round: int = 32
    pulls_per_peer: int = 4
    pull_deadline: float = 20.0  # seconds one pull (all its batches) or one announcement may take
    probes_per_round: int = 8
    replay_cache: int = 100_000  # message ids remembered for the replay window
    round_wait: float | None = None  # how long a round waits for its pulls (None: until they end)
    rng: random.Random = field(default_factory=random.SystemRandom)
    measure: Callable[[dict[str, Any]], int] | None = None  # message size, for statistics
    events: GossipEvents | None = None  # told when a log grew (the node drops cached lists)
    clock: Clock = SYSTEM_CLOCK  # the time messages carry and are checked against
    stats: GossipStats = field(default_factory=GossipStats)
    _rumours: dict[str, dict[str, Any]] = field(default_factory=dict)      # log → summary to announce
    _known_by: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # (log, seq) → peers (URLs, DIDs)
    _to_pull: dict[str, Pending] = field(default_factory=dict)  # log → what to pull
    _new_proofs: list[dict[str, Any]] = field(default_factory=list)
    _seen: OrderedDict[str, float] = field(default_factory=OrderedDict)  # message id → when it may be forgotten
    _inflight: set[asyncio.Task[None]] = field(default_factory=set)
    _pulling: set[str] = field(default_factory=set)  # logs being pulled
    _busy: Counter[str] = field(default_factory=Counter)  # peer URL (or claim:DID) → pulls running from it
    _new_by: Counter[str] = field(default_factory=Counter)  # announcer → pending logs not held it asked for
    _sending: set[str] = field(default_factory=set)  # peer URLs with an announcement under way
    _probing: set[str] = field(default_factory=set)  # URLs being asked to prove their DID

    # --- messages ---------------------------------------------------------------------------------------

    def _message(self, kind: str, **body: Any) -> dict[str, Any]:
        stamp = now_timestamp(self.clock)
        return sign({"type": kind, "from": self.did, "url": self.url, "time": stamp,
                     "nonce": secrets.token_urlsafe(12), **body}, self.key, suite=suite_for(self.key), created=stamp)

    async def _send(self, url: str, message: dict[str, Any]) -> dict[str, Any] | None:
        """Send to a peer this node chose (never a banned one); None when it failed us."""
        if self.peers.is_banned(url):
            return None
        try:
            async with asyncio.timeout(self.pull_deadline):
                answer = await self.transport.request(url, message)
        except (PeerUnavailable, TimeoutError):
            self.peers.penalise(url, PENALTY_UNREACHABLE)
            return None
        self.stats.sent += 1
        if self.measure is not None:
            self.stats.bytes_sent += self.measure(message)
            self.stats.bytes_received += self.measure(answer)
        self.peers.reward(url)
        return answer

    async def _check_incoming(self, message: Any, address: str | None) -> tuple[str, str | None]:
        """Verify an incoming message; returns the sender's DID and its proved URL (None when this node has
        not reached the sender). Nothing the message claims is acted on before its signature verified:
        the address's bucket is the only state touched until then."""
        if address is not None and not self.peers.allow_address(address):
            self.stats.refused += 1
            raise MessageRefused("rateLimited", f"too many messages from {address[:60]}")
        if not isinstance(message, dict) or not isinstance(message.get("from"), str) \
                or not isinstance(message.get("url"), str):
            raise MessageRefused("malformed", "a message needs from (a DID), url and a proof")
        did = message["from"]
        if self.peers.banned_did(did):  # reading the claim changes nothing; a banned sender costs no verification
            self.stats.refused += 1
            raise MessageRefused("rateLimited", f"{did[:120]} is banned")
        sent = parse_datetime(message.get("time"))
        if sent is None or abs(self.clock.now() - sent) > MESSAGE_SKEW:
            raise MessageRefused("stale", "the message's time is missing or more than 5 minutes off")
        key = message_id(message)
        if self._seen_before(key):
            self.stats.replayed += 1
            raise MessageRefused("replayed", "this message was already received")
        try:
            await verify_signature(message, did, self.resolver)
        except AnchorError as exc:
            if address is not None:
                self.peers.charge_address(address, BAD_SIGNATURE_COST)
            raise MessageRefused("badSignature", exc.message) from None
        if not self.peers.allow_did(did):
            self.stats.refused += 1
            raise MessageRefused("rateLimited", f"{did[:120]} is over its rate")
        if not self._remember(key):  # checked again: a copy may have been verified meanwhile
            self.stats.replayed += 1
            raise MessageRefused("replayed", "this message was already received")
        self.stats.received += 1
        if self.measure is not None:
            self.stats.bytes_received += self.measure(message)
        peer = self.peers.by_did(did)
        if message["url"] != self.url and (peer is None or peer.url != message["url"]):
            # Only a hint: the URL is reached (and the DID proved there) before it is used.
            self.peers.offer(message["url"], address if address is not None else did)
        return did, peer.url if peer is not None else None

    def _seen_before(self, key: str) -> bool:
        expires = self._seen.get(key)
        return expires is not None and expires > asyncio.get_running_loop().time()

    def _remember(self, key: str) -> bool:
        """Remember a message id for the replay window; False when already remembered, or when the window
        holds ``replay_cache`` live ids (refusing is safer than forgetting one, which would allow a replay)."""
        now = asyncio.get_running_loop().time()
        while self._seen and next(iter(self._seen.values())) <= now:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        if len(self._seen) >= self.replay_cache:
            self.stats.refused += 1
            raise MessageRefused("rateLimited", "too many recent messages")
        self._seen[key] = now + REPLAY_WINDOW
        return True

    # --- inbound ----------------------------------------------------------------------------------------

    async def handle(self, message: Any, address: str | None = None) -> dict[str, Any]:
        """Answer one incoming message (raises :class:`MessageRefused`). ``address`` is the connection's
        (the remote IP over HTTP): it is rate-limited before the signature is checked."""
        did, url = await self._check_incoming(message, address)
        kind = message.get("type")
        if kind == "announce":
            known = await self._note_heads(did, url, message.get("heads"), message["url"])
            await self._take_proofs(did, message.get("equivocations"))
            answer: dict[str, Any] = {"known": known}
        elif kind == "pull":
            answer = await self._serve_pull(message)
        elif kind == "exchange":
            await self._note_heads(did, url, message.get("heads"), message["url"])
            await self._take_proofs(did, message.get("equivocations"))
            await self._take_witnesses(did, message.get("witnesses"))
            if url is not None:  # peer exchange only between peers whose URL was proved
                for offered in _strings(message.get("peers"), MAX_PEERS_SHARED):
                    if offered != self.url:
                        self.peers.offer(offered, did)
            answer = {"heads": await self._summaries(), "peers": self._shared_peers(),
                      "witnesses": await self._witness_sample(),
                      "equivocations": await self.anchors.store.equivocations()}
        elif kind == "hello":
            nonce = message.get("nonce")
            if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE:
                raise MessageRefused("malformed", f"hello needs a nonce of 1-{MAX_NONCE} characters")
            answer = self._message("welcome", challenge=nonce)
        else:
            raise MessageRefused("malformed", f"unknown message type {str(kind)[:40]!r}")
        if self.measure is not None:
            self.stats.bytes_sent += self.measure(answer)
        return answer

    async def _note_heads(self, announcer: str, url: str | None, heads: Any, claimed: str | None = None
                          ) -> list[str]:
        """Remember heads newer than ours (or conflicting with ours) that ``announcer`` (a DID, or the URL
        this node asked) said it holds, to pull from its proved ``url`` (else the ``claimed`` one, under its
        budget), or from others known to hold them; record those beyond a held log's head in the store;
        returns the logs whose announced head this node already had. Heads of logs held are always taken;
        of other logs, at most ``MAX_NEW_PER_ANNOUNCER`` per announcer and ``MAX_PENDING`` in all wait."""
        if not isinstance(heads, list) or len(heads) > MAX_HEADS:
            self._penalise(announcer, url)
            raise MessageRefused("malformed", f"heads must be a list of at most {MAX_HEADS}")
        known, behind = [], []
        for item in heads:
            if not (isinstance(item, dict) and isinstance(item.get("log"), str) and isinstance(item.get("seq"), int)
                    and not isinstance(item.get("seq"), bool) and isinstance(item.get("entry"), str)
                    and len(item["log"]) <= 2048 and len(item["entry"]) <= 256):
                continue
            item = {"log": item["log"], "seq": item["seq"], "entry": item["entry"]}
            held = await self.anchors.store.head(item["log"])
            mine = summary(held) if held else None
            if mine is None or item["seq"] > mine["seq"] or \
                    (item["seq"] == mine["seq"] and item["entry"] != mine["entry"]):
                pending = self._to_pull.get(item["log"])
                source = None if url is not None else claimed
                if pending is not None:
                    pending.offer(announcer, item, source)
                elif mine is not None:
                    self._to_pull[item["log"]] = Pending({announcer: Offer(item, source)}, True, announcer)
                elif self._new_by[announcer] < MAX_NEW_PER_ANNOUNCER and self._new_total() < MAX_PENDING:
                    self._to_pull[item["log"]] = Pending({announcer: Offer(item, source)}, False, announcer)
                    self._new_by[announcer] += 1
                if mine is not None and item["seq"] > mine["seq"]:
                    behind.append((item["log"], item["seq"], item["entry"]))
            else:
                known.append(item["log"])
            self._knows(item["log"], item["seq"], announcer)  # authenticated: not told again
            if url is not None:
                self._knows(item["log"], item["seq"], url)
        if behind:
            await self.anchors.store.note_announced(behind, announcer)
        return known

    def _new_total(self) -> int:
        return sum(self._new_by.values())

    def _unqueue(self, log: str) -> Pending:
        """Take ``log`` off the pulls waiting (its announcer's quota is freed)."""
        pending = self._to_pull.pop(log)
        if not pending.held:
            self._new_by[pending.first] -= 1
            if self._new_by[pending.first] <= 0:
                del self._new_by[pending.first]
        return pending

    def _penalise(self, announcer: str, url: str | None) -> None:
        """Penalise an authenticated sender: the URL this node reached, else the DID that signed."""
        if url is not None:
            self.peers.penalise(url)
        else:
            self.peers.penalise_did(announcer)

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

    async def _take_proofs(self, did: str, proofs: Any, url: str | None = None) -> None:
        for proof in proofs[:MAX_HEADS] if isinstance(proofs, list) else []:
            try:
                fresh = await self.anchors.take_equivocation(proof)
            except AnchorError:
                self._penalise(did, url)
                self.stats.invalid += 1
                continue
            if fresh is not None:
                await self._found_equivocation(fresh)

    async def _take_witnesses(self, did: str, statements: Any, url: str | None = None) -> None:
        for statement in statements[:MAX_WITNESSES] if isinstance(statements, list) else []:
            try:
                await self.anchors.take_witness(statement)
            except AnchorError:
                self._penalise(did, url)
                self.stats.invalid += 1

    async def _found_equivocation(self, proof: dict[str, Any]) -> None:
        self._new_proofs.append(proof)
        if self.events is not None:
            self.events.log_grew(proof["log"])

    # --- outbound ---------------------------------------------------------------------------------------

    def has_work(self) -> bool:
        """True when there are heads to pull, rumours to push or URLs to reach."""
        return bool(self._to_pull or self._rumours or self._new_proofs or self.peers.has_candidates())

    def published(self, head: dict[str, Any]) -> None:
        """This node appended to its own log: spread the new head."""
        item = summary(head)
        self._rumours[item["log"]] = item

    async def step(self) -> None:
        """One gossip round of this node. Starts, at once: reaching a few candidate peers, pushing what is new
        (the node's own heads first), and pulling what was announced (budgeted per round and per peer).
        Every request has a deadline (``pull_deadline``); the round waits for its work up to ``round_wait``
        seconds (None: until all ended, then pushes what the pulls brought), and work still running goes on
        in the background — a slow or silent peer never holds up the node's own announcements."""
        started = [*self._spawn_probes(), *self._spawn_push(), *self._spawn_pulls()]
        await self._settle(started)
        if self.round_wait is None:
            await self._settle(self._spawn_push())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._inflight.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:  # a bug in one request must not end others
            logging.getLogger(__name__).error("gossip work failed", exc_info=task.exception())

    async def _settle(self, tasks: list[asyncio.Task[None]]) -> None:
        if tasks and (self.round_wait is None or self.round_wait > 0):
            await asyncio.wait(tasks, timeout=self.round_wait)

    async def close(self) -> None:
        """Stop the requests still running."""
        tasks = list(self._inflight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn_push(self) -> list[asyncio.Task[None]]:
        rumours, self._rumours = self._rumours, {}
        proofs, self._new_proofs = self._new_proofs, []
        if not rumours and not proofs:
            return []
        batches: dict[str, list[dict[str, Any]]] = {}
        for item in rumours.values():
            holders = self._known_by.get((item["log"], item["seq"]), set())
            for peer in self.peers.sample(self.fanout, holders | self._sending):
                batches.setdefault(peer.url, []).append(item)
        if proofs:  # proofs of equivocation go to every usable peer
            for peer in self.peers.usable():
                batches.setdefault(peer.url, [])
        return [self._spawn(self._announce(url, items, proofs)) for url, items in batches.items()]

    async def _announce(self, url: str, items: list[dict[str, Any]], proofs: list[dict[str, Any]]) -> None:
        self._sending.add(url)  # one announcement at a time per peer: a silent one does not pile them up
        try:
            await self._send(url, self._message("announce", heads=items, equivocations=proofs))
        finally:
            self._sending.discard(url)
        for item in items:  # whether the peer had a head or will now pull it, it need not be told again
            self._knows(item["log"], item["seq"], url)

    def _spawn_pulls(self) -> list[asyncio.Task[None]]:
        """Start pulls of announced heads: at most ``pulls_per_round`` running, at most ``pulls_per_peer``
        from one peer (or on one announcer's claim); what is over budget waits for the next round."""
        started = []
        for log, pending in list(self._to_pull.items()):
            if len(self._pulling) >= self.pulls_per_round:
                break
            if log in self._pulling:
                continue
            sources = self._sources(log, pending)
            if not sources:
                pending.sourceless += 1
                if pending.sourceless >= SOURCELESS_ROUNDS:  # nobody able to serve it: forget it
                    self._unqueue(log)
                continue
            if not self._reserve(sources[0]):
                continue
            self._unqueue(log)
            self._pulling.add(log)
            started.append(self._spawn(self._attempt(log, sources)))
        return started

    async def _attempt(self, log: str, sources: list[Source]) -> None:
        """Pull one log: from the announcer of its newest head first; if it fails or sends invalid data, from
        the other announcers, then up to two others known to have it (each within its budget)."""
        try:
            for number, source in enumerate(sources):
                if number and not self._reserve(source):  # (the first was reserved when started)
                    continue
                try:
                    if await self._pull(source.url, log, source.item, source.announcer):
                        return
                finally:
                    for key in source.budget:
                        self._busy[key] -= 1
                        if self._busy[key] <= 0:
                            del self._busy[key]
        finally:
            self._pulling.discard(log)

    def _reserve(self, source: Source) -> bool:
        """Count a pull against its budgets; False when one of them is spent."""
        if any(self._busy[key] >= self.pulls_per_peer for key in source.budget):
            return False
        for key in source.budget:
            self._busy[key] += 1
        return True

    def _sources(self, log: str, pending: Pending) -> list[Source]:
        """Where to pull a log from: each announcer's proved URL (else the URL its message claimed, if it may
        be a peer's URL, budgeted as that announcer's), newest head first; then up to two other usable peers
        known to hold the newest. Never a banned peer."""
        usable = {p.url for p in self.peers.usable()}
        out: list[Source] = []
        for announcer, offer in sorted(pending.offers.items(), key=lambda o: -o[1].item["seq"]):
            if self.peers.banned_did(announcer):
                continue
            url: str | None = announcer if announcer in usable else None
            if url is None:
                peer = self.peers.by_did(announcer)
                url = peer.url if peer is not None and peer.url in usable else None
            budget: tuple[str, ...] = (url,) if url is not None else ()
            if url is None and offer.claimed is not None and offer.claimed != self.url:
                try:
                    url = self.peers.check_url(offer.claimed)
                except PeerUrlRefused:
                    url = None
                if url is not None and self.peers.is_banned(url):
                    url = None
                budget = (url or "", f"claim:{announcer}")
            if url is not None and all(url != s.url for s in out):
                out.append(Source(url, budget, announcer, offer.item))
        newest = max((o.item for o in pending.offers.values()), key=lambda item: item["seq"])
        others = sorted(u for u in self._known_by.get((log, newest["seq"]), set())
                        if u in usable and all(u != s.url for s in out))
        return [*out, *(Source(u, (u,), None, newest) for u in self.rng.sample(others, min(2, len(others))))]

    async def _pull(self, peer: str, log: str, item: dict[str, Any], announcer: str | None = None) -> bool:
        """Pull ``log`` from ``peer`` up to the announced ``item`` within ``pull_deadline``; False when the
        peer failed us."""
        if self.peers.is_banned(peer):
            return False
        try:
            async with asyncio.timeout(self.pull_deadline):
                return await self._pull_batches(peer, log, item, announcer)
        except TimeoutError:
            self.peers.penalise(peer, PENALTY_UNREACHABLE)
            return False

    async def _pull_batches(self, peer: str, log: str, item: dict[str, Any], announcer: str | None) -> bool:
        # Whether ``peer`` itself announced ``item``: if it then cannot serve it, it announced junk.
        claimed = item["seq"] > 0 and announcer is not None and announcer in (peer, self._did_at(peer))
        for _ in range(64):  # at most 64 batches of 256 entries per announcement; the rest on the next one
            held = await self.anchors.store.head(log)
            from_seq = max(1, position(held)[1]) if held else 1  # include the last entry held: a fork shows
            answer = await self._send(peer, self._message("pull", log=log, fromSeq=from_seq))
            if answer is None:
                return False
            self.stats.pulls += 1
            head, entries, more = answer.get("head"), answer.get("entries"), answer.get("more") is True
            if head is None:
                return await self._disproved(peer, log, announcer) if claimed else False
            try:
                if not isinstance(head, dict) or not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
                    raise AnchorError("malformedEntry", f"a pull answer holds a head and at most {MAX_ENTRIES} "
                                      "entries")
                blobs = {cid: base64.b64decode(data, validate=True)
                         for cid, data in (answer.get("blobs") or {}).items()
                         if isinstance(cid, str) and isinstance(data, str)}
                result = await self.anchors.ingest(head, entries, blobs)
                served = position(head)[1]
            except (AnchorError, ValueError, AttributeError, KeyError, TypeError):
                self.stats.invalid += 1
                if claimed:
                    return await self._disproved(peer, log, announcer)
                self.peers.penalise(peer)
                return False
            for proof in result.equivocations:
                await self._found_equivocation(proof)
            if not result.accepted:
                if result.equivocations:
                    return True
                if claimed and served < item["seq"]:
                    return await self._disproved(peer, log, announcer)
                return served <= from_seq
            self._rumours[log] = summary(head)
            if self.events is not None:
                self.events.log_grew(log)
            if not more:
                return await self._disproved(peer, log, announcer) if claimed and served < item["seq"] else True
        return True

    async def _disproved(self, peer: str, log: str, announcer: str | None) -> bool:
        """``peer`` announced a head of ``log`` it could not serve (or served invalid data for): penalise it
        and drop its claim; False (the pull failed)."""
        self.peers.penalise(peer, PENALTY_INVALID)
        if announcer is not None:
            await self.anchors.store.forget_announced(announcer, log)
        return False

    def _did_at(self, url: str) -> str | None:
        peer = self.peers.peers.get(url)
        return peer.did if peer is not None else None

    async def pull_from(self, url: str, log: str) -> bool:
        """Ask the node at ``url`` for its newest entries of ``log`` (e.g. the issuer's own node)."""
        return await self._pull(url, log, {"log": log, "seq": 0})

    def _spawn_probes(self) -> list[asyncio.Task[None]]:
        """Reach candidate URLs, at most ``probes_per_round`` at a time; each that proves a DID becomes a
        peer."""
        free = self.probes_per_round - len(self._probing)
        return [self._spawn(self._hello(url)) for url in self.peers.to_probe(free)] if free > 0 else []

    async def _hello(self, url: str) -> None:
        nonce = secrets.token_urlsafe(16)
        self._probing.add(url)
        try:
            async with asyncio.timeout(self.pull_deadline):
                answer = await self.transport.request(url, self._message("hello", nonce=nonce))
                did = answer.get("from")
                sent = parse_datetime(answer.get("time"))
                if answer.get("type") != "welcome" or answer.get("challenge") != nonce or not isinstance(did, str) \
                        or did == self.did or sent is None or abs(self.clock.now() - sent) > MESSAGE_SKEW:
                    raise AnchorError("malformed", "not a welcome answering this node's nonce")
                await verify_signature(answer, did, self.resolver)
        except (PeerUnavailable, TimeoutError, AnchorError, AttributeError):
            self.peers.probe_failed(url)
            return
        finally:
            self._probing.discard(url)
        self.peers.admit(url, did)

    async def anti_entropy(self) -> None:
        """Exchange head summaries, peers and witness statements with one random peer; pull what we lack."""
        for peer in self.peers.sample(1):
            message = self._message("exchange", heads=await self._summaries(), peers=self._shared_peers(),
                                    witnesses=await self._witness_sample(),
                                    equivocations=await self.anchors.store.equivocations())
            answer = await self._send(peer.url, message)
            if answer is None:
                continue
            announcer = peer.did or peer.url
            try:
                await self._note_heads(announcer, peer.url, answer.get("heads"))
            except MessageRefused:
                continue
            await self._take_proofs(announcer, answer.get("equivocations"), peer.url)
            await self._take_witnesses(announcer, answer.get("witnesses"), peer.url)
            for url in _strings(answer.get("peers"), MAX_PEERS_SHARED):
                if url != self.url:
                    self.peers.offer(url, peer.url)

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
        """Peers to tell others of: only those whose DID was proved at their URL."""
        verified = self.peers.verified()
        return [p.url for p in self.rng.sample(verified, min(MAX_PEERS_SHARED, len(verified)))]

    async def _witness_sample(self) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        for head in (await self.anchors.store.heads())[:MAX_WITNESSES]:
            log, seq, _ = position(head)
            statements.extend((await self.anchors.store.witnesses(log, seq))[:2])
        return statements[:MAX_WITNESSES]


def _strings(value: Any, limit: int) -> list[str]:
    return [item for item in value[:limit] if isinstance(item, str)] if isinstance(value, list) else []
