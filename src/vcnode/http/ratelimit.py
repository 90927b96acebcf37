"""Per-client rate limits on the public routes: a token bucket per (limit, client address).

A route opts in by naming its limit: ``@rate_limited("verify")`` on the handler. The limits are
:data:`LIMITS` (``rate_limit_<name>`` requests a second sustained, ``rate_limit_<name>_burst`` at once);
a request over its limit gets ``429`` ``rateLimited`` (problem+json) with ``Retry-After`` (whole seconds until
the bucket holds a request again). Routes that do not opt in (the token-protected API, status lists, DID
documents, gossip with its own per-peer limits) are not limited here.

- Clients in ``rate_limit_exempt`` (loopback by default) are not limited; behind a reverse proxy the client
  address is the forwarded one only with ``trusted_proxies`` (:mod:`vcnode.http.clients`).
- A request over its limit that carries a valid bearer token of this node (any scope) is let through: the
  operator's own clients are not limited. The token is checked only then, so a flood pays no lookups.
- IPv6 clients are counted by their /64 (one subscriber's usual allocation), so rotating addresses within it
  gains nothing.
- Memory is bounded: at most ``rate_limit_clients`` buckets, the least recently used dropped first (a dropped
  client starts again with a full bucket).
- Buckets live in the serving process: with several serving processes each enforces the limits on what it
  receives.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from vcnode.config import Config
from vcnode.errors import VcnodeError
from vcnode.http.access import client_address
from vcnode.http.clients import networks, parse_address, within
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import problem_response

#: The limits a route may opt into.
LIMITS = ("verify", "resolve", "exchanges", "pages")
ATTRIBUTE = "vcnode_rate_limit"
IPV6_PREFIX = 64

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Callable[..., object])


def rate_limited(name: str) -> Callable[[H], H]:
    """Decorator: the handler's route counts against the per-client limit ``name`` (one of :data:`LIMITS`)."""
    if name not in LIMITS:
        raise ValueError(f"unknown rate limit {name!r}; one of {', '.join(LIMITS)}")

    def mark(handler: H) -> H:
        setattr(handler, ATTRIBUTE, name)
        return handler

    return mark


@dataclass(frozen=True, slots=True)
class Limit:
    """A token bucket's refill ``rate`` (requests a second; 0: no limit) and size ``burst``."""

    rate: float
    burst: int


class RateLimiter:
    """Token buckets by (limit, client), at most ``max_clients`` of them."""

    def __init__(self, limits: dict[str, Limit], *, exempt: Iterable[str] = (), max_clients: int = 65_536,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = {name: limit for name, limit in limits.items() if limit.rate > 0}
        self._exempt = networks(exempt)
        self._max = max_clients
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], list[float]] = OrderedDict()  # key → [tokens, when]
        self._clients: dict[str, str | None] = {}  # address → _bucket_of(address), for at most max_clients

    @classmethod
    def from_config(cls, config: Config) -> RateLimiter:
        """The limits ``config`` sets."""
        limits = {name: Limit(getattr(config, f"rate_limit_{name}"), getattr(config, f"rate_limit_{name}_burst"))
                  for name in LIMITS}
        return cls(limits, exempt=config.rate_limit_exempt, max_clients=config.rate_limit_clients)

    def _bucket_of(self, client: str) -> str | None:
        """Whose bucket ``client`` draws from: None when exempt, its /64 when an IPv6 address."""
        address = parse_address(client)
        if within(address, self._exempt):
            return None
        if isinstance(address, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
        return client

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, name: str, client: str) -> float:
        """Take one request from ``client``'s bucket for ``name``: 0 when allowed, else the seconds until it
        would be."""
        limit = self._limits.get(name)
        if limit is None:
            return 0.0
        bucket_of = self._clients.get(client, "")
        if bucket_of == "":  # not seen lately: parse the address once (the parse costs more than the rest)
            if len(self._clients) >= self._max:
                self._clients.clear()
            bucket_of = self._clients[client] = self._bucket_of(client)
        if bucket_of is None:
            return 0.0
        key = (name, bucket_of)
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = [float(limit.burst), now]
            if len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket[0] = min(float(limit.burst), bucket[0] + (now - bucket[1]) * limit.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return 0.0
        return (1.0 - bucket[0]) / limit.rate


LIMITER_KEY = web.AppKey("rate_limiter", RateLimiter)


async def _has_valid_token(request: web.Request) -> bool:
    header = request.headers.get("Authorization")
    if not header:
        return False
    from vcnode.auth.tokens import SCOPES

    try:
        await request.app[NODE_KEY].tokens.authenticate(header, SCOPES)
    except VcnodeError:
        return False
    return True


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a request to an opted-in route when its client is over the limit."""
    name = getattr(request.match_info.handler, ATTRIBUTE, None)
    if name is None:
        return await handler(request)
    wait = request.app[LIMITER_KEY].take(name, client_address(request))
    if wait and not await _has_valid_token(request):
        seconds = max(1, math.ceil(wait))
        return problem_response(429, "rateLimited", f"too many {name} requests from this client; retry in "
                                f"{seconds} s", title="Too many requests", headers={"Retry-After": str(seconds)},
                                retryAfter=seconds, limit=name)
    return await handler(request)
