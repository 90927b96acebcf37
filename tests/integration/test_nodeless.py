"""No node needed to check something: an employer verifies a credential file and anyone resolves a DID with
`vcnode verify` / `vcnode did resolve` where no node was ever initialised (no passphrase either). The issuer is
a real did:web node serving its DID document and status list on 127.0.0.1; the checks go over the network and
the output says that no node's replicas or trust statements were used."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.builders import did_key_signer
from tests.integration.test_cli import cli_env, run
from tests.integration.test_cli_status import issue
from tests.integration.test_serve import free_port, wait_for

NOTE = "no node's replicas, anchors or trust statements were used"


def checker(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as someone without a node runs it: no passphrase, nothing but the guarded fetcher's exception
    for the test's 127.0.0.1 servers."""
    env = cli_env({"VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1"})
    del env["VCNODE_PASSPHRASE"]
    return subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_verify_and_resolve_without_a_node(tmp_path: Path) -> None:
    port = free_port()
    issuer = tmp_path / "issuer"
    assert run(issuer, "init", "--domain", f"127.0.0.1:{port}", "--allow-http-host", "127.0.0.1",
               "--port", str(port)).returncode == 0
    did = f"did:web:127.0.0.1%3A{port}"
    credential = issue(tmp_path, issuer, "3b9d2f10-0000-4000-8000-000000000001", "revocation")
    nobody = tmp_path / "employer"  # never initialised
    server = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(issuer), "serve"], env=cli_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        verified = checker(nobody, "verify", str(credential), "--json")
        assert verified.returncode == 0, verified.stderr
        report = json.loads(verified.stdout)
        assert report["verified"] and report["results"]["issuer"]["issuer"] == did, report
        [entry] = report["results"]["status"]["entries"]  # the list was fetched from the issuer and checked
        assert entry["status"] == 0 and entry["source"] == "issuer", entry
        assert [w["code"] for w in report["warnings"]] == ["noNode"] and NOTE in report["warnings"][0]["message"]
        readable = checker(nobody, "verify", str(credential))
        assert readable.returncode == 0 and "VERIFIED" in readable.stdout and NOTE in readable.stdout

        assert run(issuer, "revoke", "urn:uuid:3b9d2f10-0000-4000-8000-000000000001").returncode == 0
        revoked = checker(nobody, "verify", str(credential), "--json")
        assert revoked.returncode == 1 and [e["code"] for e in json.loads(revoked.stdout)["errors"]] == ["revoked"]

        resolved = checker(nobody, "did", "resolve", did)
        assert resolved.returncode == 0, resolved.stderr
        assert json.loads(resolved.stdout)["id"] == did and NOTE in resolved.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    for other in (did_key_signer().verification_method.split("#")[0],
                  "did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1s"
                  "cndJYUFRcGh6bncifQ"):
        result = checker(nobody, "did", "resolve", other, "--result")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["didDocument"]["id"] == other
    unreachable = checker(nobody, "did", "resolve", did)  # the issuer is gone: a one-line error, no traceback
    assert unreachable.returncode == 1 and unreachable.stderr.count("vcnode: error:") == 1, unreachable.stderr
    assert not nobody.exists()  # nothing was created where no node is
