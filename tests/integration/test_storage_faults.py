"""A served node whose disk fills up or whose home turns read-only (issue #11 item 14), for real: the home on
a small tmpfs this test mounts, fills and remounts. ``/ready`` says why the node is not ready (503 problem
``storageFull`` / ``storageReadOnly``), writes answer the same 503 instead of a 500 ``internalError``, reads
still work, the state is logged once rather than once a gossip round, and the node recovers by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.builders import badge
from tests.conftest import PASSPHRASE
from tests.disk import fill, remount, tmpfs
from tests.integration.test_serve import free_port, wait_for

PROBLEM = "application/problem+json"


def node_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_GOSSIP_INTERVAL": "0.1"})
    return env


def vcnode(home: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 or not check, result.stderr
    return result


def init(home: Path, port: int) -> tuple[str, str]:
    """A node on ``port``; its DID and an issue/status token."""
    vcnode(home, "init", "--port", str(port), env=node_env())
    token = vcnode(home, "token", "create", "--scope", "issue,status", env=node_env()).stdout.strip()
    return vcnode(home, "did", "show", env=node_env()).stdout.split()[0], token


@contextmanager
def served(home: Path, log: Path, env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``vcnode serve`` with its log in ``log`` (off the tmpfs); stopped with SIGTERM afterwards."""
    with log.open("ab") as handle:
        process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=env,
                                   stdout=handle, stderr=handle)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def call(port: int, path: str, body: Any = None, token: str | None = None) -> tuple[int, str, dict[str, Any]]:
    """Status, content type and JSON body of a GET (or a POST of ``body``)."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def issue(port: int, token: str, did: str, n: int) -> tuple[int, str, dict[str, Any]]:
    credential = badge(did, f"urn:uuid:00000000-0000-4000-8000-{n:012d}")
    return call(port, "/credentials/issue", {"credential": credential, "options": {"statusPurpose": "revocation"}},
                token)


def assert_problem(answer: tuple[int, str, dict[str, Any]], code: str) -> dict[str, Any]:
    status, content_type, body = answer
    assert (status, content_type, body.get("code")) == (503, PROBLEM, code), answer
    assert body["status"] == 503 and body["detail"], body
    return body


def wait_ready(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (answer := call(port, "/ready"))[0] != 200:
        assert time.monotonic() < deadline, answer
        time.sleep(0.2)


def test_a_full_disk_is_reported_by_ready_and_writes_answer_503(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    with tmpfs(tmp_path / "disk", "16m") as disk:
        home = disk / "node"
        did, token = init(home, port)
        # No headroom asked (storage_min_free 0): the issuances run into SQLite's own "database or disk is full".
        with served(home, log, {**node_env(), "VCNODE_STORAGE_MIN_FREE": "0"}, port):
            assert issue(port, token, did, 1)[0] == 201
            filler = fill(disk, leave=16 * 1024)
            answers = [issue(port, token, did, n) for n in range(2, 12)]
            assert [a for a in answers if a[0] not in (201, 503)] == []  # never a 500 internalError
            assert_problem(answers[-1], "storageFull")
            body = assert_problem(call(port, "/ready"), "storageFull")
            assert body["checks"] == {"store": True, "keys": True, "storage": False}
            status, _, credential = call(port, "/credentials/urn:uuid:00000000-0000-4000-8000-000000000001",
                                         token=token)
            assert status == 200 and credential["issuer"]["id"] == did  # reads are still served
            time.sleep(1.0)  # ten gossip rounds in this state

            filler.unlink()  # space freed: ready again without a restart, and issuing works
            wait_ready(port)
            assert issue(port, token, did, 99)[0] == 201
    text = log.read_text()
    assert text.count("storageFull") == 1, text  # the change of state, once
    assert "writable again" in text and "gossip round failed" not in text and "Traceback" not in text, text


def test_a_read_only_home_is_reported_by_ready_and_writes_answer_503(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    with tmpfs(tmp_path / "disk", "16m") as disk:
        home = disk / "node"
        did, token = init(home, port)

        # Read-only after a clean stop: SQLite cannot even open the database; the node says why and exits.
        remount(disk, "ro")
        refused = vcnode(home, "serve", env=node_env(), check=False)
        assert refused.returncode == 1 and "read-only" in refused.stderr.splitlines()[-1], refused.stderr
        remount(disk, "rw")

        # Read-only while the node has a WAL (it crashed, or the volume turned read-only under it): it serves.
        with served(home, log, node_env(), port) as process:
            assert issue(port, token, did, 1)[0] == 201
            process.kill()
        remount(disk, "ro")
        with served(home, log, node_env(), port):
            body = assert_problem(call(port, "/ready"), "storageReadOnly")
            assert body["checks"]["storage"] is False
            assert_problem(issue(port, token, did, 2), "storageReadOnly")
            assert_problem(call(port, "/credentials/status", {
                "credentialId": "urn:uuid:00000000-0000-4000-8000-000000000001",
                "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
                "status": True}, token), "storageReadOnly")
            status, _, credential = call(port, "/credentials/urn:uuid:00000000-0000-4000-8000-000000000001",
                                         token=token)
            assert status == 200 and credential["issuer"]["id"] == did
            time.sleep(1.5)  # fifteen gossip rounds in this state
    text = log.read_text()
    assert text.count("storageReadOnly") == 1, text
    assert "gossip round failed" not in text and "Traceback" not in text, text
