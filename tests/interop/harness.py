"""Runs the Node.js harnesses in this directory (jobs JSON on stdin, results JSON on stdout).

Each harness gets vcnode's pinned contexts (and the test-only ones) as its only contexts, so both sides see
exactly the same context documents and neither fetches anything.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.conftest import ROOT

HARNESS = ROOT / "tests" / "interop"
CONTEXT_DIRS = [str(ROOT / "src" / "vcnode" / "jsonld" / "contexts"), str(ROOT / "tests" / "fixtures" / "contexts")]
INSTALL_HINT = "the interop packages are not installed: run scripts/test (it runs npm ci in tests/interop)"


def run_harness(script: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``jobs`` through ``tests/interop/<script>``; one result per job, in order."""
    if shutil.which("node") is None or not (HARNESS / "node_modules").is_dir():
        pytest.fail(INSTALL_HINT)
    result = subprocess.run(["node", str(HARNESS / script), *CONTEXT_DIRS], input=json.dumps(jobs),
                            capture_output=True, text=True, timeout=120)
    if "ERR_MODULE_NOT_FOUND" in result.stderr:
        pytest.fail(f"{INSTALL_HINT}\n{result.stderr[-1000:]}")
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(result.stdout)
    assert len(results) == len(jobs), results
    return results


def tampered(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OB3 credential (see tests.builders.badge) with the achievement renamed."""
    changed = copy.deepcopy(document)
    changed["credentialSubject"]["achievement"]["name"] = "Advanced Data Privacy"
    return changed
