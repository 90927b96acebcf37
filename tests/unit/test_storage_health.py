"""The store on a disk that fills up, for real (a small tmpfs; issue #11 item 14): a write that meets the full
disk is refused as ``storageFull`` and rolled back, the connection stays usable, and writes work again once
space is freed; below ``storage_min_free`` writes are refused before SQLite is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.disk import fill, tmpfs
from vcnode.store.health import StorageUnavailable
from vcnode.store.sqlite import SqliteStore


async def test_a_write_that_meets_a_full_disk_is_refused_and_the_store_recovers(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as disk:
        store = SqliteStore(disk / "db.sqlite3", min_free=0)
        await store.open()
        try:
            filler = fill(disk, leave=64 * 1024)
            with pytest.raises(StorageUnavailable) as refused:
                for n in range(100):  # 16 KiB each: the WAL outgrows what is left
                    await store.set_meta(f"k{n}", "x" * 16 * 1024)
            assert refused.value.code == "storageFull" and refused.value.status == 503
            assert "database or disk is full" in str(refused.value.__cause__)  # SQLite's own SQLITE_FULL
            assert not store.db.in_transaction  # rolled back: the next write can begin
            assert await store.get_meta(f"k{n}") is None
            assert store.storage.state() == "storageFull"
            filler.unlink()
            await store.set_meta("after", "1")
            assert await store.get_meta("after") == "1" and store.storage.state() is None
        finally:
            await store.close()


async def test_writes_are_refused_when_less_than_storage_min_free_is_left(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        store = SqliteStore(disk / "db.sqlite3", min_free=1024 * 1024)
        await store.open()
        try:
            await store.set_meta("before", "1")
            filler = fill(disk, leave=512 * 1024)
            with pytest.raises(StorageUnavailable) as refused:
                await store.set_meta("during", "1")
            assert refused.value.code == "storageFull" and refused.value.__cause__ is None  # SQLite not asked
            assert await store.get_meta("during") is None and await store.get_meta("before") == "1"
            filler.unlink()
            await store.set_meta("during", "1")
        finally:
            await store.close()
