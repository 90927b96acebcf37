"""``vcnode backup`` and ``vcnode restore`` as an operator runs them: a backup taken while ``vcnode serve`` keeps
issuing, restored into a new directory and served again (same DID, keys, tokens, credentials, status lists
and anchor log); altered archives, a newer schema and a non-empty directory refused with one line; the
passphrase left out unless asked for."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.builders import badge
from tests.conftest import PASSPHRASE
from tests.integration.test_anchor_processes import log_rows, replicate
from tests.integration.test_cli import assert_one_line_error
from tests.ops_node import OpsNode

ISSUE = "/credentials/issue"


class RestoredNode(OpsNode):
    """A node directory ``vcnode restore`` made (no init): it listens where its restored config says."""

    def __init__(self, root: Path, port: int, settings: dict[str, str]) -> None:
        self.home, self.stderr_path, self.port = root / "node", root / "stderr.log", port
        self.settings, self.process = dict(settings), None
        self.did = json.loads(self.cli("identity", "list", "--json"))[0]["did"]


def vcnode(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    return subprocess.run([sys.executable, "-m", "vcnode", *args, "--home", str(home)], capture_output=True, text=True,
                          env={**base, "VCNODE_PASSPHRASE": PASSPHRASE, **(env or {})}, timeout=120)


def assert_refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Non-zero, and one error line (the last on stderr, after any progress lines) naming ``fragment``."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("vcnode: error:")]
    assert errors == lines[-1:] and fragment in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def issue(node: OpsNode, token: str, credential_id: str, purpose: str = "revocation") -> dict[str, Any]:
    answer = node.call("POST", ISSUE, {"credential": badge(node.did, credential_id),
                                       "options": {"statusPurpose": purpose}}, {"Authorization": f"Bearer {token}"})
    assert answer.status == 201, answer.body
    return answer.json()["verifiableCredential"]


def revoke(node: OpsNode, token: str, credential_id: str) -> None:
    answer = node.call("POST", "/credentials/status", {
        "credentialId": credential_id, "credentialStatus": {"type": "BitstringStatusListEntry",
                                                            "statusPurpose": "revocation"}, "status": True},
        {"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.body


def verify(node: OpsNode, credential: dict[str, Any]) -> dict[str, Any]:
    """The verification report (a failed one comes as a problem with the same ``errors``)."""
    answer = node.call("POST", "/credentials/verify", {"verifiableCredential": credential})
    assert answer.status in (200, 400), answer.body
    return {"verified": answer.status == 200, **answer.json()}


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}  # type: ignore[union-attr]


def manifest_changed(change: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes], bytes]:
    """A member rewriter for :func:`rewrite` that applies ``change`` to the manifest and keeps the rest."""

    def rewritten(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    return rewritten


def rewrite(archive: Path, out: Path, change: Any) -> None:
    """A copy of ``archive`` with ``change(name, data) -> data`` applied to each member (manifest included)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members(archive).items():
            data = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out.write_bytes(buffer.getvalue())


@dataclass
class ServedBackup:
    """What :func:`backup_while_serving` did: the credentials issued before the backup began (``kept``, one of
    them revoked), and the backup command's outcome."""

    kept: list[dict[str, Any]]
    revoked_id: str
    made: subprocess.CompletedProcess[str]


def backup_while_serving(original: OpsNode, token: str, archive: Path, series: int) -> ServedBackup:
    """Serve ``original``, issue three credentials and revoke one, then run ``vcnode backup`` while the server
    keeps issuing (and its loop keeps re-signing and anchoring the list); at least one credential is issued
    while the backup runs. ``series`` keeps the ids of two calls apart."""
    original.start()
    try:
        kept = [issue(original, token, f"urn:uuid:bac0ffee-0000-4000-8000-{series:06d}00000{n}") for n in range(3)]
        revoke(original, token, kept[1]["id"])
        stop, during = threading.Event(), []

        def keep_issuing() -> None:
            while not stop.is_set():
                during.append(issue(original, token, f"urn:uuid:bac0ffee-0000-4000-8001-{series:04d}{len(during):08d}"))

        worker = threading.Thread(target=keep_issuing)
        worker.start()
        try:
            while len(during) < 3:  # the writes are under way
                stop.wait(0.02)
            before = len(during)
            # No VCNODE_STORE_URL needed: the node directory's config.toml names a PostgreSQL store.
            made = vcnode(original.home, "backup", str(archive))
            assert len(during) > before  # issued while the backup ran
        finally:
            stop.set()
            worker.join(timeout=60)
    finally:
        original.stop()
    return ServedBackup([*kept, *during[:before]], kept[1]["id"], made)


def test_backup_while_serving_then_restore_and_serve(tmp_path: Path) -> None:
    settings = {"VCNODE_GOSSIP_INTERVAL": "0.1"}  # the publishing loop signs and anchors changed lists quickly
    original = OpsNode(tmp_path / "a", settings)
    token = original.token("issue,status")
    archive = tmp_path / "node.vcbackup"
    served = backup_while_serving(original, token, archive, 0)
    made, revoked_id = served.made, served.revoked_id
    assert made.returncode == 0, made.stderr
    assert "store vcnode.sqlite3 (sqlite, schema" in made.stderr and "passphrase is NOT in the backup" in made.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    restored_root = tmp_path / "b"
    restored_root.mkdir()
    done = vcnode(restored_root / "node", "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert original.did in done.stdout and "SHA-256 matches" in done.stderr
    assert stat.S_IMODE((restored_root / "node").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (restored_root / "node").iterdir())

    # The anchor log as backed up: entry for entry what the original wrote (a prefix of its log).
    database = restored_root / "node" / "vcnode.sqlite3"
    backed_up = log_rows(database, original.did)[0]
    originals = {seq: cid for seq, cid, _ in log_rows(original.home / "vcnode.sqlite3", original.did)[0]}
    assert backed_up and all(originals[seq] == cid for seq, cid, _ in backed_up)

    restored = RestoredNode(restored_root, original.port, settings)  # its config: the original's address
    assert restored.did == original.did
    restored.start()
    try:
        for credential in served.kept:  # everything issued before the backup started
            report = verify(restored, credential)
            if credential["id"] == revoked_id:
                assert not report["verified"] and [e["code"] for e in report["errors"]] == ["revoked"], report
            else:
                assert report["verified"], report
        # The original's token still works, and the keys unlock with the same passphrase: the node issues.
        fresh = issue(restored, token, "urn:uuid:bac0ffee-0000-4000-8002-000000000000")
        assert verify(restored, fresh)["verified"]
        revoke(restored, token, fresh["id"])  # status changes go on, and are anchored after what was backed up
        assert [e["code"] for e in verify(restored, fresh)["errors"]] == ["revoked"]
        deadline = time.monotonic() + 10
        while len(log_rows(database, original.did)[0]) == len(backed_up):
            assert time.monotonic() < deadline, "the restored node never anchored its changed list"
            time.sleep(0.05)
    finally:
        restored.stop()

    entries, head, _, _ = log_rows(database, original.did)
    assert head == len(entries) > len(backed_up) and entries[:len(backed_up)] == backed_up
    assert asyncio.run(replicate(database, original.did, entries)) == len(entries)  # every entry checked


def test_refusals_and_the_passphrase(tmp_path: Path) -> None:
    home = tmp_path / "node"
    # No VCNODE_PASSPHRASE at init: a passphrase is generated into secrets/passphrase.
    base = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    init = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), "init"], capture_output=True, text=True,
                          env=base, timeout=120)
    assert init.returncode == 0, init.stderr
    passphrase = (home / "secrets" / "passphrase").read_bytes().strip()
    no_env = {"VCNODE_PASSPHRASE": ""}

    archive = tmp_path / "plain.vcbackup"
    made = vcnode(home, "backup", str(archive), env=no_env)
    assert made.returncode == 0, made.stderr
    content = members(archive)
    assert sorted(content) == ["config.toml", "manifest.json", "store/vcnode.sqlite3"]
    assert not any(passphrase in data for data in content.values())
    manifest = json.loads(content["manifest.json"])
    assert manifest["passphrase"] is None and manifest["members"]["store/vcnode.sqlite3"]["sha256"] == \
        hashlib.sha256(content["store/vcnode.sqlite3"]).hexdigest()
    # Restored without it, the node does not open until it is given the passphrase.
    assert vcnode(tmp_path / "plain", "restore", str(archive)).returncode == 0
    assert_one_line_error(vcnode(tmp_path / "plain", "identity", "list", env=no_env), "passphrase")
    assert vcnode(tmp_path / "plain", "identity", "list", env={"VCNODE_PASSPHRASE": passphrase.decode()}
                  ).returncode == 0

    # Only on request, with a warning; then the restored node opens by itself.
    with_secret = tmp_path / "secret.vcbackup"
    made = vcnode(home, "backup", str(with_secret), "--include-passphrase", env=no_env)
    assert made.returncode == 0 and "warning: --include-passphrase" in made.stderr, made.stderr
    assert "passphrase/secrets/passphrase" in members(with_secret)
    assert vcnode(tmp_path / "secret", "restore", str(with_secret)).returncode == 0
    opened = vcnode(tmp_path / "secret", "identity", "list", env=no_env)
    assert opened.returncode == 0 and manifest["nodeDid"] in opened.stdout, opened.stderr
    assert stat.S_IMODE((tmp_path / "secret" / "secrets" / "passphrase").stat().st_mode) == 0o600

    # A non-empty directory is refused and left as it was.
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert_one_line_error(vcnode(busy, "restore", str(archive)), "is not empty")
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]

    # An altered member, a damaged file, a newer schema, a member outside the node directory: refused,
    # nothing left behind.
    altered = tmp_path / "altered.vcbackup"
    rewrite(archive, altered, lambda name, data: data + b"# altered\n" if name == "config.toml" else data)
    assert_refused(vcnode(tmp_path / "t1", "restore", str(altered)), "does not match the SHA-256")
    damaged = tmp_path / "damaged.vcbackup"
    raw = bytearray(gzip.decompress(archive.read_bytes()))
    raw[len(raw) // 2] ^= 0xFF  # a byte inside the store snapshot
    damaged.write_bytes(gzip.compress(bytes(raw)))
    assert_refused(vcnode(tmp_path / "t2", "restore", str(damaged)), "does not match the SHA-256")
    truncated = tmp_path / "truncated.vcbackup"
    truncated.write_bytes(archive.read_bytes()[:-2000])
    assert_refused(vcnode(tmp_path / "t6", "restore", str(truncated)), "is damaged")
    newer = tmp_path / "newer.vcbackup"
    rewrite(archive, newer, manifest_changed(lambda manifest: manifest["store"].update(schemaVersion=9999)))
    assert_refused(vcnode(tmp_path / "t3", "restore", str(newer)), "newer than this vcnode supports")
    escape = tmp_path / "escape.vcbackup"
    rewrite(archive, escape, manifest_changed(lambda manifest: manifest["members"].update(
        {"passphrase/../../evil": {"sha256": "0" * 64, "size": 0}})))
    assert_refused(vcnode(tmp_path / "t4", "restore", str(escape)), "unexpected member")
    assert_refused(vcnode(tmp_path / "t5", "restore", str(tmp_path / "missing.vcbackup")), "No such file")
    assert not any((tmp_path / name).exists() for name in ("t1", "t2", "t3", "t4", "t5", "t6"))
    assert not (tmp_path / "evil").exists()
