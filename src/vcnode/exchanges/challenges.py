"""Challenges for presentation exchanges: random, short lived, single use.

A holder asks for a challenge (``POST /challenges``), signs its presentation with it (``proof.challenge``),
and the verifier consumes it when it accepts the presentation, so a presentation cannot be replayed. The
challenges live in the store (they survive a restart and are shared by every worker on one database);
expired ones are purged whenever a new one is handed out, and at most ``max_open`` are held at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vcnode.errors import VcnodeError
from vcnode.exchanges.repository import ChallengeRepository

#: How long a challenge can be used (seconds).
DEFAULT_TTL = 600.0
#: How many unexpired challenges are held at most (a bound on the table, whoever asks).
DEFAULT_MAX_OPEN = 10_000
#: A challenge longer than this was never handed out by this node.
MAX_CHALLENGE_LENGTH = 256


class ChallengeError(VcnodeError):
    """The challenge of a presentation exchange cannot be used: missing, unknown, expired or used."""

    code = "challengeUnknown"
    status = 400
    title = "Challenge not accepted"


class TooManyChallenges(VcnodeError):
    """The table of open challenges is full: ask again once some have expired."""

    code = "tooManyChallenges"
    status = 503
    title = "Too many open challenges"


_REFUSALS = {
    "unknown": ("challengeUnknown", 400, "this node did not hand out the challenge (or it expired long ago): "
                                        "get one from POST /challenges"),
    "expired": ("challengeExpired", 400, "the challenge has expired: get a new one from POST /challenges"),
    "used": ("challengeUsed", 409, "the challenge was already used by an accepted presentation: get a new one "
                                   "from POST /challenges"),
}


@dataclass(frozen=True)
class Challenge:
    """A challenge handed out, and until when (Unix seconds) it can be used."""

    value: str
    expires: float

    def to_json(self) -> dict[str, Any]:
        """``{"challenge": …}`` as ``POST /challenges`` answers (the W3C VC API verifier's shape), plus
        ``expires`` (RFC 3339)."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.expires))
        return {"challenge": self.value, "expires": stamp}


class ChallengeService:
    """Hands out, checks and consumes challenges kept in ``store``. ``clock`` gives Unix seconds."""

    def __init__(self, store: ChallengeRepository, *, ttl: float = DEFAULT_TTL, max_open: int = DEFAULT_MAX_OPEN,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.ttl = ttl
        self.max_open = max_open
        self.clock = clock

    async def issue(self) -> Challenge:
        """A new random challenge (192 bits, base64url), stored until it expires.
        :class:`TooManyChallenges` when ``max_open`` unexpired challenges are held."""
        now = self.clock()
        challenge = Challenge(secrets.token_urlsafe(24), now + self.ttl)
        if not await self.store.add_challenge(challenge.value, now, challenge.expires, self.max_open):
            raise TooManyChallenges(f"{self.max_open} challenges are open; try again when some have expired",
                                    extra={"retryAfter": int(self.ttl)})
        return challenge

    @staticmethod
    def _value(challenge: Any) -> str:
        if challenge is None:
            raise ChallengeError("options.challenge is required: get one from POST /challenges and sign the "
                                 "presentation with it", code="challengeRequired")
        if not isinstance(challenge, str) or not challenge:
            raise ChallengeError("options.challenge must be a non-empty string", code="challengeRequired")
        if len(challenge) > MAX_CHALLENGE_LENGTH:
            raise refusal("unknown")
        return challenge

    async def check(self, challenge: Any) -> str:
        """The challenge when it can be used now (nothing is consumed); :class:`ChallengeError` otherwise
        (``challengeRequired``, ``challengeUnknown``, ``challengeExpired``, ``challengeUsed``)."""
        value = self._value(challenge)
        state = await self.store.challenge_state(value, self.clock())
        if state != "open":
            raise refusal(state)
        return value

    async def consume(self, challenge: Any) -> None:
        """Use the challenge up, atomically: of two presentations with one challenge only one gets through;
        :class:`ChallengeError` otherwise."""
        state = await self.store.consume_challenge(self._value(challenge), self.clock())
        if state != "consumed":
            raise refusal(state)


def refusal(state: str) -> ChallengeError:
    """The error for a challenge that cannot be consumed in ``state``."""
    code, status, detail = _REFUSALS.get(state, _REFUSALS["unknown"])
    return ChallengeError(detail, code=code, status=status)
