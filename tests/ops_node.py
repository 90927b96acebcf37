"""One real ``vcnode serve`` on 127.0.0.1 for the operator-facing tests (logs, metrics, rate limits): its own
settings, its stderr kept in a file to read afterwards, and raw HTTP calls that return status, headers and
body as the client got them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

from tests.conftest import PASSPHRASE
from tests.integration.test_serve import free_port, wait_for


class Answer:
    """One HTTP answer."""

    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class OpsNode:
    """A node directory (did:key identity) and, while :meth:`start`-ed, its server process."""

    def __init__(self, root: Path, settings: dict[str, str] | None = None) -> None:
        self.home = root / "node"
        self.stderr_path = root / "stderr.log"
        self.port = free_port()
        self.settings = dict(settings or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.cli("init", "--port", str(self.port))
        self.did = json.loads(self.cli("identity", "list", "--json"))[0]["did"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1", **self.settings})
        return env

    def cli(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(self.home), *args], env=self.env(),
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def token(self, scopes: str) -> str:
        return self.cli("token", "create", "--scope", scopes).strip()

    def start(self) -> None:
        with self.stderr_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(self.home), "serve"],
                                            env=self.env(), stdout=subprocess.DEVNULL, stderr=log)
        wait_for(self.url + "/health")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def stderr_lines(self) -> list[str]:
        return self.stderr_path.read_text().splitlines()
