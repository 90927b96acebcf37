"""Run schemathesis against a real node, both inside a network namespace of their own.

``python -m tests.integration.schemathesis_run WORKDIR`` is run by tests/integration/test_openapi_conformance.py
under ``unshare --user --map-root-user --net``: the namespace has only a loopback interface, so whatever the
generated requests name (``did:web:`` hosts, status list URLs, peer URLs), the node cannot send a packet off
this machine. The script brings loopback up, initialises a did:web node on 127.0.0.1 with a token of every
scope, serves it, runs ``schemathesis run`` on the document the node serves (checks and bounds in
:data:`SCHEMATHESIS_ARGS`), stops the node and exits non-zero when schemathesis found anything or the node
logged an error. Its output is schemathesis's report.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
PASSPHRASE = "correct horse battery staple"
MAX_EXAMPLES = 20
SCHEMATHESIS_ARGS = [
    # Every check but positive_data_acceptance: requests valid by the schema may still be refused for what
    # the document cannot express (an unknown issuer, a challenge never handed out, a credential that does
    # not verify), and those refusals are documented. errors_are_problems comes from schemathesis_hooks.
    "--checks", "all", "--exclude-checks", "positive_data_acceptance",
    "--phases", "examples,coverage,fuzzing,stateful",
    "--max-examples", str(MAX_EXAMPLES), "--generation-deterministic",
    "--workers", "1", "--request-timeout", "20", "--continue-on-failure", "--max-failures", "50",
]


def loopback_up() -> None:
    """``ip link set lo up`` without needing iproute2 (SIOCGIFFLAGS / SIOCSIFFLAGS on ``lo``)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sh", fcntl.ioctl(sock, siocgifflags, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main(workdir: Path) -> int:
    loopback_up()
    port, home = free_port(), workdir / "node"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCNODE_", "SCHEMATHESIS_"))}
    env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING", "VCNODE_FETCH_TIMEOUT": "2",
                "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1"})

    def cli(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], env=env,
                                capture_output=True, text=True, timeout=120, check=True)
        return result.stdout

    cli("init", "--domain", f"127.0.0.1:{port}", "--port", str(port))
    json.loads(cli("identity", "list", "--json"))
    token = cli("token", "create", "--scope", "admin").strip()
    log = workdir / "serve.log"
    with log.open("wb") as output:
        node = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=env,
                                stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/health")
        started = time.monotonic()
        path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # for the hooks module
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", url + "/openapi.yaml",
             "--url", url, "-H", f"Authorization: Bearer {token}", *SCHEMATHESIS_ARGS],
            env={**env, "NO_COLOR": "1", "PYTHONPATH": path},
            cwd=workdir, timeout=600)
        print(f"schemathesis ran for {time.monotonic() - started:.1f} s", flush=True)
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=30)
    logged = log.read_text(errors="replace")
    if "Traceback" in logged or "ERROR" in logged:
        print("the node logged errors:\n" + logged[-8000:], flush=True)
        return 1
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
