"""Background work has one owner per node: two real ``vcnode serve`` processes on one node directory (two
ports). Exactly one re-signs changed status lists (and so appends to the anchor log); the other serves requests
only, says so once in its log and on ``/ready``, and takes the work over within seconds when the owner is killed."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import badge
from tests.integration.test_serve import free_port, wait_for
from tests.ops_node import OpsNode

STANDBY_LINE = "this process serves requests only"
OWNER_LINE = "this process runs the node's background work"


class Server:
    """One ``vcnode serve --port PORT`` of the shared node directory."""

    def __init__(self, node: OpsNode, name: str, home: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = node.home.parent / f"{name}.log"
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home or node.home), "serve",
                                             "--port", str(self.port)], env=node.env(), stdout=subprocess.DEVNULL,
                                            stderr=stderr)
        wait_for(self.url + "/health")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: Any, token: str) -> Any:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def role(self) -> str | None:
        return self.get("/ready").get("background")

    def head(self, log: str) -> int:
        """The seq of ``log``'s head in the node's anchor store (-1: none yet)."""
        return next((h["seq"] for h in self.get("/p2p/v1/status")["heads"] if h["log"] == log), -1)

    def said(self, line: str) -> int:
        return self.log.read_text().count(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> OpsNode:
    """The node: in SQLite (two processes on one host share its directory), or in PostgreSQL (two "hosts",
    each with its own copy of the node directory, share the database)."""
    settings = {"VCNODE_GOSSIP_INTERVAL": "0.1", "VCNODE_OWNER_RETRY_INTERVAL": "0.3"}
    if request.param == "postgresql":
        settings["VCNODE_STORE_URL"] = request.getfixturevalue("postgres_url")
    return OpsNode(tmp_path, settings)


def second_home(node: OpsNode) -> Path | None:
    """Where the second process runs: another host's copy of the node directory when the store is shared over
    the network (PostgreSQL), else the same directory."""
    if "VCNODE_STORE_URL" not in node.settings:
        return None
    home = node.home.with_name("other-host")
    shutil.copytree(node.home, home)
    return home


@pytest.fixture
def servers(node: OpsNode) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def test_one_of_two_serve_processes_owns_the_loops_and_the_other_takes_over(node: OpsNode,
                                                                          servers: list[Server]) -> None:
    token = node.token("issue,status")
    servers.append(first := Server(node, "first"))
    eventually(lambda: first.role() == "owner", 10, "the only serving process never became the owner")
    servers.append(second := Server(node, "second", second_home(node)))
    time.sleep(0.5)  # a few election retries: the second must still not win
    assert second.role() == "standby" and first.role() == "owner"
    assert second.said(STANDBY_LINE) == 1 and first.said(OWNER_LINE) == 1 and second.said(OWNER_LINE) == 0

    # Issued through the standby process: the owner signs and anchors the new list.
    issued = second.post("/credentials/issue", {"credential": badge(node.did, "urn:uuid:owner-0001"),
                                                "options": {"statusPurpose": "revocation"}}, token)
    eventually(lambda: second.head(node.did) >= 0, 10, "the owner never anchored the new list")
    time.sleep(0.5)
    anchored = second.head(node.did)

    # With the owner frozen, a revocation made through the standby is not re-signed by the standby.
    first.process.send_signal(signal.SIGSTOP)
    second.post("/credentials/status", {"credentialId": issued["verifiableCredential"]["id"], "status": True,
                                        "credentialStatus": {"type": "BitstringStatusListEntry",
                                                             "statusPurpose": "revocation"}}, token)
    time.sleep(1.5)  # 15 publishing rounds
    assert second.head(node.did) == anchored, "the standby process re-signed the list"
    assert second.role() == "standby"

    # The owner dies: the standby takes the work over within seconds and publishes the revocation.
    first.process.kill()
    first.process.wait(timeout=10)
    eventually(lambda: second.role() == "owner", 5, "the standby did not take over from the killed owner")
    eventually(lambda: second.head(node.did) == anchored + 1, 5, "the revocation was never anchored")
    assert second.said(OWNER_LINE) == 1
