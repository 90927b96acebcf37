"""The vcnode command line, run as a user would run it (a real process per command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI process under test: no inherited VCNODE_* settings, the test passphrase."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    environ.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING"})
    environ.update(env or {})
    return environ


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], capture_output=True,
                          text=True, env=cli_env(env), timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vcnode: error:"), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0 and result.stdout.startswith("vcnode ")


def test_init_rotate_and_wrong_passphrase(tmp_path: Path) -> None:
    home = tmp_path / "node"
    init = run(home, "init", "--domain", "uni.example")
    assert init.returncode == 0, init.stderr
    assert "did:web:uni.example" in init.stdout
    assert_one_line_error(run(home, "init"), "already exists")
    before = json.loads(run(home, "keys", "list", "--json").stdout)
    assert len(before) == 1 and before[0]["active"]

    wrong = run(home, "keys", "list", env={"VCNODE_PASSPHRASE": "not the passphrase"})
    assert_one_line_error(wrong, "wrong passphrase")
    assert_one_line_error(run(home, "keys", "rotate", env={"VCNODE_PASSPHRASE": "nope"}), "wrong passphrase")
    assert json.loads(run(home, "keys", "list", "--json").stdout) == before  # data intact

    rotated = run(home, "keys", "rotate")
    assert rotated.returncode == 0 and "retired" in rotated.stdout
    keys = json.loads(run(home, "keys", "list", "--json").stdout)
    assert [k["active"] for k in keys] == [True, False] and keys[1]["validUntil"]
    document = json.loads(run(home, "did", "show", "did:web:uni.example").stdout)
    assert {vm["id"] for vm in document["verificationMethod"]} == {k["id"] for k in keys}
    assert set(document["assertionMethod"]) == {k["id"] for k in keys}  # old key still verifies
    assert document["authentication"] == [keys[0]["id"]]


def test_key_identity_and_resolution_commands(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert run(home, "init").returncode == 0
    dids = run(home, "did", "show").stdout.split()
    assert len(dids) == 1 and dids[0].startswith("did:key:z6Mk")
    resolved = json.loads(run(home, "did", "resolve", dids[0]).stdout)
    assert resolved["id"] == dids[0]
    assert_one_line_error(run(home, "keys", "rotate"), "cannot rotate")
    assert_one_line_error(run(home, "did", "resolve", "did:KEY:nope"), "invalidDid")
    assert_one_line_error(run(home, "identity", "create", "--did-method", "web", "--name", "law"), "domain")
    extra = run(home, "identity", "create", "--did-method", "key", "--name", "short-courses")
    assert extra.returncode == 0 and extra.stdout.startswith("did:key:")
    assert run(home, "did", "show").stdout.split() == [dids[0], extra.stdout.strip()]  # the node's own first
    assert_one_line_error(run(home, "identity", "create", "--did-method", "key", "--name", "Bad Name!"), "name")


def test_commands_on_a_missing_node_fail_cleanly(tmp_path: Path) -> None:
    assert_one_line_error(run(tmp_path / "none", "keys", "list"), "vcnode init")


def test_plaintext_key_store_warns(tmp_path: Path) -> None:
    home = tmp_path / "node"
    result = run(home, "init", "--insecure-plaintext-keys", env={"VCNODE_PASSPHRASE": ""})
    assert result.returncode == 0
    listing = run(home, "keys", "list", env={"VCNODE_PASSPHRASE": "", "VCNODE_LOG_LEVEL": "WARNING"})
    assert listing.returncode == 0 and "UNENCRYPTED" in listing.stderr


def test_generated_passphrase_file_is_private(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert run(home, "init", env={"VCNODE_PASSPHRASE": ""}).returncode == 0
    secret = home / "secrets" / "passphrase"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert run(home, "keys", "list", env={"VCNODE_PASSPHRASE": ""}).returncode == 0


@pytest.mark.parametrize("args", [["serve", "--port", "0x"], ["nonsense"], ["did"]])
def test_usage_errors_exit_non_zero(tmp_path: Path, args: list[str]) -> None:
    result = run(tmp_path, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_webvh_init_rotate_and_resolve_versions(tmp_path: Path) -> None:
    home = tmp_path / "node"
    init = run(home, "init", "--did-method", "webvh", "--domain", "uni.example")
    assert init.returncode == 0, init.stderr
    did = init.stdout.split("DID: ", 1)[1].strip()
    assert did.startswith("did:webvh:Qm") and did.endswith(":uni.example")
    assert run(home, "keys", "rotate").returncode == 0
    latest = json.loads(run(home, "did", "resolve", "--result", did).stdout)
    assert latest["didDocumentMetadata"]["versionNumber"] == 2
    first = json.loads(run(home, "did", "resolve", f"{did}?versionNumber=1").stdout)
    keys = json.loads(run(home, "keys", "list", "--json").stdout)
    assert [vm["id"] for vm in first["verificationMethod"]] == [keys[1]["id"]]  # the retired key
    assert [vm["id"] for vm in latest["didDocument"]["verificationMethod"]] == [keys[0]["id"]]
    assert_one_line_error(run(home, "did", "resolve", f"{did}?versionNumber=3"), "notFound")


def test_webvh_needs_a_domain_name(tmp_path: Path) -> None:
    assert_one_line_error(run(tmp_path / "a", "init", "--did-method", "webvh"), "needs --domain")
    assert_one_line_error(run(tmp_path / "b", "init", "--did-method", "webvh", "--domain", "10.0.0.1"), "IP address")
    assert not (tmp_path / "b").exists()  # refused before anything was written


def test_witness_approves_a_candidate_entry(tmp_path: Path) -> None:
    from tests.webvh_builders import LogBuilder, key

    home = tmp_path / "node"
    assert run(home, "init").returncode == 0
    witness = run(home, "witness", "id").stdout.strip()
    assert witness.startswith("did:key:z6Mk")
    log = LogBuilder().create(key(1), {"witness": {"threshold": 1, "witnesses": [{"id": witness}]}}).update(key(1))
    (tmp_path / "published.jsonl").write_bytes(LogBuilder.jsonl_of(log.entries[:1]))
    (tmp_path / "candidate.json").write_text(json.dumps(log.entries[1]))
    signed = run(home, "witness", "sign", "--entry", str(tmp_path / "candidate.json"),
                 "--log", str(tmp_path / "published.jsonl"))
    assert signed.returncode == 0, signed.stderr
    approval = json.loads(signed.stdout)
    assert approval["versionId"] == log.entries[1]["versionId"]
    assert approval["proof"][0]["verificationMethod"].startswith(witness + "#")
    # Presented as the first entry of a new DID, the second entry does not verify: no approval.
    refused = run(home, "witness", "sign", "--entry", str(tmp_path / "candidate.json"))
    assert_one_line_error(refused, "not approved")
