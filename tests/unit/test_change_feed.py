"""The change feed (issue 16): events written in the transaction of the change they describe, read back in
order by another connection to the same SQLite file (what another process on the node holds), dispatched to
the subscribers; a reader that fell behind a prune (or whose subscriber failed) resets instead of guessing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vcnode.feed import (
    ChangeEvent,
    ChangeFeed,
    EquivocationFound,
    IdentityChanged,
    LogGrew,
    StatementPublished,
    StatusListChanged,
    decode,
    encode,
)
from vcnode.status.records import StatusChange, StatusListSpec
from vcnode.store import changes
from vcnode.store.changes import SqlChangeLog
from vcnode.store.sqlite import SqliteStore

ISSUER = "did:example:issuer"


class Recorder:
    """A subscriber that notes what it is told."""

    def __init__(self, fail_on: ChangeEvent | None = None) -> None:
        self.events: list[ChangeEvent] = []
        self.resets = 0
        self.fail_on = fail_on

    async def changed(self, event: ChangeEvent) -> None:
        if event == self.fail_on:
            self.fail_on = None
            raise RuntimeError("the cache could not drop it")
        self.events.append(event)

    async def reset(self) -> None:
        self.resets += 1


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    """A writer and a reader: two connections to one store file, as two processes of one node hold it."""
    opened = []
    for _ in range(2):
        store = SqliteStore(tmp_path / "node.sqlite3")
        await store.open()
        opened.append(store)
    try:
        yield opened[0], opened[1]
    finally:
        for store in opened:
            await store.close()


async def started(store: SqliteStore) -> tuple[ChangeFeed, Recorder]:
    feed = ChangeFeed(SqlChangeLog(store), batch=3)
    recorder = Recorder()
    feed.subscribe(recorder)
    await feed.start()
    return feed, recorder


async def write(store: SqliteStore, *events: ChangeEvent) -> None:
    async with store.transaction() as db:
        await store.record(db, *events)


def test_events_round_trip_through_their_stored_form() -> None:
    for event in (StatusListChanged("l1"), IdentityChanged("did:web:a"), LogGrew("did:key:z", 7),
                  StatementPublished("did:key:z", "https://a.example/s/1"), EquivocationFound("did:key:z")):
        assert decode(*encode(event)) == event
    assert decode("fromTheFuture", "x") is None and decode("log", "not json") is None


async def test_another_connections_events_are_dispatched_in_order_and_own_ones_skipped(two) -> None:
    writer, reader = two
    feed, seen = await started(reader)
    written = [StatusListChanged(f"list-{n}") for n in range(7)] + [LogGrew("did:key:z", 3)]
    for event in written:  # one transaction each, more than a batch
        await write(writer, event)
    await write(reader, IdentityChanged("did:web:own"))  # this process's own write: its caches saw it
    assert await feed.poll_now()
    assert seen.events == written and seen.resets == 0
    assert not await feed.poll_now()  # nothing new
    await write(writer, EquivocationFound("did:key:z"))
    assert await feed.poll_now() and seen.events[-1] == EquivocationFound("did:key:z")


async def test_a_rolled_back_change_leaves_no_event(two) -> None:
    writer, reader = two
    feed, seen = await started(reader)
    with pytest.raises(RuntimeError):
        async with writer.transaction() as db:
            await writer.record(db, IdentityChanged("did:web:gone"))
            raise RuntimeError("the change failed")
    assert not await feed.poll_now() and seen.events == []


async def test_store_writes_emit_events_in_their_transaction(two) -> None:
    writer, reader = two
    feed, seen = await started(reader)
    async with writer.issuance() as issuance:
        [allocation] = await issuance.allocate(ISSUER, StatusListSpec("revocation"), ["urn:uuid:1"])
    list_id = allocation.list_id
    await writer.change_status(StatusChange(datetime.now(UTC).isoformat(), "cli", "urn:uuid:1", list_id,
                                            allocation.index, "revocation", 0, 1))
    await writer.publish_status_list(list_id, 2, "{}", "2030-01-01T00:00:00Z")
    assert await feed.poll_now()
    assert seen.events == [StatusListChanged(list_id)] * 3


async def test_a_feed_behind_a_prune_resets_its_subscribers(two) -> None:
    writer, reader = two
    feed, seen = await started(reader)
    await write(writer, StatusListChanged("old"))
    assert await feed.poll_now() and seen.events == [StatusListChanged("old")]
    # Pruning what the feed has read costs it nothing.
    assert await changes.prune(writer, datetime.now(UTC) + timedelta(seconds=1)) == 1
    await write(writer, StatusListChanged("new"))
    assert await feed.poll_now() and seen.events[-1] == StatusListChanged("new") and seen.resets == 0
    # Events it had not read are pruned: it cannot know what changed, so every cache is dropped.
    await write(writer, IdentityChanged("did:web:missed"), StatusListChanged("missed"))
    assert await changes.prune(writer, datetime.now(UTC) + timedelta(seconds=1)) == 3
    assert await feed.poll_now()
    assert seen.resets == 1 and IdentityChanged("did:web:missed") not in seen.events
    # … and follows the log from there on.
    await write(writer, StatusListChanged("after"))
    assert await feed.poll_now() and seen.events[-1] == StatusListChanged("after") and seen.resets == 1


async def test_a_failed_subscriber_gets_a_reset(two) -> None:
    writer, reader = two
    feed = ChangeFeed(SqlChangeLog(reader))
    seen = Recorder(fail_on=StatusListChanged("bad"))
    feed.subscribe(seen)
    await feed.start()
    await write(writer, StatusListChanged("bad"))
    with pytest.raises(RuntimeError):
        await feed.poll_now()
    assert await feed.poll_now() and seen.resets == 1


async def test_wake_ends_the_wait_for_the_next_poll(two) -> None:
    _, reader = two
    feed, _ = await started(reader)
    began = time.monotonic()
    asyncio.get_running_loop().call_later(0.05, feed.wake)
    await feed.wait(30)
    assert time.monotonic() - began < 5
