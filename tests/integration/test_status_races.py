"""A revocation is irreversible even when clears race it: over HTTP on one real node, and from two processes
(the HTTP server clearing while the CLI revokes). Every clear that comes after the revocation is a 409
``revocationIrreversible``; the credential stays revoked."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.cluster import Cluster
from vcnode.status.bitstring import decode_list, get_entry

CLEARS = 23


class OneNode(Cluster):
    """One node, no peers. Its gossip loop does not re-sign changed lists while a test runs: re-signing
    appends to the anchor log, and two processes appending at once is another race than the one tested here."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "VCNODE_GOSSIP_INTERVAL": "600"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One real ``vcnode serve`` process (no peers) with an issue+status token."""
    nodes = OneNode(tmp_path_factory.mktemp("races"), ("node",))
    nodes.init()
    with nodes.serving():
        yield nodes


def change(cluster: Cluster, credential_id: str, status: bool) -> tuple[int, dict[str, Any]]:
    return cluster.post("node", "/credentials/status", {
        "credentialId": credential_id, "status": status,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}},
        cluster.tokens["node"])


def revoked_bit(cluster: Cluster, credential: dict[str, Any]) -> int:
    """The credential's revocation bit in the list the node serves now (an outsider's view)."""
    entry = credential["credentialStatus"]
    with urllib.request.urlopen(entry["statusListCredential"], timeout=10) as response:
        listed = json.loads(response.read())
    return get_entry(decode_list(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def verify_afresh(cluster: Cluster, credential: dict[str, Any]) -> dict[str, Any]:
    """``vcnode verify`` in a new process: a verifier holding no cached copy of the list (the server drops its
    copy only when it next notices another process's commit)."""
    path = cluster.root / f"{credential['id'].rsplit(':', 1)[1]}.json"
    path.write_text(json.dumps(credential))
    verify = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(cluster.root / "node"), "verify",
                             str(path), "--json"], env=cluster.env("node"), capture_output=True, text=True, timeout=60)
    assert verify.returncode in (0, 1), verify.stderr
    return json.loads(verify.stdout)


def assert_stays_revoked(cluster: Cluster, credential: dict[str, Any], answers: list[tuple[int, dict]],
                         report: dict[str, Any]) -> None:
    for status, body in answers:
        assert status in (200, 409), body
        if status == 409:
            assert body["code"] == "revocationIrreversible", body
    assert revoked_bit(cluster, credential) == 1
    assert not report["verified"] and [e["code"] for e in report["errors"]] == ["revoked"], report
    # Nothing in the audit log ever took the entry back to 0 after it was set.
    with sqlite3.connect(f"file:{cluster.root / 'node' / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        undone = db.execute("SELECT * FROM status_changes WHERE credential_id = ? AND before = 1 AND after = 0",
                            (credential["id"],)).fetchall()
    assert not undone, undone


def race_over_http(cluster: Cluster, credential_id: str) -> tuple[tuple[int, dict], list[tuple[int, dict]]]:
    """One revoke and CLEARS clears of one credential, sent at once; (the revoke's answer, the clears')."""
    start = threading.Barrier(CLEARS + 1)

    def send(status: bool) -> tuple[int, dict[str, Any]]:
        start.wait()
        return change(cluster, credential_id, status)

    with ThreadPoolExecutor(CLEARS + 1) as pool:
        # The revoke goes in the middle of the clears, so some come before it and some after.
        futures = [pool.submit(send, False) for _ in range(CLEARS // 2)]
        revoke = pool.submit(send, True)
        futures += [pool.submit(send, False) for _ in range(CLEARS - CLEARS // 2)]
        return revoke.result(), [future.result() for future in futures]


def race_with_the_cli(cluster: Cluster, credential_id: str) -> tuple[subprocess.CompletedProcess[str],
                                                                     list[tuple[int, dict]]]:
    """Clears over HTTP, six at a time, before, while and after ``vcnode revoke`` runs in its own process."""
    answers: list[tuple[int, dict[str, Any]]] = []
    done = threading.Event()

    def clear() -> None:
        while not done.is_set():
            answers.append(change(cluster, credential_id, False))

    with ThreadPoolExecutor(6) as pool:
        workers = [pool.submit(clear) for _ in range(6)]
        revoke = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(cluster.root / "node"), "revoke",
                                 credential_id, "--json"], env=cluster.env("node"), capture_output=True, text=True,
                                timeout=60)
        time.sleep(0.3)  # clears keep coming after the CLI committed
        done.set()
        for worker in workers:
            worker.result()
    return revoke, answers


def test_one_revoke_racing_23_clears_over_http(cluster: Cluster) -> None:
    for round_ in range(2):
        credential = cluster.issue(f"urn:uuid:7a7a7a7a-0000-4000-8000-00000000000{round_}")
        revoked, answers = race_over_http(cluster, credential["id"])
        assert revoked[0] == 200 and revoked[1]["after"] == 1, revoked
        assert_stays_revoked(cluster, credential, answers, cluster.verify("node", credential)[1])
        # After the revocation every clear is refused, with the named code.
        status, body = change(cluster, credential["id"], False)
        assert status == 409 and body["code"] == "revocationIrreversible", body


def test_http_clears_racing_a_cli_revoke_in_another_process(cluster: Cluster) -> None:
    for round_ in range(2):
        credential = cluster.issue(f"urn:uuid:7b7b7b7b-0000-4000-8000-00000000000{round_}")
        revoke, answers = race_with_the_cli(cluster, credential["id"])
        assert revoke.returncode == 0, revoke.stderr
        assert json.loads(revoke.stdout)["after"] == 1
        assert any(status == 409 for status, _ in answers), answers[-3:]
        assert_stays_revoked(cluster, credential, answers, verify_afresh(cluster, credential))
