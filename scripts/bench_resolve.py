#!/usr/bin/env python3
"""DID resolution throughput: in-process and over HTTP. A benchmark, not a test.

Baseline, measured in the same run: a straightforward did:key resolver (``multiformats`` multibase and
multicodec decoding, no cache) — the approach vcnode's resolver replaces. HTTP figures come from real
``vcnode serve`` processes pinned to one core, with the load generator (keep-alive, 16 concurrent) pinned
to the other when the machine has two. The load generator is ``wrk`` when installed (``apt-get install
wrk``); otherwise an aiohttp client, which saturates its own core before the server does, so its figures
understate the server.

    .venv/bin/python scripts/bench_resolve.py [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import yarl
from multiformats import multibase, multicodec

from did_methods.key import KeyDriver
from vcnode.did.resolver import Resolver
from vcnode.keys.ed25519 import Ed25519KeyPair, x25519_from_ed25519

ACAPY_HTTP_REFERENCE = 500  # did:key resolutions/s over HTTP, ACA-Py on this machine kind (not measured here)


def naive_resolve(did: str) -> dict:
    """The baseline: decode with multiformats, derive X25519, build the document; no cache."""
    raw = multibase.decode(did.split(":")[2])
    codec, key = multicodec.unwrap(raw)
    assert codec.name == "ed25519-pub"
    x25519 = multibase.encode(multicodec.wrap("x25519-pub", x25519_from_ed25519(bytes(key))), "base58btc")
    vm = f"{did}#{did.split(':')[2]}"
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": did,
            "verificationMethod": [{"id": vm, "type": "Multikey", "controller": did,
                                    "publicKeyMultibase": did.split(":")[2]}],
            "authentication": [vm], "assertionMethod": [vm], "capabilityDelegation": [vm],
            "capabilityInvocation": [vm],
            "keyAgreement": [{"id": f"{did}#{x25519}", "type": "Multikey", "controller": did,
                              "publicKeyMultibase": x25519}]}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


async def in_process(dids: list[str], seconds: float) -> dict[str, float]:
    """Resolutions/s: baseline, vcnode cold (every DID new to the cache) and vcnode warm (cached)."""
    started, done = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        for did in dids:
            naive_resolve(did)
        done += len(dids)
    baseline = rate(done, time.perf_counter() - started)

    cold_done, cold_time = 0, 0.0
    while cold_time < seconds:
        resolver = Resolver([KeyDriver()], cache_size=len(dids) + 1)  # a fresh cache: every call is a miss
        t0 = time.perf_counter()
        for did in dids:
            await resolver.resolve(did)
        cold_time += time.perf_counter() - t0
        cold_done += len(dids)
    cold = rate(cold_done, cold_time)

    resolver = Resolver([KeyDriver()], cache_size=len(dids) + 1)
    for did in dids:
        await resolver.resolve(did)
    started, done = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        for did in dids:
            await resolver.resolve(did)
        done += len(dids)
    warm = rate(done, time.perf_counter() - started)
    return {"baseline_naive_per_s": baseline, "vcnode_cold_per_s": cold, "vcnode_warm_per_s": warm}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(core: int) -> list[str]:
    """A command prefix pinning a process to one core, when taskset exists and there are two cores."""
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def wait_healthy(port: int, timeout: float = 30.0) -> None:
    """Wait until the server on ``port`` answers ``GET /health``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class NodeProcess:
    """A real `vcnode serve` process in a temporary node directory."""

    def __init__(self, workdir: Path, name: str, core: int) -> None:
        self.port = free_port()
        self.home = workdir / name
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        self.env.update({"VCNODE_LOG_LEVEL": "WARNING", "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1"})
        vcnode = [sys.executable, "-m", "vcnode", "--home", str(self.home)]
        subprocess.run([*vcnode, "init", "--insecure-plaintext-keys", "--domain", f"127.0.0.1:{self.port}",
                        "--public-url", f"http://127.0.0.1:{self.port}"],
                       env=self.env, check=True, capture_output=True)
        self.did = f"did:web:127.0.0.1%3A{self.port}"
        self.process = subprocess.Popen([*pin(core), *vcnode, "serve", "--port", str(self.port)], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_healthy(self.port)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)


async def http_load(urls: list, seconds: float, concurrency: int = 16) -> dict[str, float]:
    """Requests/s and latency percentiles with keep-alive connections."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for url in urls[:concurrency]:  # warm up: connections and caches
            async with session.get(url) as response:
                await response.read()
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with session.get(urls[i % len(urls)]) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append(time.perf_counter() - t0)
                i += concurrency

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"req_per_s": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1], "errors": errors}


WRK_SCRIPT = """
paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def wrk_load(urls: list[str], seconds: float, concurrency: int = 16) -> dict[str, float]:
    """Requests/s and latency percentiles measured by wrk (one thread, pinned to core 1)."""
    base = urls[0].split("/1.0/")[0]
    paths = ", ".join(json.dumps(url[len(base):]) for url in urls)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % paths)
    try:
        out = subprocess.run([*pin(1), "wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
                              "--latency", "-s", script.name, base], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(script.name)

    def latency(label: str) -> float:
        value = next(line.split()[1] for line in out.splitlines() if line.strip().startswith(label))
        unit = 1000.0 if value.endswith("us") else (1.0 if value.endswith("ms") else 0.001)
        return float(value.rstrip("usm")) / unit

    errors = sum(int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line)
    req = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    return {"req_per_s": req, "p50_ms": latency("50%"), "p99_ms": latency("99%"), "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()

    dids = [f"did:key:{Ed25519KeyPair.generate().public_multikey}" for _ in range(2000)]
    results: dict[str, dict] = {"in_process": asyncio.run(in_process(dids, args.seconds))}

    use_wrk = shutil.which("wrk") is not None
    if not use_wrk and pin(1):
        os.sched_setaffinity(0, {1})

    def load(urls: list[str]) -> dict[str, float]:
        if use_wrk:
            return wrk_load(urls, args.seconds)
        return asyncio.run(http_load([yarl.URL(url, encoded=True) for url in urls], args.seconds))

    with tempfile.TemporaryDirectory() as workdir:
        server = NodeProcess(Path(workdir), "verifier", core=0)
        issuer = NodeProcess(Path(workdir), "issuer", core=0)
        try:
            base = f"http://127.0.0.1:{server.port}/1.0/identifiers/"
            results["load_generator"] = "wrk" if use_wrk else "aiohttp (client-bound: install wrk)"
            results["http_did_key"] = load([base + did for did in dids[:200]])
            results["http_did_web_cached"] = load([base + issuer.did])
        finally:
            server.stop()
            issuer.stop()

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    ip = results["in_process"]
    print("DID resolution benchmark (did:key Ed25519 unless noted)")
    print(f"  in-process  baseline (multiformats, no cache) {ip['baseline_naive_per_s']:>10,.0f} /s")
    print(f"  in-process  vcnode cold (cache miss)          {ip['vcnode_cold_per_s']:>10,.0f} /s"
          f"   {ip['vcnode_cold_per_s'] / ip['baseline_naive_per_s']:.1f}x baseline")
    print(f"  in-process  vcnode warm (LRU hit)             {ip['vcnode_warm_per_s']:>10,.0f} /s"
          f"   {ip['vcnode_warm_per_s'] / ip['baseline_naive_per_s']:.1f}x baseline   (goal >= 50,000)")
    print(f"  HTTP load generator: {results['load_generator']}")
    for key, label in (("http_did_key", "did:key"), ("http_did_web_cached", "did:web cached")):
        h = results[key]
        print(f"  HTTP 16 conc {label:<16} server on 1 core {h['req_per_s']:>10,.0f} /s"
              f"   p50 {h['p50_ms']:.2f} ms  p99 {h['p99_ms']:.2f} ms  errors {h['errors']}"
              f"   {h['req_per_s'] / ACAPY_HTTP_REFERENCE:.0f}x ACA-Py reference (~500/s)")
    print("  HTTP goal >= 5,000/s on one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
