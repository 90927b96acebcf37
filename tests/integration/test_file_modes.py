"""The node directory is private whatever the umask (issue #11 item 13): with umask 022 a real ``vcnode init``,
``vcnode serve`` that has written its WAL, and ``vcnode trust anchors add`` rewriting config.toml leave the
directory 0700 and every file 0600, so other local users read no learner data, token hashes or seeds."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.builders import badge
from tests.integration.test_serve import free_port, wait_for

UMASK = 0o022
ANCHOR = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def vcnode(home: Path, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], env=env, umask=UMASK,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def loose(home: Path) -> dict[str, str]:
    """Every path under ``home`` (itself included) that group or others may access, with its mode."""
    paths = [home, *home.rglob("*")]
    return {str(p.relative_to(home)): oct(stat.S_IMODE(p.stat().st_mode)) for p in paths
            if p.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)}


def private(home: Path) -> dict[str, str]:
    """The mode of each path under ``home``: directories must be 0700 and files 0600 exactly."""
    return {str(p.relative_to(home)): oct(stat.S_IMODE(p.stat().st_mode)) for p in [home, *home.rglob("*")]
            if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)}


@pytest.mark.parametrize("flags", [[], ["--insecure-plaintext-keys"]], ids=["generated-passphrase", "plaintext"])
def test_the_node_directory_stays_private_with_umask_022(tmp_path: Path, flags: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}  # no passphrase: one is generated
    home, port = tmp_path / "node", free_port()
    vcnode(home, "init", "--port", str(port), *flags, env=env)
    names = {p.name for p in home.rglob("*")}
    assert {"config.toml", "vcnode.sqlite3"} <= names and ("passphrase" in names) == (not flags)
    assert private(home) == {}, loose(home)

    token = vcnode(home, "token", "create", "--scope", "issue", env=env).strip()
    did = vcnode(home, "did", "show", env=env).split()[0]
    server = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=env, umask=UMASK,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/credentials/issue", data=json.dumps({
            "credential": badge(did), "options": {"statusPurpose": "revocation"}}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
        assert {"vcnode.sqlite3-wal", "vcnode.sqlite3-shm"} <= {p.name for p in home.iterdir()}
        assert private(home) == {}, loose(home)  # the served node's WAL and shared-memory files too

        vcnode(home, "trust", "anchors", "add", ANCHOR, env=env)  # rewrites config.toml
        assert ANCHOR in (home / "config.toml").read_text()
        assert private(home) == {}, loose(home)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert private(home) == {}, loose(home)


def test_a_node_directory_left_readable_is_made_private_when_opened(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    home = tmp_path / "node"
    vcnode(home, "init", "--insecure-plaintext-keys", env=env)
    for path in [home, *home.rglob("*")]:  # as a vcnode that left modes to the umask created it
        path.chmod(0o755 if path.is_dir() else 0o644)
    vcnode(home, "identity", "list", env=env)
    assert private(home) == {}, loose(home)
