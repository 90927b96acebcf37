"""The command line as people use it, in real processes: `--home` after the command, help that imports little,
a bad CSV row named by row and column before anything is issued, a wrong status purpose answered with the valid
ones, the batch manifest, and Ctrl-C on `issue-batch` saying how to resume (and the rerun resuming)."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_cli import assert_one_line_error, cli_env, run
from tests.integration.test_cli_credentials import node, stored_ids, write_batch_inputs

HEAVY = ("aiohttp", "pyld", "aiosqlite", "nacl", "cryptography", "vcnode.node", "vcnode.proofs", "vcnode.trust")


def vcnode(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with exactly these arguments (no --home put first)."""
    return subprocess.run([sys.executable, "-m", "vcnode", *args], capture_output=True, text=True, env=cli_env(),
                          timeout=60)


def test_home_is_taken_after_the_command(tmp_path: Path) -> None:
    home = str(tmp_path / "node")
    init = vcnode("init", "--home", home)
    assert init.returncode == 0, init.stderr
    did = init.stdout.split("DID: ")[1].strip()
    shown = vcnode("did", "show", "--home", home)
    assert shown.returncode == 0 and shown.stdout.split() == [did], shown.stderr
    keys = vcnode("keys", "list", "--json", "--home", home)
    assert keys.returncode == 0 and len(json.loads(keys.stdout)) == 1, keys.stderr


@pytest.mark.parametrize("args", [["--help"], ["issue-batch", "--help"], ["trust", "anchors", "list", "--help"]])
def test_help_imports_little(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "vcnode", *args], capture_output=True,
                            text=True, env=cli_env(), timeout=60)
    assert result.returncode == 0 and "usage: vcnode" in result.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time")}
    assert "vcnode.cli.main" in imported
    assert sorted(name for name in imported if name.split(".")[0] in HEAVY or name.startswith(HEAVY)) == []


@pytest.mark.parametrize(("content", "fragment"), [
    ("id,email,name\ndid:example:1,,A\nnot a uri,,B\n", "row 3, column 'id': 'not a uri' is not a URL"),
    ("id,email,name\ndid:example:1,,A\n,sean.example.org,B\n", "row 3, column 'email': 'sean.example.org'"),
    ("id,email,name\ndid:example:1,,A\n,,Nobody\n", "row 3, columns 'id' and 'email'"),
    ("id,email,name\ndid:example:1,,A,Extra\n", "row 2: 4 values, but the header names 3 columns"),
    ("Name,E-mail\nA,a@example.org\n", "row 1: the header needs an 'id' or an 'email' column"),
])
def test_a_bad_csv_row_is_named_by_row_and_column_before_anything_is_issued(tmp_path: Path, content: str,
                                                                           fragment: str) -> None:
    home, _ = node(tmp_path)
    _, achievement = write_batch_inputs(tmp_path, 1)
    learners = tmp_path / "bad.csv"
    learners.write_text(content)
    result = run(home, "issue-batch", str(learners), "--achievement", str(achievement), "--out", str(tmp_path / "o"))
    assert_one_line_error(result, f"bad.csv {fragment}")
    assert stored_ids(home) == [] and not list(tmp_path.glob("o/*.json"))  # not even the good row before it


def test_a_wrong_status_purpose_lists_the_valid_ones(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    credential = tmp_path / "c.json"
    credential.write_text(json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"],
                                      "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:1"}}))
    learners, achievement = write_batch_inputs(tmp_path, 2)
    for command in (["issue", str(credential)],
                    ["issue-batch", str(learners), "--achievement", str(achievement), "--out", str(tmp_path / "o")]):
        result = run(home, *command, "--status", "revocation,revokation")
        assert_one_line_error(result, "unknown status purpose 'revokation'; valid purposes: revocation, suspension")
    assert stored_ids(home) == []
    assert "no status lists" in run(home, "status", "lists").stdout


def test_issue_batch_writes_a_manifest_of_rows_credentials_and_files(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    learners, achievement = write_batch_inputs(tmp_path, 5)
    out = tmp_path / "out"
    result = run(home, "issue-batch", str(learners), "--achievement", str(achievement), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["manifest"] == str(out / "manifest.csv")
    manifest = list(csv.DictReader((out / "manifest.csv").open()))
    sources = list(csv.DictReader(learners.open()))
    assert [row["row"] for row in manifest] == ["2", "3", "4", "5", "6"]  # as a spreadsheet numbers them
    for entry, source in zip(manifest, sources, strict=True):
        assert (entry["id"], entry["email"]) == (source["id"], source["email"])
        issued = json.loads((out / entry["file"]).read_text())
        assert issued["id"] == entry["credentialId"]
        assert issued["credentialSubject"].get("id", "") == source["id"]
    assert sorted(entry["credentialId"] for entry in manifest) == sorted(stored_ids(home))


def test_ctrl_c_on_issue_batch_says_how_to_resume_and_a_rerun_resumes(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    rows = 3000
    learners, achievement = write_batch_inputs(tmp_path, rows)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vcnode", "--home", str(home), "issue-batch", str(learners),
               "--achievement", str(achievement), "--out", str(out)]
    process = subprocess.Popen(command, env=cli_env(), stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    while seen.count(f"/{rows}") < 2:  # two progress lines: some chunks are stored, more are to come
        line = process.stderr.readline()
        assert line or process.poll() is None, "the batch ended before it could be interrupted"
        seen += line
        assert time.monotonic() < deadline
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr, stderr
    message = re.search(r"interrupted after (\d+) of 3000 rows", stderr)
    assert message, stderr
    assert "To resume, run the same command again" in stderr and "never issued twice" in stderr
    assert f"vcnode --home {home} issue-batch {learners} --achievement {achievement} --out {out}" in stderr
    partial = len(stored_ids(home))
    assert int(message.group(1)) <= partial < rows

    resumed = subprocess.run([*command, "--json"], env=cli_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["skipped"], summary["issued"]) == (partial, rows - partial)
    assert len(set(stored_ids(home))) == rows == len(list(out.glob("*.json")))
    assert sum(1 for _ in (out / "manifest.csv").open()) == rows + 1
