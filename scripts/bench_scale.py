#!/usr/bin/env python3
"""Scaling with worker processes: ``POST /credentials/verify`` req/s over HTTP against one node on SQLite served by
``vcnode serve`` (1 worker) and ``vcnode serve --workers 2``, in one run. A benchmark, not a test.

The load comes from a separate process with a fixed number of keep-alive connections, sending distinct signed
credentials (eddsa-rdfc-2022, did:key issuer, so nothing is fetched): ``wrk`` (one thread) when installed, else
an asyncio/aiohttp client (``--client aiohttp`` chooses it). Nothing is pinned: the workers and the client share
the machine's cores, so on two cores the client's own CPU is taken from the second worker; wrk takes much less
of it than the aiohttp client. The issue's goal is 2 workers >= 1.7x one worker.

    .venv/bin/python scripts/bench_scale.py [--seconds 5] [--concurrency 32] [--client wrk|aiohttp] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_resolve import free_port, wait_healthy
from bench_verify import WRK_POST, make_credentials, wrk

GOAL_RATIO = 1.7

# The aiohttp load client, run as its own process: argv = url, bodies file, seconds, concurrency; prints JSON.
AIOHTTP_CLIENT = r"""
import asyncio, json, sys, time
import aiohttp

async def main(url, bodies, seconds, concurrency):
    done = errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker(offset, until, count):
            nonlocal done, errors
            i = offset
            while time.perf_counter() < until:
                async with session.post(url, data=bodies[i % len(bodies)], headers=headers) as response:
                    await response.read()
                    if count:
                        done += 1
                        errors += response.status != 200
                i += concurrency
        warm = time.perf_counter() + 1.0  # connections opened, caches filled
        await asyncio.gather(*(worker(n, warm, False) for n in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, started + seconds, True) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    print(json.dumps({"req_per_s": done / elapsed, "errors": errors}))

bodies = [line.encode() for line in open(sys.argv[2]).read().splitlines()]
asyncio.run(main(sys.argv[1], bodies, float(sys.argv[3]), int(sys.argv[4])))
"""


class Server:
    """``vcnode serve [--workers N]`` of the node in ``home`` on ``port``."""

    def __init__(self, home: Path, port: int, workers: int, env: dict[str, str]) -> None:
        self.port = port
        self.process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve",
                                         "--port", str(port), "--workers", str(workers)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_healthy(port)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=40)


def load(client: str, port: int, workdir: Path, seconds: float, concurrency: int) -> dict[str, Any]:
    """One measured run of the chosen load client against the server on ``port``."""
    if client == "wrk":
        wrk(workdir / "post.lua", port, 1)  # warm up: connections, caches
        result = wrk(workdir / "post.lua", port, seconds)
        return {"req_per_s": result["req_per_s"], "errors": result["non_2xx"], "p50_ms": result["p50_ms"],
                "p99_ms": result["p99_ms"]}
    out = subprocess.run([sys.executable, "-c", AIOHTTP_CLIENT, f"http://127.0.0.1:{port}/credentials/verify",
                          str(workdir / "bodies.jsonl"), str(seconds), str(concurrency)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32, help="aiohttp client connections (wrk uses 16)")
    parser.add_argument("--client", choices=("wrk", "aiohttp"), default="wrk" if shutil.which("wrk") else "aiohttp")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    credentials = make_credentials("eddsa-rdfc-2022", 500)
    bodies = [json.dumps({"verifiableCredential": c}) for c in credentials]
    results: dict[str, Any] = {"client": args.client, "cores": os.cpu_count(), "store": "sqlite",
                               "endpoint": "POST /credentials/verify (eddsa-rdfc-2022)"}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bodies.jsonl").write_text("\n".join(bodies))
        (workdir / "post.lua").write_text(WRK_POST % ", ".join(json.dumps(b) for b in bodies))
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        env.update({"VCNODE_LOG_LEVEL": "WARNING", "VCNODE_ACCESS_LOG": "false"})
        home, port = workdir / "node", free_port()
        subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), "init", "--insecure-plaintext-keys",
                        "--port", str(port)], env=env, check=True, capture_output=True)
        for workers in (1, 2):
            server = Server(home, port, workers, env)
            try:
                results[f"workers_{workers}"] = load(args.client, port, workdir, args.seconds, args.concurrency)
            finally:
                server.stop()
    one, two = results["workers_1"]["req_per_s"], results["workers_2"]["req_per_s"]
    results["ratio"] = two / one if one else 0.0
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{results['endpoint']} over HTTP, SQLite store, {results['cores']} cores shared with the load client "
          f"({args.client})")
    for workers in (1, 2):
        r = results[f"workers_{workers}"]
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: {r['req_per_s']:8,.0f} req/s  ({r['errors']} errors)")
    print(f"  ratio 2/1: {results['ratio']:.2f}x  (goal >= {GOAL_RATIO}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
