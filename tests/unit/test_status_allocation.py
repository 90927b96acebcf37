"""Status lists at any length and fill (issue 12, item 5): allocation does not look at what is taken, a status
change touches one chunk of the list, positions stay unpredictable and unique, and lists of an older store
keep working after the migration that converts them.

The cost properties are checked the way they failed, not with a clock: the SQLite VM instructions an allocation
runs (it used to read every used position of a list past ~85 % fill), and the SQL text and memory a status
change moves (it used to read and rewrite the whole bitstring: 2 MiB for 16M entries)."""

from __future__ import annotations

import itertools
import secrets
import sqlite3
import statistics
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from vcnode.status.bitstring import MIN_ENTRIES, get_entry, new_bitstring, set_entry
from vcnode.status.permutation import IndexPermutation
from vcnode.status.records import StatusChange, StatusListSpec
from vcnode.store import open_store
from vcnode.store.sqlite import SqliteStore, migrations

ISSUER = "did:example:issuer"
#: What is measured in SQLite's own terms (VM instructions, the statements' text) runs on SQLite only.
sqlite_only = pytest.mark.parametrize("store_kind", ["sqlite"])


@pytest.fixture
async def store(store_location: Path | str) -> AsyncIterator[SqliteStore]:
    """The store, once SQLite and once PostgreSQL."""
    opened = await open_store(store_location)
    try:
        yield opened
    finally:
        await opened.close()


async def allocate(store: SqliteStore, spec: StatusListSpec, count: int, prefix: str = "c") -> list[tuple[str, int]]:
    """(list id, index) for ``count`` new credentials, in chunks of 5,000 (as issue-batch commits)."""
    out = []
    for start in range(0, count, 5000):
        ids = [f"urn:{prefix}:{n}" for n in range(start, min(count, start + 5000))]
        async with store.issuance() as issuance:
            out += [(a.list_id, a.index) for a in await issuance.allocate(ISSUER, spec, ids)]
    return out


async def instructions(store: SqliteStore, spec: StatusListSpec, count: int, prefix: str) -> int:
    """SQLite VM instructions (in thousands) run to allocate ``count`` positions in one transaction."""
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return 0

    await store.db.set_progress_handler(tick, 1000)
    try:
        await allocate(store, spec, count, prefix)
    finally:
        await store.db.set_progress_handler(None, 1000)
    return ticks


@sqlite_only
async def test_allocation_costs_the_same_at_any_fill(store: SqliteStore) -> None:
    spec = StatusListSpec("revocation", entries=MIN_ENTRIES)
    await allocate(store, spec, MIN_ENTRIES // 10, "fill")
    at_10 = await instructions(store, spec, 250, "ten")
    await allocate(store, spec, MIN_ENTRIES * 99 // 100 - MIN_ENTRIES // 10 - 250, "more")
    at_99 = await instructions(store, spec, 250, "ninety-nine")
    # Before: random candidates checked against the store, and past ~85 % fill every used position read
    # (130,000 rows here for 250 positions).
    assert at_99 <= 1.5 * at_10 + 5, (at_10, at_99)
    [(list_id, _)] = {(lid, 0) for lid, _ in await allocate(store, spec, 1, "one-more")}
    record = await store.get_status_list(list_id)
    assert record is not None and record.allocated == MIN_ENTRIES * 99 // 100 + 251


async def test_every_position_is_handed_out_once_and_a_full_list_opens_a_new_one(store: SqliteStore) -> None:
    spec = StatusListSpec("suspension", entries=4096)
    got = await allocate(store, spec, 4096 + 10)
    first, second = got[0][0], got[-1][0]
    assert first != second and {lid for lid, _ in got} == {first, second}
    assert sorted(index for lid, index in got if lid == first) == list(range(4096))
    assert len({index for lid, index in got if lid == second}) == 10


async def test_positions_are_spread_over_the_list_and_differ_between_lists(store: SqliteStore,
                                                                          new_store_location) -> None:
    spec = StatusListSpec("revocation", entries=MIN_ENTRIES)
    indexes = [index for _, index in await allocate(store, spec, 2000)]
    assert len(set(indexes)) == 2000
    # Uniform over the list: every sixteenth of it gets its share (2000/16 = 125; a binomial's sd is ~11).
    buckets = [0] * 16
    for index in indexes:
        buckets[index * 16 // MIN_ENTRIES] += 1
    assert all(70 < count < 180 for count in buckets), buckets
    # Not in issuing order: neighbours in time are not neighbours in the list, and order says nothing of time.
    gaps = [abs(b - a) for a, b in itertools.pairwise(indexes)]
    assert statistics.median(gaps) > MIN_ENTRIES / 8
    assert abs(statistics.correlation(range(2000), indexes)) < 0.1
    # Another list (another key) hands out positions in another order.
    other = await open_store(new_store_location())
    try:
        theirs = [index for _, index in await allocate(other, spec, 2000)]
    finally:
        await other.close()
    assert len(set(indexes[:100]) & set(theirs[:100])) < 5


def test_the_permutation_is_a_permutation_for_any_length() -> None:
    for length in (1, 2, 3, 7, 8, 1000, 4097):
        permute = IndexPermutation(secrets.token_bytes(16), length)
        assert sorted(permute(n) for n in range(length)) == list(range(length))
    with pytest.raises(ValueError):
        IndexPermutation(secrets.token_bytes(16), 8)(8)


@asynccontextmanager
async def traced(store: SqliteStore, into: list[str]) -> AsyncIterator[None]:
    """Every SQL statement the store's connection runs meanwhile, with its parameters written in."""
    await store.db.set_trace_callback(into.append)
    try:
        yield
    finally:
        await store.db.set_trace_callback(None)


@sqlite_only
@pytest.mark.parametrize("size", [1, 3])
async def test_a_status_change_touches_one_chunk_of_a_16m_entry_list(store: SqliteStore, size: int) -> None:
    entries = 16 * 1024 * 1024 // size // 8 * 8  # list lengths are multiples of 8
    spec = StatusListSpec("message" if size > 1 else "revocation", status_size=size,
                          messages='[{"status":"0x1","message":"x"}]' if size > 1 else None, entries=entries)
    [(list_id, index)] = await allocate(store, spec, 1)
    last = entries - 1  # the very end of the list, whatever the chunk layout
    statements: list[str] = []
    tracemalloc.start()
    try:
        async with traced(store, statements):
            for at in (index, last):
                change = await store.change_status(StatusChange("2026-01-01T00:00:00Z", "test", "urn:c:0", list_id,
                                                                at, spec.purpose, 0, 1))
                assert change.before == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Before: the whole bitstring (2 MiB here) was read, copied twice and written back for every change.
    assert sum(len(s) for s in statements) < 64 * 1024, [s[:80] for s in statements]
    assert peak < 512 * 1024, peak
    assert await store.status_value(list_id, index) == 1 and await store.status_value(list_id, last) == 1
    bits = await store.status_bits(list_id)
    assert len(bits) == len(new_bitstring(entries, size))
    assert get_entry(bits, index, size) == 1 and get_entry(bits, last, size) == 1
    assert sum(get_entry(bits, i, size) for i in range(index - 40, index + 40) if 0 <= i < entries) == 1


def old_store(path: Path) -> sqlite3.Connection:
    """A database as vcnode left it before migration 0009 (status bits in one blob per list)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "applied TEXT NOT NULL)")
    for number, name, sql in migrations():
        if number < 9:
            db.executescript(sql)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00Z')", (number, name))
    db.commit()
    return db


def old_list(db: sqlite3.Connection, list_id: str, entries: int, size: int, used: list[int],
             set_values: dict[int, int]) -> bytes:
    """A list in the old layout; lists are created in the order of the calls (allocation fills the oldest)."""
    bits = new_bitstring(entries, size)
    for index, value in set_values.items():
        set_entry(bits, index, value, size)
    db.execute("INSERT INTO status_lists (id, issuer, purpose, status_size, messages, entries, allocated, bits, "
               "version, published, published_version, published_until, created) VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, 7, NULL, NULL, NULL, ?)",
               (list_id, ISSUER, "message" if size > 1 else "revocation", size,
                '[{"status":"0x1","message":"x"}]' if size > 1 else None, entries, len(used), bytes(bits),
                f"2026-01-01T00:00:{db.execute('SELECT COUNT(*) FROM status_lists').fetchone()[0]:02d}Z"))
    db.executemany("INSERT INTO status_entries (list_id, idx, credential_id) VALUES (?, ?, ?)",
                   [(list_id, index, f"urn:old:{list_id}:{index}") for index in used])
    return bytes(bits)


async def test_the_migration_converts_existing_lists(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = old_store(path)
    rng = secrets.SystemRandom()
    # A half-full revocation list (random positions, as the old allocator chose them) with bits set across its
    # chunks, a nearly full one, a 3-bit message list whose entries straddle bytes, and an empty one.
    used = rng.sample(range(MIN_ENTRIES), MIN_ENTRIES // 2)
    old_list(db, "nearly-full", MIN_ENTRIES, 1, rng.sample(range(MIN_ENTRIES), MIN_ENTRIES - 300), {})
    revocation_bits = old_list(db, "half", MIN_ENTRIES, 1, used, dict.fromkeys([*used[:500], MIN_ENTRIES - 1], 1))
    message_used = rng.sample(range(MIN_ENTRIES), 1000)
    message_bits = old_list(db, "msgs", MIN_ENTRIES, 3, message_used,
                            {i: rng.randrange(1, 8) for i in message_used[:200]})
    old_list(db, "empty", MIN_ENTRIES, 1, [], {})
    db.commit()
    db.close()
    store = await open_store(path)
    try:
        assert await store.schema_version() >= 9
        assert await store.status_bits("half") == revocation_bits
        assert await store.status_bits("msgs") == message_bits
        assert await store.status_bits("empty") == bytes(MIN_ENTRIES // 8)
        for index in message_used[:50]:
            assert await store.status_value("msgs", index) == get_entry(message_bits, index, 3)
        record = await store.get_status_list("half")
        assert record is not None and (record.version, record.allocated) == (7, MIN_ENTRIES // 2)
        # The oldest open list is filled on: only positions nobody had, each once. The nearly full list, older
        # still, is closed (walking its counter past 99 % taken positions would cost ~400 look-ups each).
        got = await allocate(store, StatusListSpec("revocation", entries=MIN_ENTRIES), 3000, "new")
        assert {list_id for list_id, _ in got} == {"half"}
        fresh = [index for _, index in got]
        assert len(set(fresh)) == 3000 and not set(fresh) & set(used)
        assert (await store.get_status_list("nearly-full")).allocated == MIN_ENTRIES - 300
        # Changes go to the converted chunks.
        change = await store.change_status(StatusChange("2026-01-01T00:00:00Z", "test", "urn:x", "msgs",
                                                        message_used[0], "message", 0, 5))
        assert change.before == get_entry(message_bits, message_used[0], 3)
        assert await store.status_value("msgs", message_used[0]) == 5
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    try:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(status_lists)")}
        assert "bits" not in columns  # the old blobs are gone, not kept beside the chunks
        assert raw.execute("SELECT COUNT(*) FROM status_lists WHERE perm_key IS NULL").fetchone() == (0,)
    finally:
        raw.close()
