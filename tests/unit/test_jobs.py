"""Background jobs in the store and their runner: claiming is a compare-and-set (two processes racing for jobs
get each job once), a lease that passed is taken over and the old holder can neither renew, report progress
nor finish it, progress never goes back, a job whose processes keep dying is given up, the per-token limit
holds under concurrent adds. Two store connections on one database (an SQLite file; a PostgreSQL database)
stand for two processes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from vcnode.errors import InvalidInput
from vcnode.jobs.model import JobOutcome, JobSettings, job_view, new_job_id
from vcnode.jobs.records import JobRecord
from vcnode.jobs.runner import JobContext, JobRunner
from vcnode.store import open_store


def job(created: float, owner: str = "tok1", identity: str = "did:example:a", total: int = 10) -> JobRecord:
    return JobRecord(new_job_id(), "test", owner, identity, "queued", json.dumps({"n": total}), total=total,
                     created=created)


@pytest.fixture
async def stores(store_location: Path | str):
    first = await open_store(store_location)
    second = await open_store(store_location)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_a_job_is_claimed_once_and_its_lease_taken_over_only_when_it_passed(stores) -> None:
    one, two = stores
    queued = job(100.0)
    assert await one.add_job(queued, max_active=5)
    claimed = await one.claim_job("p1", 101.0, 131.0, 3)
    assert claimed is not None and claimed.id == queued.id and claimed.state == "running"
    assert claimed.lease_owner == "p1" and claimed.attempts == 1
    assert await two.claim_job("p2", 120.0, 150.0, 3) is None  # p1's lease holds until 131
    assert await one.renew_job(queued.id, "p1", 125.0, 155.0, (4, 10))
    assert await two.claim_job("p2", 140.0, 170.0, 3) is None  # renewed until 155
    taken = await two.claim_job("p2", 156.0, 186.0, 3)  # p1 died: its lease passed
    assert taken is not None and taken.lease_owner == "p2" and taken.attempts == 2 and taken.done == 4
    # The old holder, still alive but too slow, can no longer touch the job.
    assert not await one.renew_job(queued.id, "p1", 157.0, 187.0, (8, 10))
    assert not await one.finish_job(queued.id, "p1", 158.0, state="done", summary="{}", result=b"zip")
    assert not await one.release_job(queued.id, "p1", 158.0)
    assert await two.renew_job(queued.id, "p2", 160.0, 190.0, (2, 10))  # re-counting from the start…
    assert (await one.get_job(queued.id)).done == 4  # … never moves the bar back
    assert await two.finish_job(queued.id, "p2", 170.0, state="done", summary='{"issued": 10}', result=b"PK")
    done = await one.get_job(queued.id)
    assert done.state == "done" and done.done == 10 and done.result_size == 2 and done.lease_owner is None
    assert await one.job_result(queued.id) == b"PK"
    assert not await two.finish_job(queued.id, "p2", 171.0, state="failed", error="{}")  # final stays final
    assert job_view(done)["percent"] == 100 and job_view(done)["summary"] == {"issued": 10}


async def test_two_processes_racing_claim_each_job_exactly_once(stores) -> None:
    one, two = stores
    ids = []
    for n in range(12):
        queued = job(float(n), owner=f"tok{n}")
        ids.append(queued.id)
        assert await one.add_job(queued, max_active=1)

    async def drain(store, owner: str) -> list[str]:
        got = []
        while (claimed := await store.claim_job(owner, 1000.0, 2000.0, 3)) is not None:
            got.append(claimed.id)
            await asyncio.sleep(0)
        return got

    first, second = await asyncio.gather(drain(one, "p1"), drain(two, "p2"))
    assert sorted(first + second) == sorted(ids) and not set(first) & set(second)


async def test_a_job_whose_processes_keep_dying_is_given_up(stores) -> None:
    one, _ = stores
    queued = job(1.0)
    await one.add_job(queued, max_active=5)
    for attempt in range(1, 3):
        claimed = await one.claim_job(f"p{attempt}", attempt * 100.0, attempt * 100.0 + 30, 2)
        assert claimed is not None and claimed.attempts == attempt
    assert await one.claim_job("p3", 1000.0, 1030.0, 2) is None
    failed = await one.get_job(queued.id)
    assert failed.state == "failed" and json.loads(failed.error)["code"] == "jobAbandoned"


async def test_a_released_job_is_queued_again_without_counting_the_attempt(stores) -> None:
    one, two = stores
    queued = job(1.0)
    await one.add_job(queued, max_active=5)
    await one.claim_job("p1", 10.0, 40.0, 1)
    assert await one.release_job(queued.id, "p1", 11.0)
    again = await two.claim_job("p2", 12.0, 42.0, 1)  # at once, not after the lease; max_attempts 1 still allows it
    assert again is not None and again.attempts == 1 and again.lease_owner == "p2"


async def test_the_active_job_limit_holds_under_concurrent_adds(stores) -> None:
    one, two = stores
    results = await asyncio.gather(*(store.add_job(job(float(n)), max_active=3)
                                     for n, store in enumerate([one, two] * 4)))
    assert sum(results) == 3
    assert len(await one.list_jobs()) == 3
    assert await one.add_job(job(50.0, owner="tok2"), max_active=3)  # another token has its own limit


async def test_listing_by_identity_and_purging_finished_jobs(stores) -> None:
    one, _ = stores
    a, b = job(1.0, identity="did:example:a"), job(2.0, identity="did:example:b")
    for queued in (a, b):
        await one.add_job(queued, max_active=5)
    assert [j.id for j in await one.list_jobs(["did:example:a"])] == [a.id]
    assert [j.id for j in await one.list_jobs()] == [b.id, a.id]
    claimed = await one.claim_job("p1", 10.0, 40.0, 3)
    await one.finish_job(claimed.id, "p1", 20.0, state="failed", error='{"code": "x", "detail": "y"}')
    assert await one.purge_jobs(15.0) == 0 and await one.purge_jobs(21.0) == 1
    assert await one.get_job(a.id) is None and await one.get_job(b.id) is not None


# --- the runner ----------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_runner_records_progress_and_the_outcome(stores) -> None:
    one, two = stores
    seen: list[tuple[int, int]] = []

    async def count(context: JobContext) -> JobOutcome:
        total = context.input["n"]
        for done in range(0, total + 1, 5):
            await context.progress(done, total)
            seen.append(((await two.get_job(context.job.id)).done, total))  # another process sees each step
        return JobOutcome({"counted": total}, b"result")

    async def refuse(context: JobContext) -> JobOutcome:
        raise InvalidInput("row 3, column 'email': not an email address")

    runner = JobRunner(one, {"test": count, "bad": refuse}, JobSettings())
    good = job(1.0)
    await one.add_job(good, max_active=5)
    bad = JobRecord(new_job_id(), "bad", "tok1", "did:example:a", "queued", "{}", created=2.0)
    await one.add_job(bad, max_active=5)
    assert await runner.run_once() and await runner.run_once() and not await runner.run_once()
    assert seen == [(0, 10), (5, 10), (10, 10)]
    finished = await two.get_job(good.id)
    assert finished.state == "done" and json.loads(finished.summary) == {"counted": 10}
    assert await two.job_result(good.id) == b"result"
    failed = await two.get_job(bad.id)
    assert failed.state == "failed" and json.loads(failed.error)["code"] == "invalidInput"


async def test_a_result_over_the_cap_fails_the_job(stores) -> None:
    one, _ = stores

    async def big(context: JobContext) -> JobOutcome:
        return JobOutcome({}, b"x" * 2048)

    runner = JobRunner(one, {"test": big}, JobSettings(result_max_bytes=1024))
    queued = job(1.0)
    await one.add_job(queued, max_active=5)
    await runner.run_once()
    failed = await one.get_job(queued.id)
    assert failed.state == "failed" and json.loads(failed.error)["code"] == "resultTooLarge"
    assert await one.job_result(queued.id) is None


async def test_a_runner_that_lost_its_lease_stops_and_the_other_finishes(stores) -> None:
    one, two = stores
    clock = Clock()
    settings = JobSettings(lease=30.0)
    calls: list[str] = []
    slow = JobRunner(one, {}, settings, owner="slow", clock=clock)
    fast = JobRunner(two, {}, settings, owner="fast", clock=clock)

    async def work(context: JobContext) -> JobOutcome:
        calls.append(context._runner.owner)
        await context.progress(1, 10)
        if context._runner is slow:
            clock.now += 60  # this process stalls past its lease; the other takes the job over meanwhile
            assert await fast.run_once()
        await context.progress(10, 10)  # the slow one is told here that it lost the job
        return JobOutcome({"by": context._runner.owner}, b"zip")

    slow.handlers = fast.handlers = {"test": work}
    queued = job(1.0)
    await one.add_job(queued, max_active=5)
    assert await slow.run_once()
    assert calls == ["slow", "fast"]
    finished = await one.get_job(queued.id)
    assert finished.state == "done" and json.loads(finished.summary) == {"by": "fast"}


async def test_stopping_the_runner_gives_its_job_back(stores) -> None:
    one, two = stores
    started = asyncio.Event()

    async def forever(context: JobContext) -> JobOutcome:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    runner = JobRunner(one, {"test": forever}, JobSettings(poll_interval=0.05))
    queued = job(1.0)
    await one.add_job(queued, max_active=5)
    runner.start()
    await asyncio.wait_for(started.wait(), 5)
    await runner.stop()
    back = await two.get_job(queued.id)
    assert back.state == "queued" and back.lease_owner is None and back.attempts == 0
