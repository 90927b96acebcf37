"""Issuing and verifying from the command line, and batch issuance surviving SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.builders import did_key_signer
from tests.cluster import fresh_node
from tests.conftest import PASSPHRASE
from tests.integration.test_cli import assert_one_line_error, run
from vcnode.credentials import create_presentation

ACHIEVEMENT = {"id": "https://hcp.example/achievements/daf", "name": "Data Analytics Fundamentals",
               "description": "Descriptive statistics and dashboards.",
               "criteria": {"narrative": "Pass the assessed project."}, "creditsAvailable": 5}


def node(tmp_path: Path) -> tuple[Path, str]:
    """A did:key node as `vcnode init` makes it (a copy: init itself is tested in test_cli.py); its DID."""
    home = tmp_path / "node"
    return home, fresh_node(home)


def test_issue_verify_and_tokens(tmp_path: Path) -> None:
    home, did = node(tmp_path)
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:example:learner"}}
    (tmp_path / "c.json").write_text(json.dumps(credential))
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"):
        out = tmp_path / f"{suite}.json"
        issued = run(home, "issue", str(tmp_path / "c.json"), "--suite", suite, "--out", str(out))
        assert issued.returncode == 0, issued.stderr
        signed = json.loads(out.read_text())
        assert signed["issuer"] == did  # filled with the node's identity
        verified = run(home, "verify", str(out))
        assert verified.returncode == 0 and "VERIFIED" in verified.stdout, verified.stdout
        signed["credentialSubject"]["id"] = "did:example:someone-else"
        (tmp_path / "bad.json").write_text(json.dumps(signed))
        rejected = run(home, "verify", str(tmp_path / "bad.json"), "--json")
        assert rejected.returncode == 1
        assert json.loads(rejected.stdout)["errors"][0]["code"] == "invalidSignature"
    (tmp_path / "junk.json").write_text("{not json")
    assert_one_line_error(run(home, "issue", str(tmp_path / "junk.json")), "not valid JSON")
    assert_one_line_error(run(home, "verify", str(tmp_path / "missing.json")), "cannot read")
    undefined = {**credential, "favouriteColour": "teal"}
    (tmp_path / "u.json").write_text(json.dumps(undefined))
    assert_one_line_error(run(home, "issue", str(tmp_path / "u.json")), "favouriteColour")

    token = run(home, "token", "create", "--scope", "issue,status")
    assert token.returncode == 0 and token.stdout.strip().startswith("vcn_") and len(token.stdout.split()) == 1
    listing = run(home, "token", "list").stdout
    assert "issue,status" in listing and token.stdout.strip() not in listing  # never shown again
    token_id = listing.split()[0]
    assert run(home, "token", "revoke", token_id).returncode == 0
    assert "revoked" in run(home, "token", "list").stdout
    assert_one_line_error(run(home, "token", "create", "--scope", "everything"), "scopes")
    assert_one_line_error(run(home, "token", "revoke", "nope"), "no live token")


def test_verify_refuses_a_presentation_of_someone_elses_credential(tmp_path: Path) -> None:
    """``vcnode verify`` on a presentation whose holder is not the credential's subject: not verified
    (holderMismatch) unless ``--allow-holder-mismatch``; the subject's own presentation verifies."""
    home, _ = node(tmp_path)
    learner, impostor = did_key_signer(), did_key_signer()
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": learner.verification_method.split("#")[0]}}
    (tmp_path / "c.json").write_text(json.dumps(credential))
    issued = run(home, "issue", str(tmp_path / "c.json"))
    assert issued.returncode == 0, issued.stderr
    signed = json.loads(issued.stdout)
    (tmp_path / "stolen.json").write_text(json.dumps(create_presentation([signed], impostor)))
    (tmp_path / "own.json").write_text(json.dumps(create_presentation([signed], learner)))

    stolen = run(home, "verify", str(tmp_path / "stolen.json"), "--json")
    assert stolen.returncode == 1, stolen.stderr
    assert [e["code"] for e in json.loads(stolen.stdout)["errors"]] == ["holderMismatch"]
    readable = run(home, "verify", str(tmp_path / "stolen.json")).stdout
    assert "NOT VERIFIED" in readable and "holder binding failed" in readable and "holderMismatch" in readable
    allowed = run(home, "verify", str(tmp_path / "stolen.json"), "--allow-holder-mismatch")
    assert allowed.returncode == 0 and "VERIFIED" in allowed.stdout, allowed.stdout
    own = run(home, "verify", str(tmp_path / "own.json"))
    assert own.returncode == 0 and "holder binding passed" in own.stdout, own.stdout


def write_batch_inputs(tmp_path: Path, rows: int) -> tuple[Path, Path]:
    learners = tmp_path / "learners.csv"
    lines = ["id,email,name"] + [
        (f"did:example:learner-{n},,Learner {n}" if n % 2 else f",learner{n}@example.org,Learner {n}")
        for n in range(rows)]
    learners.write_text("\n".join(lines) + "\n")
    achievement = tmp_path / "achievement.json"
    achievement.write_text(json.dumps(ACHIEVEMENT))
    return learners, achievement


def kill_batch_midway(command: list[str], rows: int) -> dict[str, str]:
    """Run an issue-batch command and SIGKILL it once some chunks are committed; returns its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING"})
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    # Progress lines arrive every 10 %; kill the process hard after the second one.
    deadline = time.monotonic() + 120
    seen = ""
    while f"/{rows}" not in seen or seen.count("\n") < 2:
        line = process.stderr.readline()
        assert line or process.poll() is None, "the batch ended before it could be interrupted"
        seen += line
        assert time.monotonic() < deadline
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return env


def stored_ids(home: Path) -> list[str]:
    with sqlite3.connect(home / "vcnode.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT id FROM credentials")]


def test_batch_survives_sigkill_and_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    rows = 3000
    learners, achievement = write_batch_inputs(tmp_path, rows)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vcnode", "--home", str(home), "issue-batch", str(learners),
               "--achievement", str(achievement), "--out", str(out)]
    env = kill_batch_midway(command, rows)
    partial = stored_ids(home)
    assert 0 < len(partial) < rows, len(partial)

    resumed = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == len(partial) and summary["issued"] == rows - len(partial)
    ids = stored_ids(home)
    assert len(ids) == rows == len(set(ids))                    # nothing lost, nothing twice
    files = sorted(out.glob("*.json"))
    assert len(files) == rows and not list(out.glob("*.tmp"))  # every row written, no torn files
    sample = files[len(files) // 2]
    verified = run(home, "verify", str(sample))
    assert verified.returncode == 0, verified.stdout
    again = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert json.loads(again.stdout)["issued"] == 0             # idempotent
    # A corrected achievement is a different credential: every row is issued again, not skipped.
    corrected = json.loads(achievement.read_text())
    corrected["description"] += " (revised)"
    achievement.write_text(json.dumps(corrected))
    revised = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert json.loads(revised.stdout)["issued"] == rows, revised.stderr


def test_batch_input_errors(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    learners, achievement = write_batch_inputs(tmp_path, 2)
    (tmp_path / "bad.csv").write_text("name\nNobody\n")
    assert_one_line_error(run(home, "issue-batch", str(tmp_path / "bad.csv"), "--achievement", str(achievement),
                              "--out", str(tmp_path / "o")), "'id' or an 'email'")
    (tmp_path / "ach.json").write_text(json.dumps({"name": "x"}))
    assert_one_line_error(run(home, "issue-batch", str(learners), "--achievement", str(tmp_path / "ach.json"),
                              "--out", str(tmp_path / "o")), "achievement needs")
