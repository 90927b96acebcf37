"""Identities that work: `vcnode init --domain` refuses what cannot make a resolvable did:web, and the documented
development set-up (`--domain localhost:PORT --allow-http-host localhost`) gets a public_url other nodes can
fetch its status lists from — checked by a second node over real HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.integration.test_cli import assert_one_line_error, cli_env, run
from tests.integration.test_cli_status import issue
from tests.integration.test_serve import free_port, wait_for


@pytest.mark.parametrize(("domain", "fragment"), [
    ("https://poly.example", "not a URL"),                 # gave did:web:https%3A%2F%2Fpoly.example
    ("http://poly.example:8080", "not a URL"),
    ("poly.example/path", "without a path"),              # gave did:web:poly.example%2Fpath
    ("poly.example:99999", "port"),
    ("user@poly.example", "host[:port]"),
    ("poly example", "host[:port]"),
    ("", "needs --domain"),
])
def test_init_refuses_a_domain_that_makes_no_resolvable_did(tmp_path: Path, domain: str, fragment: str) -> None:
    home = tmp_path / "node"
    assert_one_line_error(run(home, "init", "--did-method", "web", "--domain", domain), fragment)
    assert not (home / "vcnode.sqlite3").exists()  # refused before anything was written


def test_init_with_a_plain_domain_derives_its_did_and_https_public_url(tmp_path: Path) -> None:
    home = tmp_path / "node"
    init = run(home, "init", "--domain", "poly.example")
    assert init.returncode == 0, init.stderr
    assert "DID: did:web:poly.example\n" in init.stdout
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["public_url"] == "https://poly.example" and "warning" not in init.stderr


def test_the_documented_dev_setup_serves_status_lists_another_node_can_fetch(tmp_path: Path) -> None:
    port = free_port()
    issuer = tmp_path / "issuer"
    init = run(issuer, "init", "--domain", f"localhost:{port}", "--allow-http-host", "localhost",
               "--port", str(port))
    assert init.returncode == 0, init.stderr
    assert "warning" not in init.stderr, init.stderr
    assert tomllib.loads((issuer / "config.toml").read_text())["public_url"] == f"http://localhost:{port}"
    credential_path = issue(tmp_path, issuer, "7a0d3c52-0000-4000-8000-000000000001", "revocation")
    status_url = json.loads(credential_path.read_text())["credentialStatus"]["statusListCredential"]
    assert status_url.startswith(f"http://localhost:{port}/status/"), status_url
    verifier = tmp_path / "verifier"
    assert run(verifier, "init", "--allow-http-host", "localhost").returncode == 0

    server = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(issuer), "serve"],
                              env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        report = _verify(verifier, credential_path)
        [entry] = report["results"]["status"]["entries"]
        assert report["verified"] and entry.get("status") == 0 and entry["source"] == "issuer", report
        assert run(issuer, "revoke", "urn:uuid:7a0d3c52-0000-4000-8000-000000000001").returncode == 0
        report = _verify(verifier, credential_path)
        assert [e["code"] for e in report["errors"]] == ["revoked"], report
    finally:
        server.send_signal(signal.SIGTERM)
        stderr = server.communicate(timeout=30)[1]
    assert "public_url" not in stderr, stderr  # nothing to warn about


def test_init_and_serve_warn_when_public_url_has_the_wrong_scheme(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "node"
    init = run(home, "init", "--domain", f"localhost:{port}", "--allow-http-host", "localhost", "--port", str(port),
               "--public-url", f"https://localhost:{port}")
    assert init.returncode == 0, init.stderr
    assert f"public_url https://localhost:{port} is https but the node serves http" in init.stderr, init.stderr
    server = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=cli_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
    finally:
        server.send_signal(signal.SIGTERM)
        stderr = server.communicate(timeout=30)[1]
    assert f"set public_url = \"http://localhost:{port}\"" in stderr, stderr


def _verify(home: Path, path: Path) -> dict:
    result = run(home, "verify", str(path), "--json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)
