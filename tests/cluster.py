"""Real ``vcnode serve`` processes on 127.0.0.1 that peer with each other: node directories, start/stop,
the CLI and HTTP calls the multi-node tests make."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.builders import badge
from tests.conftest import PASSPHRASE
from tests.integration.test_serve import free_port, wait_for


class Cluster:
    """Node directories and server processes."""

    def __init__(self, root: Path, names: tuple[str, ...], issuer: str | None = None) -> None:
        self.root = root
        self.names = names
        self.issuer = issuer or names[0]
        self.ports = {name: free_port() for name in names}
        self.processes: dict[str, subprocess.Popen] = {}
        self.dids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        peers = [self.url(other) for other in self.names if other != name]
        env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING", "VCNODE_PEERS": ",".join(peers),
                    "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1", "VCNODE_GOSSIP_INTERVAL": "0.1",
                    "VCNODE_ANTI_ENTROPY_INTERVAL": "0.5", "VCNODE_FETCH_TIMEOUT": "2"})
        return env

    def cli(self, name: str, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(self.root / name), *args],
                                env=self.env(name), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def init(self) -> None:
        for name in self.names:
            self.cli(name, "init", "--port", str(self.ports[name]))
            self.dids[name] = json.loads(self.cli(name, "identity", "list", "--json"))[0]["did"]
        for name in self.names:
            self.tokens[name] = self.cli(name, "token", "create", "--scope", "issue,status").strip()

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "vcnode", "--home", str(self.root / name), "serve"], env=self.env(name),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(self.url(name) + "/health")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name, signal.SIGKILL)

    def post(self, name: str, path: str, body: Any, token: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url(name) + path, data=json.dumps(body).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def head(self, name: str, log: str) -> int:
        with urllib.request.urlopen(self.url(name) + "/p2p/v1/status", timeout=10) as response:
            heads = {h["log"]: h["seq"] for h in json.loads(response.read())["heads"]}
        return heads.get(log, 0)

    def saw(self, name: str, log: str, entry: str) -> bool:
        """Whether a node holds ``entry`` as its head of ``log``, or holds a proof that ``log`` forked."""
        with urllib.request.urlopen(self.url(name) + "/p2p/v1/status", timeout=10) as response:
            state = json.loads(response.read())
        return any(h["log"] == log and h["entry"] == entry for h in state["heads"]) or \
            any(p["log"] == log for p in state["equivocations"])

    def wait_head(self, names: tuple[str, ...], log: str, seq: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while any(self.head(name, log) < seq for name in names):
            assert time.monotonic() < deadline, {name: self.head(name, log) for name in names}
            time.sleep(0.1)

    def issue(self, credential_id: str) -> dict[str, Any]:
        status, body = self.post(self.issuer, "/credentials/issue", {
            "credential": badge(self.dids[self.issuer], credential_id),
            "options": {"statusPurpose": "revocation"}}, self.tokens[self.issuer])
        assert status == 201, body
        return body["verifiableCredential"]

    def revoke(self, credential_id: str) -> None:
        status, body = self.post(self.issuer, "/credentials/status", {
            "credentialId": credential_id, "credentialStatus": {"type": "BitstringStatusListEntry",
                                                                "statusPurpose": "revocation"}, "status": True},
            self.tokens[self.issuer])
        assert status == 200, body

    def verify(self, name: str, credential: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self.post(name, "/credentials/verify", {"verifiableCredential": credential})

    @contextmanager
    def serving(self) -> Iterator[Cluster]:
        """Every node serving for the duration; all killed afterwards."""
        try:
            for name in self.names:
                self.start(name)
            yield self
        finally:
            self.close()
