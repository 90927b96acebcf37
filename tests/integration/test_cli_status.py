"""Status from the command line: issue with status, revoke, suspend, unsuspend, the audit log, and a batch
with status entries that survives SIGKILL without handing out an index twice or losing one."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import PASSPHRASE
from tests.integration.test_cli import assert_one_line_error, run
from tests.integration.test_cli_credentials import kill_batch_midway, node, stored_ids, write_batch_inputs


def issue(tmp_path: Path, home: Path, name: str, status: str) -> Path:
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": f"urn:uuid:{name}",
                  "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:learner"}}
    source, out = tmp_path / f"{name}.in.json", tmp_path / f"{name}.json"
    source.write_text(json.dumps(credential))
    issued = run(home, "issue", str(source), "--status", status, "--out", str(out))
    assert issued.returncode == 0, issued.stderr
    return out


def verify(home: Path, path: Path) -> dict:
    return json.loads(run(home, "verify", str(path), "--json").stdout)


def test_revoke_suspend_unsuspend_and_the_log(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    revocable = issue(tmp_path, home, "8c1f6b9e-0000-4000-8000-000000000001", "revocation,suspension")
    assert verify(home, revocable)["verified"]
    readable = run(home, "verify", str(revocable)).stdout
    assert "status" in readable and "revocation=0" in readable, readable

    revoked = run(home, "revoke", "urn:uuid:8c1f6b9e-0000-4000-8000-000000000001", "--reason", "misconduct")
    assert revoked.returncode == 0 and "is now 1" in revoked.stdout, revoked.stderr
    report = verify(home, revocable)
    assert not report["verified"] and [e["code"] for e in report["errors"]] == ["revoked"]

    suspendable = issue(tmp_path, home, "8c1f6b9e-0000-4000-8000-000000000002", "suspension")
    assert run(home, "suspend", "urn:uuid:8c1f6b9e-0000-4000-8000-000000000002").returncode == 0
    assert [e["code"] for e in verify(home, suspendable)["errors"]] == ["suspended"]
    assert run(home, "unsuspend", "urn:uuid:8c1f6b9e-0000-4000-8000-000000000002").returncode == 0
    assert verify(home, suspendable)["verified"]

    log = json.loads(run(home, "status", "log", "--json").stdout)
    assert [(e["statusPurpose"], e["before"], e["after"]) for e in log] == [
        ("suspension", 1, 0), ("suspension", 0, 1), ("revocation", 0, 1)]
    assert log[2]["reason"] == "misconduct" and log[2]["actor"].startswith("cli:")
    assert "misconduct" in run(home, "status", "log").stdout
    lists = json.loads(run(home, "status", "lists", "--json").stdout)
    assert sorted(item["statusPurpose"] for item in lists) == ["revocation", "suspension"]

    assert_one_line_error(run(home, "revoke", "urn:uuid:unknown"), "issued no credential")
    assert_one_line_error(run(home, "suspend", "urn:uuid:8c1f6b9e-0000-4000-8000-000000000001"[:-1] + "9"),
                          "issued no credential")
    no_suspension = issue(tmp_path, home, "8c1f6b9e-0000-4000-8000-000000000003", "revocation")
    assert no_suspension.exists()
    assert_one_line_error(run(home, "suspend", "urn:uuid:8c1f6b9e-0000-4000-8000-000000000003"),
                          "without a suspension status entry")
    assert_one_line_error(run(home, "issue", str(tmp_path / "x.json"), "--status", "revocation"), "cannot read")


def allocations(home: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(home / "vcnode.sqlite3") as db:
        return db.execute("SELECT list_id, idx, credential_id FROM status_entries").fetchall()


def test_batch_with_status_survives_sigkill_without_reusing_an_index(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    rows = 2000
    learners, achievement = write_batch_inputs(tmp_path, rows)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vcnode", "--home", str(home), "issue-batch", str(learners),
               "--achievement", str(achievement), "--out", str(out), "--status", "revocation,suspension"]
    env = kill_batch_midway(command, rows)
    partial = stored_ids(home)
    assert 0 < len(partial) < rows
    # Whatever was committed is whole: every stored credential has both of its indexes, and nothing else.
    assert sorted(c for _, _, c in allocations(home)) == sorted(partial * 2)

    resumed = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    held = allocations(home)
    assert len(held) == 2 * rows == len({(list_id, idx) for list_id, idx, _ in held})  # no index twice
    with sqlite3.connect(home / "vcnode.sqlite3") as db:
        documents = [json.loads(d) for (d,) in db.execute("SELECT document FROM credentials")]
    in_documents = sorted((entry["statusListCredential"].rsplit("/", 1)[1], int(entry["statusListIndex"]), d["id"])
                          for d in documents for entry in d["credentialStatus"])
    assert in_documents == sorted(held)  # each credential carries exactly the indexes recorded for it
    sample = sorted(out.glob("*.json"))[rows // 3]
    assert verify(home, sample)["verified"]


def test_a_server_killed_during_concurrent_issuance_keeps_every_index_unique(tmp_path: Path) -> None:
    """Many concurrent HTTP issue requests with status; SIGKILL the server mid-way, restart, issue more."""
    import asyncio

    import aiohttp

    from tests.builders import badge
    from tests.integration.test_serve import free_port, wait_for

    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING"})
    home, port = tmp_path / "node", free_port()
    vcnode = [sys.executable, "-m", "vcnode", "--home", str(home)]
    subprocess.run([*vcnode, "init", "--port", str(port)], check=True, env=env, capture_output=True, timeout=60)
    token = subprocess.run([*vcnode, "token", "create", "--scope", "issue"], check=True, env=env,
                           capture_output=True, text=True, timeout=60).stdout.strip()
    did = json.loads(subprocess.run([*vcnode, "identity", "list", "--json"], check=True, env=env,
                                    capture_output=True, text=True, timeout=60).stdout)[0]["did"]

    def serve() -> subprocess.Popen:
        process = subprocess.Popen([*vcnode, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{port}/health")
        return process

    async def issue_many(first: int, count: int, stop_after: int | None) -> int:
        done = 0
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
            async def one(n: int) -> None:
                nonlocal done
                body = {"credential": badge(did, f"urn:uuid:33333333-0000-4000-8000-{n:012d}"),
                        "options": {"statusPurpose": ["revocation", "suspension"]}}
                try:
                    async with session.post(f"http://127.0.0.1:{port}/credentials/issue", json=body) as response:
                        if response.status == 201:
                            done += 1
                except aiohttp.ClientError:
                    pass  # the server was killed under this request
                if stop_after is not None and done >= stop_after:
                    os.kill(server.pid, signal.SIGKILL)
            await asyncio.gather(*(one(n) for n in range(first, first + count)))
        return done

    server = serve()
    try:
        asyncio.run(issue_many(0, 400, stop_after=150))
        server.wait(timeout=30)
        server = serve()
        assert asyncio.run(issue_many(1000, 100, stop_after=None)) == 100
    finally:
        server.kill()
        server.wait(timeout=30)
    held = allocations(home)
    assert len(held) == len({(list_id, idx) for list_id, idx, _ in held})  # no index handed out twice
    with sqlite3.connect(home / "vcnode.sqlite3") as db:
        documents = [json.loads(d) for (d,) in db.execute("SELECT document FROM credentials")]
    assert len(documents) >= 250
    in_documents = sorted((entry["statusListCredential"].rsplit("/", 1)[1], int(entry["statusListIndex"]), d["id"])
                          for d in documents for entry in d["credentialStatus"])
    assert in_documents == sorted(held)  # every stored credential kept its entries, and no entry is orphaned
