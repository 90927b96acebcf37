"""Real ``vcnode serve`` processes on 127.0.0.1 that peer with each other: node directories, start/stop,
the CLI and HTTP calls the multi-node tests make."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.builders import badge
from tests.conftest import PASSPHRASE
from tests.integration.test_serve import free_port, wait_for
from tests.postgres import Cluster as Postgres


@dataclass(frozen=True)
class Template:
    """A did:key node directory initialised once per test session, with an API token (scopes issue, status)."""

    home: Path
    did: str
    token: str


_TEMPLATES: dict[str, Template] = {}
_TEMPLATE_ROOT: list[Path] = []


def _template(key: str, *, token: bool) -> Template:
    """A node directory made by the real CLI (``vcnode init``, and ``token create`` with ``token``) on first use
    in this session. Its ``config.toml`` holds no setting: whoever copies it passes them in the environment."""
    if key not in _TEMPLATES:
        if not _TEMPLATE_ROOT:
            _TEMPLATE_ROOT.append(Path(tempfile.mkdtemp(prefix="vcnode-node-templates-")))
            atexit.register(shutil.rmtree, _TEMPLATE_ROOT[0], True)
        home = _TEMPLATE_ROOT[0] / key
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING"})

        def cli(*args: str) -> str:
            result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], env=env,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            return result.stdout

        did = cli("init").split("DID: ", 1)[1].strip()
        _TEMPLATES[key] = Template(home, did, cli("token", "create", "--scope", "issue,status").strip() if token
                                   else "")
    return _TEMPLATES[key]


_TEMPLATE_DATABASES: dict[tuple[int, Path], str] = {}


def postgres_copy(postgres: Postgres, template: Template) -> str:
    """A PostgreSQL database holding the node of ``template``: the template is moved into PostgreSQL once per
    cluster by the real ``vcnode migrate-store``, then each node gets a copy (CREATE DATABASE … TEMPLATE)."""
    key = (postgres.port, template.home)
    if key not in _TEMPLATE_DATABASES:
        home = template.home.with_name(template.home.name + f"-pg{postgres.port}")
        shutil.copytree(template.home, home)
        url = postgres.create_database()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        env["VCNODE_PASSPHRASE"] = PASSPHRASE
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), "migrate-store", "--to", url],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        _TEMPLATE_DATABASES[key] = url.rsplit("/", 1)[1]
    return postgres.clone(_TEMPLATE_DATABASES[key])


def node_template(index: int) -> Template:
    """The ``index``-th cluster node template: a did:key node (each its own DID) with a token."""
    return _template(f"cluster{index}", token=True)


def fresh_node(home: Path) -> str:
    """A did:key node in ``home`` just as ``vcnode init`` leaves it (a copy of one made once per session, with
    the test passphrase); its DID."""
    template = _template("fresh", token=False)
    shutil.copytree(template.home, home)
    return template.did


class Cluster:
    """Node directories and server processes. ``peers`` names each node's configured peers (default: every
    other node)."""

    def __init__(self, root: Path, names: tuple[str, ...], issuer: str | None = None,
                 peers: dict[str, tuple[str, ...]] | None = None, postgres: Postgres | None = None) -> None:
        self.root = root
        #: With a PostgreSQL cluster, every node keeps its store there (its own database), not in SQLite.
        self.postgres = postgres
        self.store_urls: dict[str, str] = {}
        self.names = names
        self.issuer = issuer or names[0]
        self.ports = {name: free_port() for name in names}
        self.peers = peers or {name: tuple(other for other in names if other != name) for name in names}
        self.processes: dict[str, subprocess.Popen] = {}
        self.dids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        peers = [self.url(other) for other in self.peers.get(name, ())]
        env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING", "VCNODE_PEERS": ",".join(peers),
                    "VCNODE_PORT": str(self.ports[name]),
                    "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1", "VCNODE_GOSSIP_INTERVAL": "0.1",
                    "VCNODE_ANTI_ENTROPY_INTERVAL": "0.5", "VCNODE_FETCH_TIMEOUT": "2"})
        if name in self.store_urls:
            env["VCNODE_STORE_URL"] = self.store_urls[name]
        return env

    def cli(self, name: str, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(self.root / name), *args],
                                env=self.env(name), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def init(self) -> None:
        """Give every node its directory: a copy of a node template (its own DID and token), not a new
        ``vcnode init`` per test."""
        for index, name in enumerate(self.names):
            template = node_template(index)
            shutil.copytree(template.home, self.root / name)
            self.dids[name], self.tokens[name] = template.did, template.token
            if self.postgres is not None:
                self.store_urls[name] = postgres_copy(self.postgres, template)
                (self.root / name / "vcnode.sqlite3").unlink()  # nothing may read the SQLite file by mistake

    def start(self, *names: str) -> None:
        """Start these nodes' servers at once, then wait until each answers."""
        for name in names:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "vcnode", "--home", str(self.root / name), "serve"], env=self.env(name),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for name in names:
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
            self.start(*self.names)
            yield self
        finally:
            self.close()
