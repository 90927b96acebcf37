"""The peer table: who a node gossips with, how each has behaved, and who is banned for a while.

A URL becomes a peer only when the operator configured it, or when this node reached the URL itself and the
node there proved its DID (a signed answer to a fresh nonce, see :mod:`vcnode.p2p.gossip`); URLs heard from
others wait, few per source, as *candidates* until then. One DID has one URL: a newer proof moves it. What a
message merely claims (its ``from``, its ``url``) never changes the table, a score or a bucket — only what was
authenticated (a signature that verified, an answer from a URL this node contacted) or the connection's
address does.

Scores start at 0; invalid data costs ``PENALTY_INVALID``, an unreachable peer ``PENALTY_UNREACHABLE``, a
useful answer gains 1 (up to ``MAX_SCORE``). A peer whose score falls to ``BAN_SCORE`` is banned for
``ban_seconds`` and then starts again from 0; a peer (not configured) that failed ``MAX_FAILURES`` times in a
row is dropped. Incoming requests take a token from the bucket of the connection's address before their
signature is checked, and from the bucket of the signing DID after.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from vcnode.net.fetch import host_address, is_public_address

PENALTY_INVALID = 10
PENALTY_UNREACHABLE = 2
BAN_SCORE = -30
MAX_SCORE = 50
MAX_FAILURES = 8
MAX_URL_LENGTH = 512
MAX_PROBE_BACKOFF = 30.0  # seconds between asks of a configured peer that does not answer
MAX_TRACKED = 4096  # identities and addresses not in the table whose buckets and scores are remembered


class PeerUrlRefused(ValueError):
    """A URL that may not become a peer (not http(s), userinfo, a private or metadata address…)."""


def check_peer_url(url: str, allowed_hosts: Iterable[str] = ()) -> str:
    """``url`` as a peer's base URL (no trailing slash), or :class:`PeerUrlRefused`.

    Only http(s) URLs with a host and no userinfo, query or fragment; plain HTTP, IP literals that are not
    globally routable (loopback, private, link-local such as the 169.254.169.254 metadata service) and
    single-label names such as ``localhost`` only for hosts in ``allowed_hosts`` (``allow_http_hosts``, as
    for every other outbound fetch). Names are checked again when connecting (``vcnode.net.fetch``)."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise PeerUrlRefused("a peer URL must be a string of at most 512 characters")
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise PeerUrlRefused(f"{url[:120]!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise PeerUrlRefused(f"{url[:120]!r} is not an http(s) URL with a host")
    if "@" in parts.netloc:
        raise PeerUrlRefused(f"{url[:120]!r} carries userinfo")
    if parts.query or parts.fragment or "#" in url:
        raise PeerUrlRefused(f"{url[:120]!r} has a query or fragment: a peer is a base URL")
    allowed = host in {h.lower().strip("[]") for h in allowed_hosts}
    if not allowed:
        if parts.scheme == "http":
            raise PeerUrlRefused(f"{url[:120]!r}: plain HTTP only for allow_http_hosts")
        literal = host_address(host)  # however an address is spelled (127.1, 0x7f000001, [64:ff9b::7f00:1]…)
        if literal is not None and not is_public_address(literal):
            raise PeerUrlRefused(f"{url[:120]!r}: not a public address")
        if literal is None and ("." not in host or host.endswith((".localhost", ".local", ".internal"))):
            raise PeerUrlRefused(f"{url[:120]!r}: not a public host name")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


@dataclass
class Standing:
    """What an authenticated identity (or an address) has done: score, ban and request bucket."""

    score: int = 0
    banned_until: float = 0.0
    tokens: float = field(default=0.0, repr=False)
    refilled: float = field(default=0.0, repr=False)

    def banned(self, now: float) -> bool:
        return self.banned_until > now


@dataclass
class Peer(Standing):
    """One known node: where to reach it and what it has done."""

    url: str = ""
    did: str | None = None  # set only from the configuration or by the node proving it at ``url``
    source: str = "config"  # config | exchange | inbound | saved
    failures: int = 0
    last_seen: float = 0.0
    verified: bool = False  # this node reached ``url`` and the node there proved ``did``
    next_probe: float = 0.0  # when to ask a configured peer whose DID is unknown (again)
    probe_backoff: float = 0.0


@dataclass
class Candidate:
    """A URL heard of (from a peer's exchange, or a message's claim), not yet reached."""

    url: str
    source: str


class PeerTable:
    """Peers by URL, candidates waiting to be reached, scores, bans and rate limits."""

    def __init__(self, *, max_peers: int = 256, ban_seconds: float = 600.0, rate: float = 50.0,
                 burst: float = 100.0, address_rate: float = 200.0, address_burst: float = 400.0,
                 max_candidates: int = 64, candidates_per_source: int = 8, allowed_hosts: Iterable[str] = (),
                 check_url: Callable[[str], str] | None = None, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.peers: dict[str, Peer] = {}
        self.candidates: OrderedDict[str, Candidate] = OrderedDict()
        self._max = max_peers
        self._ban_seconds = ban_seconds
        self._rate, self._burst = rate, burst
        self._address_rate, self._address_burst = address_rate, address_burst
        self._max_candidates = max_candidates
        self._per_source = candidates_per_source
        allowed = frozenset(h.lower().strip("[]") for h in allowed_hosts)
        self.check_url: Callable[[str], str] = check_url or (lambda url: check_peer_url(url, allowed))
        self._rng = rng or random.SystemRandom()
        self._clock = clock
        self._strangers: OrderedDict[str, Standing] = OrderedDict()  # DIDs that are not peers
        self._addresses: OrderedDict[str, Standing] = OrderedDict()
        self._dropped: OrderedDict[str, Standing] = OrderedDict()  # URLs dropped for not answering

    # --- membership -------------------------------------------------------------------------------------

    def add(self, url: str, did: str | None = None, source: str = "config") -> Peer | None:
        """Add a peer the operator named (configuration, a saved table); ``did`` as the operator states it.
        None when the table is full of better peers."""
        peer = self.peers.get(url)
        if peer is not None:
            if did and not peer.did:
                peer.did, peer.verified = did, True
            return peer
        if not self._room():
            return None
        peer = Peer(url=url, did=did, source=source, verified=did is not None, tokens=self._burst,
                    refilled=self._clock())
        self.peers[url] = peer
        self.candidates.pop(url, None)
        return peer

    def offer(self, url: str, source: str) -> bool:
        """Remember ``url`` (heard from ``source``: a peer's URL or DID, or a connection's address) as a
        candidate to reach; False when refused (a junk URL, already known, over the source's quota or the
        candidates' room)."""
        try:
            url = self.check_url(url)
        except PeerUrlRefused:
            return False
        if url in self.peers or url in self.candidates or len(self.candidates) >= self._max_candidates \
                or self.is_banned(url):
            return False
        if sum(1 for c in self.candidates.values() if c.source == source) >= self._per_source:
            return False
        self.candidates[url] = Candidate(url, source)
        return True

    def to_probe(self, count: int) -> list[str]:
        """Up to ``count`` URLs to reach now: candidates (oldest first, taken off the list) and configured
        peers whose DID is not yet known."""
        now = self._clock()
        urls = [p.url for p in self._unproved(now)][:count]
        for url in urls:  # asked again after 1, 2, 4 … up to 30 s unless it proves its DID
            peer = self.peers[url]
            peer.probe_backoff = min(MAX_PROBE_BACKOFF, max(1.0, 2 * peer.probe_backoff))
            peer.next_probe = now + peer.probe_backoff
        while len(urls) < count and self.candidates:
            urls.append(self.candidates.popitem(last=False)[0])
        return urls

    def admit(self, url: str, did: str) -> Peer | None:
        """The node at ``url`` (reached by this node) proved it holds ``did``: it is a verified peer, and the
        only one for ``did``. None when the table is full of better peers."""
        self.candidates.pop(url, None)
        self._dropped.pop(url, None)
        for other in [p for p in self.peers.values() if p.did == did and p.url != url]:
            if other.source == "config":
                other.did, other.verified = None, False  # it moved: the configured URL is asked again later
            else:
                del self.peers[other.url]
        peer = self.peers.get(url)
        if peer is None:
            if not self._room():
                return None
            stranger = self._strangers.pop(did, Standing())
            peer = Peer(url=url, source="inbound", score=stranger.score, banned_until=stranger.banned_until,
                        tokens=self._burst, refilled=self._clock())
            self.peers[url] = peer
        peer.did, peer.verified, peer.failures, peer.probe_backoff = did, True, 0, 0.0
        peer.last_seen = self._clock()
        return peer

    def probe_failed(self, url: str) -> None:
        """A URL did not prove a DID: a candidate is forgotten (a configured peer is asked again later)."""
        self.candidates.pop(url, None)

    def _unproved(self, now: float) -> list[Peer]:
        return [p for p in self.peers.values() if not p.did and p.next_probe <= now and not p.banned(now)]

    def _room(self) -> bool:
        """Whether a peer can be added, evicting the worst one (never configured, below 0) if needed."""
        if len(self.peers) < self._max:
            return True
        worst = min(self.peers.values(), key=lambda p: (p.source == "config", p.score, -p.failures))
        if worst.source == "config" or worst.score >= 0:
            return False
        del self.peers[worst.url]
        return True

    def by_did(self, did: str) -> Peer | None:
        """The verified peer holding ``did``."""
        return next((p for p in self.peers.values() if p.did == did), None)

    def has_candidates(self) -> bool:
        """True when there are URLs to reach (candidates, or configured peers whose DID is unknown)."""
        return bool(self.candidates) or bool(self._unproved(self._clock()))

    def usable(self) -> list[Peer]:
        """Peers not banned."""
        now = self._clock()
        return [p for p in self.peers.values() if not p.banned(now)]

    def verified(self) -> list[Peer]:
        """Peers not banned whose DID was proved at their URL (the only ones shared with others)."""
        return [p for p in self.usable() if p.verified]

    def sample(self, count: int, exclude: set[str] | None = None) -> list[Peer]:
        """Up to ``count`` random usable peers, none whose URL or DID is in ``exclude``."""
        pool = [p for p in self.usable() if not exclude or (p.url not in exclude and p.did not in exclude)]
        return self._rng.sample(pool, min(count, len(pool)))

    def is_banned(self, url: str) -> bool:
        """True when the peer at ``url`` is banned, or was dropped for not answering (never send to it,
        never pull from it)."""
        peer = self.peers.get(url) or self._dropped.get(url)
        return peer is not None and peer.banned(self._clock())

    # --- behaviour --------------------------------------------------------------------------------------

    def reward(self, url: str) -> None:
        """A peer this node reached answered usefully."""
        peer = self.peers.get(url)
        if peer is not None:
            peer.score = min(MAX_SCORE, peer.score + 1)
            peer.failures = 0
            peer.last_seen = self._clock()
            if not peer.did:  # it answers now: ask it for its DID at once
                peer.next_probe = 0.0

    def penalise(self, url: str, amount: int = PENALTY_INVALID) -> None:
        """Lower the score of the peer at ``url`` (which this node reached itself); ban it at the ban score;
        drop it after ``MAX_FAILURES`` unreachable answers in a row (unless configured)."""
        peer = self.peers.get(url)
        if peer is None:
            return
        self._lower(peer, amount)
        if amount == PENALTY_UNREACHABLE:
            peer.failures += 1
            if peer.failures >= MAX_FAILURES and peer.source != "config":
                # Dropped, and kept out (not offered, sent to or pulled from) for the ban time.
                del self.peers[url]
                until = self._clock() + self._ban_seconds
                self._tracked(self._dropped, url, 0).banned_until = until
                if peer.did:
                    self._tracked(self._strangers, peer.did, self._burst).banned_until = until

    def penalise_did(self, did: str, amount: int = PENALTY_INVALID) -> None:
        """Lower the score of an authenticated sender (one whose signature verified)."""
        self._lower(self._standing(did), amount)

    def _lower(self, standing: Standing, amount: int) -> None:
        standing.score -= amount
        if standing.score <= BAN_SCORE:
            standing.banned_until = self._clock() + self._ban_seconds
            standing.score = 0

    def banned_did(self, did: str) -> bool:
        """True when ``did`` is banned. Reading a claim changes nothing, so this may be asked before the
        signature is checked."""
        peer = self.by_did(did)
        standing = peer if peer is not None else self._strangers.get(did)
        return standing is not None and standing.banned(self._clock())

    def allow_did(self, did: str) -> bool:
        """Take a token from an authenticated sender's bucket; False when over its rate or banned."""
        standing = self._standing(did)
        return not standing.banned(self._clock()) and self._take(standing, self._rate, self._burst, 1)

    def allow_address(self, address: str) -> bool:
        """Take a token from the bucket of a connection's address (before any signature is checked)."""
        return self._take(self._tracked(self._addresses, address, self._address_burst), self._address_rate,
                          self._address_burst, 1)

    def charge_address(self, address: str, tokens: float) -> None:
        """Take extra tokens from an address that sent something costly and invalid (a bad signature)."""
        standing = self._tracked(self._addresses, address, self._address_burst)
        self._take(standing, self._address_rate, self._address_burst, 0)
        standing.tokens -= tokens

    def _standing(self, did: str) -> Standing:
        peer = self.by_did(did)
        return peer if peer is not None else self._tracked(self._strangers, did, self._burst)

    def _tracked(self, table: OrderedDict[str, Standing], key: str, burst: float) -> Standing:
        standing = table.get(key)
        if standing is None:
            standing = table[key] = Standing(tokens=burst, refilled=self._clock())
            if len(table) > MAX_TRACKED:  # bounded: the least recently seen is forgotten
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        return standing

    def _take(self, standing: Standing, rate: float, burst: float, cost: float) -> bool:
        now = self._clock()
        standing.tokens = min(burst, standing.tokens + (now - standing.refilled) * rate)
        standing.refilled = now
        if standing.tokens < cost or standing.tokens < 0:
            return False
        standing.tokens -= cost
        return True
