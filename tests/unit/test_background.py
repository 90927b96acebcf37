"""The election of a node's background owner: the lock file (two holders exclude each other, a killed holder
frees it, the file is private) and :class:`Background` over it (one owner among several, a successor within
the retry interval once the owner stops)."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from vcnode.background.election import LOCK_FILE, LockFileElection
from vcnode.background.worker import Background
from vcnode.node import Node

HOLD = """
import asyncio, sys
from pathlib import Path
from vcnode.background.election import LockFileElection
election = LockFileElection(Path(sys.argv[1]))
assert asyncio.run(election.acquire())
print("held", flush=True)
sys.stdin.read()
"""


async def test_one_holder_at_a_time_and_the_lock_file_is_private(tmp_path: Path) -> None:
    first, second = LockFileElection.for_home(tmp_path), LockFileElection.for_home(tmp_path)
    assert await first.acquire() and first.held
    assert await first.acquire()  # acquiring again while holding keeps it
    assert not await second.acquire() and not second.held
    assert stat.S_IMODE((tmp_path / LOCK_FILE).stat().st_mode) == 0o600
    assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    await first.release()
    assert not first.held
    assert await second.acquire() and second.held
    assert not await first.acquire()
    await second.release()
    await second.release()  # harmless when not held


async def test_a_killed_holder_frees_the_lock(tmp_path: Path) -> None:
    path = tmp_path / LOCK_FILE
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        election = LockFileElection(path)
        assert not await election.acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert await election.acquire()
        await election.release()
    finally:
        holder.kill()
        holder.wait(timeout=10)


async def test_one_background_owner_and_a_successor_when_it_stops(web_node: Node) -> None:
    web_node.config.owner_retry_interval = 0.05
    workers = [Background(web_node, watch_interval=3600) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        await asyncio.sleep(0.3)
        owners = [worker for worker in workers if worker.role == "owner"]
        assert len(owners) == 1
        await owners[0].stop()
        started = time.monotonic()
        while not any(worker.role == "owner" for worker in workers if worker is not owners[0]):
            assert time.monotonic() - started < 2, "no successor took over"
            await asyncio.sleep(0.01)
        assert sum(worker.role == "owner" for worker in workers) == 1
    finally:
        for worker in workers:
            await worker.stop()
