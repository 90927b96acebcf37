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
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import badge
from tests.integration.test_serve import free_port, wait_for
from tests.ops_node import OpsNode
from vcnode.status.bitstring import decode_list, get_entry

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


def fetch(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET, error answers included."""
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def served_entry(server: Server, path: str, index: int) -> int | None:
    """The entry at ``index`` of the list ``server`` serves at ``path`` (None: it serves none)."""
    status, _, body = fetch(server, path)
    if status != 200:
        return None
    return get_entry(decode_list(json.loads(body)["credentialSubject"]["encodedList"]), index)


def test_only_the_owner_signs_and_a_change_made_through_the_standby_is_served_by_both_soon(
        node: OpsNode, servers: list[Server]) -> None:
    # Rounds far apart: what the owner signs here, it signs because the change feed told it of the change.
    node.settings["VCNODE_GOSSIP_INTERVAL"] = "60"
    soon = 1.5 if "VCNODE_STORE_URL" in node.settings else 3.5  # a NOTIFY; a 2 s poll of SQLite
    token = node.token("issue,status")
    servers.append(owner := Server(node, "owner"))
    eventually(lambda: owner.role() == "owner", 10, "the only serving process never became the owner")
    servers.append(standby := Server(node, "standby", second_home(node)))
    assert standby.role() == "standby"

    # The owner frozen, a list opened through the standby: the standby does not sign it, it says when to ask again.
    owner.process.send_signal(signal.SIGSTOP)
    issued = standby.post("/credentials/issue", {"credential": badge(node.did, "urn:uuid:owner-get-1"),
                                                 "options": {"statusPurpose": "revocation"}}, token)
    entry = issued["verifiableCredential"]["credentialStatus"]
    entry = entry[0] if isinstance(entry, list) else entry
    path, index = urllib.parse.urlsplit(entry["statusListCredential"]).path, int(entry["statusListIndex"])
    status, headers, body = fetch(standby, path)
    assert status == 503, body
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "statusListNotPublished" and int(headers["Retry-After"]) > 0
    time.sleep(0.3)
    assert standby.head(node.did) == -1, "the standby process signed and anchored the list"

    # The owner resumes: it hears of the new list from the feed and signs it, once.
    owner.process.send_signal(signal.SIGCONT)
    eventually(lambda: served_entry(standby, path, index) == 0, soon + 1, "the owner never signed the new list")
    time.sleep(0.3)
    anchored = standby.head(node.did)
    assert anchored >= 0

    # A revocation made through the standby: served revoked by both processes soon, anchored once, by the owner.
    standby.post("/credentials/status", {"credentialId": issued["verifiableCredential"]["id"], "status": True,
                                         "credentialStatus": {"type": "BitstringStatusListEntry",
                                                              "statusPurpose": "revocation"}}, token)
    changed = time.monotonic()
    eventually(lambda: served_entry(standby, path, index) == 1, soon, "the revocation was not served soon")
    assert time.monotonic() - changed < soon
    assert served_entry(owner, path, index) == 1
    assert fetch(owner, path)[2] == fetch(standby, path)[2]  # the one copy the owner signed
    time.sleep(0.5)
    assert standby.head(node.did) == anchored + 1, "one anchor per re-signing, none from the standby"
    assert owner.role() == "owner" and standby.role() == "standby"
