"""The peer table: who a node gossips with, how each has behaved, and who is banned for a while.

Scores start at 0; invalid data costs ``PENALTY_INVALID``, an unreachable peer ``PENALTY_UNREACHABLE``, a
useful answer gains 1 (up to ``MAX_SCORE``). A peer whose score falls to ``BAN_SCORE`` is banned for
``ban_seconds`` and then starts again from 0. Each peer also has a token bucket for incoming requests.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

PENALTY_INVALID = 10
PENALTY_UNREACHABLE = 2
BAN_SCORE = -30
MAX_SCORE = 50


@dataclass
class Peer:
    """One known node: where to reach it and what it has done."""

    url: str
    did: str | None = None
    source: str = "config"  # config | exchange | inbound
    score: int = 0
    banned_until: float = 0.0
    failures: int = 0
    last_seen: float = 0.0
    tokens: float = field(default=0.0, repr=False)
    refilled: float = field(default=0.0, repr=False)

    def banned(self, now: float) -> bool:
        return self.banned_until > now


class PeerTable:
    """Peers by URL, with scoring, bans and per-peer rate limits."""

    def __init__(self, *, max_peers: int = 256, ban_seconds: float = 600.0, rate: float = 50.0,
                 burst: float = 100.0, rng: random.Random | None = None,
                 clock: object = time.monotonic) -> None:
        self.peers: dict[str, Peer] = {}
        self._max = max_peers
        self._ban_seconds = ban_seconds
        self._rate = rate
        self._burst = burst
        self._rng = rng or random.SystemRandom()
        self._clock = clock
        # Senders not (yet) in the table share one bucket, so new identities cannot flood either.
        self._strangers = Peer("", tokens=burst, refilled=clock())  # type: ignore[operator]

    def _now(self) -> float:
        return self._clock()  # type: ignore[operator]

    def add(self, url: str, did: str | None = None, source: str = "config") -> Peer | None:
        """Add a peer (or name its DID); None when the table is full of better peers."""
        peer = self.peers.get(url)
        if peer is not None:
            if did and not peer.did:
                peer.did = did
            return peer
        if len(self.peers) >= self._max:
            worst = min(self.peers.values(), key=lambda p: (p.source == "config", p.score))
            if worst.source == "config" or worst.score >= 0:
                return None
            del self.peers[worst.url]
        peer = Peer(url, did, source, tokens=self._burst, refilled=self._now())
        self.peers[url] = peer
        return peer

    def usable(self) -> list[Peer]:
        """Peers not banned."""
        now = self._now()
        return [p for p in self.peers.values() if not p.banned(now)]

    def sample(self, count: int, exclude: set[str] | None = None) -> list[Peer]:
        """Up to ``count`` random usable peers."""
        pool = [p for p in self.usable() if not exclude or p.url not in exclude]
        return self._rng.sample(pool, min(count, len(pool)))

    def reward(self, url: str) -> None:
        peer = self.peers.get(url)
        if peer is not None:
            peer.score = min(MAX_SCORE, peer.score + 1)
            peer.failures = 0
            peer.last_seen = self._now()

    def penalise(self, url: str, amount: int = PENALTY_INVALID) -> None:
        """Lower a peer's score; ban it when it falls to the ban score."""
        peer = self.peers.get(url)
        if peer is None:
            return
        peer.score -= amount
        if amount == PENALTY_UNREACHABLE:
            peer.failures += 1
        if peer.score <= BAN_SCORE:
            peer.banned_until = self._now() + self._ban_seconds
            peer.score = 0

    def allow(self, url: str) -> bool:
        """Take one request token from a peer's bucket; False when it is over its rate (or banned)."""
        peer = self.peers.get(url) or self._strangers
        now = self._now()
        if peer.banned(now):
            return False
        peer.tokens = min(self._burst, peer.tokens + (now - peer.refilled) * self._rate)
        peer.refilled = now
        if peer.tokens < 1:
            return False
        peer.tokens -= 1
        return True
