#!/usr/bin/env python3
"""Recognition across cities, live: four vcnode nodes on 127.0.0.1 that gossip with each other.

A Hong Kong regulator accredits a Hong Kong provider; a New Zealand regulator recognises the Hong Kong
regulator with a level map; an employer in Auckland trusts only the New Zealand regulator. The provider
issues a micro-credential, the employer verifies it and is told who vouches for it and what it is worth in
NZQCF terms. Then the Hong Kong regulator goes offline (the answer comes from replicas), comes back and
withdraws the accreditation. The statements are the bundled EXAMPLE data (vcnode.trust.examples), not
official ones.

    .venv/bin/python scripts/demo_recognition.py [--keep DIR]

Each node is a real ``vcnode serve`` with its own directory (under a temporary directory, or DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from vcnode.trust.examples import example_badge, example_documents

NODES = ("hk_regulator", "hk_provider", "nz_regulator", "employer")
ROLES = {"hk_regulator": "hk-regulator", "hk_provider": "hk-provider", "nz_regulator": "nz-regulator"}
ACCREDITATION = "https://vcnode.dev/examples/statements/accreditation-hk"
PASSPHRASE = "demo passphrase, not for production"


class Demo:
    """The four nodes: directories, processes, and the calls the story makes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ports = {name: _free_port() for name in NODES}
        self.dids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING",
                    "VCNODE_PEERS": ",".join(self.url(other) for other in NODES if other != name),
                    "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1", "VCNODE_GOSSIP_INTERVAL": "0.2",
                    "VCNODE_ANTI_ENTROPY_INTERVAL": "1", "VCNODE_FETCH_TIMEOUT": "2",
                    "VCNODE_STATUS_LIST_TTL": "1"})
        return env

    def cli(self, name: str, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(self.root / name), *args],
                                env=self.env(name), capture_output=True, text=True, timeout=120)
        if result.returncode not in (0, 1):
            raise SystemExit(f"vcnode {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def init(self) -> None:
        for name in NODES:
            self.cli(name, "init", "--port", str(self.ports[name]))
            self.dids[name] = json.loads(self.cli(name, "identity", "list", "--json"))[0]["did"]
            self.tokens[name] = self.cli(name, "token", "create", "--scope", "issue,status").strip()
        self.cli("employer", "trust", "anchors", "add", self.dids["nz_regulator"])

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(self.root / name),
                                                 "serve"], env=self.env(name), stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url(name) + "/health", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not start") from None
                time.sleep(0.1)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    def post(self, name: str, path: str, body: Any, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(self.url(name) + path, data=json.dumps(body).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def held_by_employer(self) -> int:
        with urllib.request.urlopen(self.url("employer") + "/trust/statements", timeout=10) as response:
            return sum(s["proof"] == "verified" for s in json.loads(response.read())["statements"])

    def explain(self, credential_file: Path) -> None:
        print(self.cli("employer", "trust", "explain", str(credential_file)))

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _step(text: str) -> None:
    print(f"\n=== {text}")


def _wait(what: str, check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def run(root: Path) -> None:
    """The story, step by step."""
    demo = Demo(root)
    _step("four nodes: Hong Kong regulator and provider, New Zealand regulator, an employer in Auckland")
    demo.init()
    for name in NODES:
        demo.start(name)
        print(f"{name:<13} {demo.url(name)}  {demo.dids[name]}")
    try:
        _step("the regulators publish their (example) frameworks, the accreditation and the agreement")
        dids = {ROLES[name]: demo.dids[name] for name in ROLES}
        for document in example_documents(dids, ("frameworks", "accreditations", "agreements")):
            issuer = document["issuer"]["id"]
            name = next(n for n, did in demo.dids.items() if did == issuer)
            status, body = demo.post(name, "/trust/statements", {"statement": document}, demo.tokens[name])
            assert status == 201, body
            print(f"{name} published {document['type'][1]} {document['id']}")
        _wait("the employer to replicate the statements", lambda: demo.held_by_employer() >= 4)
        print("the employer holds all four, each verified and anchored in its issuer's log")

        _step("the provider issues an HKQF level 4 micro-credential; the employer verifies it")
        unsigned = example_badge("hk-cloud-data", issuer=demo.dids["hk_provider"],
                                 learner_id="did:example:learner-aroha",
                                 credential_id="urn:uuid:6d3f0c1e-0000-4000-8000-00000000de00")
        status, body = demo.post("hk_provider", "/credentials/issue", {"credential": unsigned},
                                 demo.tokens["hk_provider"])
        assert status == 201, body
        badge_file = root / "badge.json"
        badge_file.write_text(json.dumps(body["verifiableCredential"], indent=2))
        demo.explain(badge_file)

        _step("the Hong Kong regulator goes offline: the answer comes from replicas")
        demo.stop("hk_regulator")
        time.sleep(1.2)
        demo.explain(badge_file)

        _step("it comes back and withdraws the accreditation")
        demo.start("hk_regulator")
        print(demo.cli("hk_regulator", "trust", "withdraw", ACCREDITATION, "--reason", "demo").strip())
        _wait("the employer to see the withdrawal", lambda: demo.post(
            "employer", "/credentials/verify", {"verifiableCredential": json.loads(badge_file.read_text()),
                                                "options": {"recognition": True}})[1]["recognition"]["recognised"]
            is False)
        demo.explain(badge_file)
    finally:
        demo.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="keep the node directories in DIR (must not exist)")
    args = parser.parse_args()
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True)
        run(root)
        print(f"\nnode directories kept in {root}")
    else:
        with tempfile.TemporaryDirectory(prefix="vcnode-demo-") as folder:
            run(Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
