"""``vcnode serve --workers 2`` as real processes: two workers answer on one port (SO_REUSEPORT), one of them
owns the node's background work, credentials issued concurrently through the port get unique status indexes,
a SIGKILLed worker is replaced while the port keeps answering, SIGTERM stops them all, and a port in use is one
error line."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.builders import badge
from tests.integration.test_serve import wait_for
from tests.ops_node import OpsNode


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[1])


class Workers:
    """``vcnode serve --workers 2`` on an :class:`OpsNode`'s directory and port."""

    def __init__(self, node: OpsNode, count: int = 2) -> None:
        self.node = node
        self.log = node.home.parent / "workers.log"
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(node.home), "serve",
                                             "--workers", str(count)], env=node.env(), stdout=subprocess.DEVNULL,
                                            stderr=stderr)
        wait_for(node.url + "/health")

    def ready(self) -> dict[str, Any]:
        """``/ready`` on a new connection (urllib does not keep connections), so any worker may answer. A
        connection the kernel had queued on a worker's listening socket when that worker was killed is reset
        (SO_REUSEPORT gives each worker its own queue): that one is asked again, at most twice."""
        for attempt in range(3):
            try:
                with urllib.request.urlopen(self.node.url + "/ready", timeout=10) as response:
                    return json.loads(response.read())
            except ConnectionResetError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def roles(self, want: int, timeout: float = 10.0) -> dict[int, str]:
        """pid → background role of the answering workers, asking until ``want`` different ones answered."""
        seen: dict[int, str] = {}
        deadline = time.monotonic() + timeout
        while len(seen) < want:
            assert time.monotonic() < deadline, f"only workers {seen} answered"
            body = self.ready()
            seen[body["pid"]] = body["background"]
        return seen

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=40)


@pytest.fixture
def node(tmp_path: Path) -> OpsNode:
    return OpsNode(tmp_path, {"VCNODE_OWNER_RETRY_INTERVAL": "0.2"})


@pytest.fixture
def workers(node: OpsNode) -> Iterator[Workers]:
    started = Workers(node)
    try:
        yield started
    finally:
        started.stop()


def test_two_workers_share_the_port_one_owns_the_background_work_and_issue_unique_indexes(
        node: OpsNode, workers: Workers) -> None:
    roles = workers.roles(2)
    assert all(parent_of(pid) == workers.process.pid for pid in roles), "the workers are not the parent's children"
    eventually(lambda: sorted(workers.roles(2).values()) == ["owner", "standby"], 10,
               "not exactly one worker owns the node's background work")

    token = node.token("issue")

    def issue(n: int) -> dict[str, Any]:
        request = urllib.request.Request(node.url + "/credentials/issue", method="POST", data=json.dumps({
            "credential": badge(node.did, f"urn:uuid:00000000-0000-4000-8000-{n:012d}"),
            "options": {"statusPurpose": "revocation"}}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
            return json.loads(response.read())["verifiableCredential"]

    with ThreadPoolExecutor(16) as pool:
        issued = list(pool.map(issue, range(100)))
    entries = {(c["credentialStatus"]["statusListCredential"], int(c["credentialStatus"]["statusListIndex"]))
               for c in issued}
    assert len(entries) == 100, "two credentials got the same status index"
    with sqlite3.connect(f"file:{node.home / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM credentials").fetchone()[0] == 100
        assert db.execute("SELECT count(DISTINCT list_id || ':' || idx) FROM status_entries").fetchone()[0] == 100


def test_a_killed_worker_is_restarted_and_sigterm_stops_them_all(workers: Workers) -> None:
    roles = workers.roles(2)
    victim = next(pid for pid, role in roles.items() if role == "owner")
    os.kill(victim, signal.SIGKILL)
    eventually(lambda: not alive(victim), 5, "the killed worker is still there")
    for _ in range(20):  # the other worker answers on the port meanwhile
        assert workers.ready()["pid"] != victim
    replaced = workers.roles(2)
    assert victim not in replaced and set(replaced) & set(roles), "the killed worker was not replaced"
    eventually(lambda: sorted(workers.roles(2).values()) == ["owner", "standby"], 10,
               "the node's background work has no single owner after the restart")
    assert "was killed by SIGKILL; restarting it" in workers.log.read_text()

    assert workers.stop() == 0
    for pid in replaced:
        eventually(lambda pid=pid: not alive(pid), 5, f"worker {pid} outlived its parent")
    assert "Traceback" not in workers.log.read_text()


def test_a_port_in_use_is_one_error_line(node: OpsNode) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", node.port))
        taken.listen()
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(node.home), "serve", "--workers", "2"],
                                env=node.env(), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (f"vcnode: error: cannot listen on 127.0.0.1:{node.port}: "
                                                      "Address already in use")
