"""A new user's first run: `scripts/serve` in a fresh clone creates .venv, installs, initialises ./.vcnode/
and serves; the node then resolves DIDs over HTTP. Slow (a real pip install), so it runs once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.test_serve import free_port, wait_for


@pytest.mark.integration
def test_scripts_serve_in_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("this test needs git and a git checkout of vcnode")
    clone = tmp_path / "vcnode"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCNODE_", "VIRTUAL_ENV"))}
    port = free_port()
    process = subprocess.Popen([str(clone / "scripts" / "serve"), "--port", str(port)], cwd=clone, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while True:  # installing into a new .venv takes a while; fail at once if the script dies
            assert process.poll() is None, process.communicate()[0].decode(errors="replace")[-3000:]
            try:
                assert b'"ok"' in wait_for(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "scripts/serve did not come up in 10 minutes"
        assert (clone / ".vcnode" / "vcnode.sqlite3").exists()
        node_did = subprocess.run([str(clone / ".venv" / "bin" / "vcnode"), "did", "show"], cwd=clone, env=env,
                                  capture_output=True, text=True, check=True).stdout.split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/1.0/identifiers/{node_did}") as response:
            result = json.load(response)
        assert result["didDocument"]["id"] == node_did
        ready = json.loads(wait_for(f"http://127.0.0.1:{port}/ready"))
        assert ready["status"] == "ready"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0].decode(errors="replace")
    assert process.returncode == 0, output[-3000:]
