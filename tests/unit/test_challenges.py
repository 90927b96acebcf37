"""Challenges in the store (SQLite and PostgreSQL): single use, atomic consumption, expiry, a bounded table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vcnode.exchanges.challenges import ChallengeError, ChallengeService, TooManyChallenges
from vcnode.store import open_store


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_challenge_is_consumed_once_even_when_raced(store_location: Path | str) -> None:
    store = await open_store(store_location)
    try:
        service = ChallengeService(store)
        challenge = (await service.issue()).value
        assert await service.check(challenge) == challenge
        outcomes = await asyncio.gather(*(store.consume_challenge(challenge, service.clock()) for _ in range(5)))
        assert sorted(outcomes) == ["consumed", "used", "used", "used", "used"]
        with pytest.raises(ChallengeError) as caught:
            await service.consume(challenge)
        assert (caught.value.code, caught.value.status) == ("challengeUsed", 409)
    finally:
        await store.close()


async def test_expired_challenges_are_refused_then_purged(store_location: Path | str) -> None:
    store = await open_store(store_location)
    clock = Clock()
    try:
        service = ChallengeService(store, ttl=600, max_open=2, clock=clock)
        first = (await service.issue()).value
        await service.issue()
        with pytest.raises(TooManyChallenges):
            await service.issue()
        clock.now += 600
        with pytest.raises(ChallengeError) as caught:
            await service.check(first)
        assert caught.value.code == "challengeExpired"
        await service.issue()  # the expired ones are purged: there is room again
        with pytest.raises(ChallengeError) as caught:
            await service.consume(first)
        assert caught.value.code == "challengeUnknown"
        for bad, code in ((None, "challengeRequired"), ("", "challengeRequired"), (["x"], "challengeRequired"),
                          ("x" * 300, "challengeUnknown")):
            with pytest.raises(ChallengeError) as caught:
                await service.check(bad)
            assert caught.value.code == code
    finally:
        await store.close()
