#!/usr/bin/env python3
"""Scaling with worker processes and stores, in one run, with ratios against baselines of the same run:

1. ``POST /credentials/verify`` req/s with ``vcnode serve`` (1 worker) and ``--workers 2``, on SQLite and on
   PostgreSQL (goal: 2 workers >= 1.7x one worker);
2. ``POST /credentials/issue`` with ``options.statusPurpose = revocation`` (distinct ids, an ``issue`` token),
   req/s with 1 and 2 workers on both stores (goal: >= 1,000/s with 2 workers on PostgreSQL); then the store is
   checked: every issued credential stored once with one status entry, every (list, index) once;
3. ``vcnode issue-batch --status revocation`` of ``--batch-rows`` learners (100,000) into each store;
4. growth: per-operation times (issue with status, allocation alone, get_credential, status_value,
   change_status) at each of ``--growth-sizes`` stored credentials (filled with SQL, not by signing), and the
   ratio largest/smallest (goal: no operation slows as the store grows).

PostgreSQL is a throwaway cluster started by the script (tests/postgres.py: the Debian server, run as the
``postgres`` user when root; fsync and synchronous_commit off, as in the tests). The HTTP load comes from a
separate process with a fixed number of keep-alive connections: ``wrk`` (one thread) when installed, else an
asyncio/aiohttp client (``--client aiohttp``). Nothing is pinned but wrk (to core 1): workers, PostgreSQL and
the client share the machine's cores, so on two cores the client's and the database's CPU is taken from the
workers.

    .venv/bin/python scripts/bench_scale.py [--seconds 5] [--stores sqlite,postgresql] [--batch-rows 100000]
        [--growth-sizes 10000,1000000] [--growth-ops 300] [--client wrk|aiohttp] [--json]
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
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_resolve import free_port, wait_healthy
from bench_store import ROOT, BenchNode, batch, check_issued, growth, make_node
from bench_verify import WRK_POST, make_credentials, wrk

sys.path.insert(0, str(ROOT))
from tests.postgres import start_cluster

GOAL_RATIO = 1.7
GOAL_ISSUE_PER_S = 1000

# wrk: every request a new credential id (one wrk thread, so the counter is the only one).
WRK_ISSUE = """
local template = [[%s]]
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}
i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/credentials/issue", headers, string.format(template, i, i))
end
"""

# The aiohttp load client, run as its own process: argv = url, bodies file, seconds, concurrency; prints JSON.
AIOHTTP_CLIENT = r"""
import asyncio, json, sys, time
import aiohttp

async def main(url, bodies, seconds, concurrency, headers):
    done = errors = serial = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker(offset, until, count):
            nonlocal done, errors
            i = offset
            nonlocal serial
            while time.perf_counter() < until:
                body = bodies[i % len(bodies)]
                if b"%d" in body:  # a template: every request a new id
                    serial += 1
                    body = body.replace(b"%d", str(serial).encode())
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if count:
                        done += 1
                        errors += response.status >= 300
                i += concurrency
        warm = time.perf_counter() + 1.0  # connections opened, caches filled
        await asyncio.gather(*(worker(n, warm, False) for n in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, started + seconds, True) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    print(json.dumps({"req_per_s": done / elapsed, "errors": errors}))

bodies = [line.encode() for line in open(sys.argv[2]).read().splitlines()]
asyncio.run(main(sys.argv[1], bodies, float(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])))
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


def issue_template(did: str, prefix: str) -> str:
    """The JSON body of one issue request, ``%d`` where the serial goes (id and subject)."""
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": prefix + "%d",
                  "type": ["VerifiableCredential"], "issuer": did,
                  "credentialSubject": {"id": "did:example:learner-%d"}}
    return json.dumps({"credential": credential, "options": {"statusPurpose": "revocation"}})


@dataclass
class Load:
    """What a load run sends: verification bodies, or issue requests under ids starting ``prefix``."""

    path: str
    bodies: list[str]
    token: str = ""
    did: str = ""

    def wrk_script(self, workdir: Path, prefix: str) -> Path:
        """A wrk script for one run (issue: ids under ``prefix``, new for each run)."""
        script = workdir / f"load-{uuid.uuid4().hex[:8]}.lua"
        if self.token:
            script.write_text(WRK_ISSUE % (issue_template(self.did, prefix), self.token))
        else:
            script.write_text(WRK_POST % ", ".join(json.dumps(b) for b in self.bodies))
        return script

    def run(self, client: str, port: int, workdir: Path, seconds: float, concurrency: int, prefix: str,
            warm_prefix: str) -> dict[str, Any]:
        """Warm up for a second, then one measured run of ``client`` against the server on ``port``; issue
        ids of the measured run start with ``prefix``, those of the warm-up with ``warm_prefix``."""
        if client == "wrk":
            wrk(self.wrk_script(workdir, warm_prefix), port, 1)
            result = wrk(self.wrk_script(workdir, prefix), port, seconds)
            return {"req_per_s": result["req_per_s"], "errors": result["non_2xx"], "p50_ms": result["p50_ms"],
                    "p99_ms": result["p99_ms"], "ok": result["requests"] - result["non_2xx"]}
        bodies = workdir / f"bodies-{uuid.uuid4().hex[:8]}.jsonl"
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
            bodies.write_text(issue_template(self.did, prefix))  # the warm-up's ids too: one counter
        else:
            bodies.write_text("\n".join(self.bodies))
        out = subprocess.run([sys.executable, "-c", AIOHTTP_CLIENT, f"http://127.0.0.1:{port}{self.path}",
                              str(bodies), str(seconds), str(concurrency), json.dumps(headers)],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)


def per_workers(node: BenchNode, load: Load, args: argparse.Namespace, workdir: Path, port: int,
                label: str) -> dict[str, Any]:
    """Req/s of ``load`` against the node served with 1, then 2 workers; the ratio; for issuing, the store
    check after the runs."""
    out: dict[str, Any] = {}
    prefix = f"urn:uuid:bench-{label}-"
    for workers in (1, 2):
        server = Server(node.home, port, workers, node.env)
        try:
            out[f"workers_{workers}"] = load.run(args.client, port, workdir, args.seconds, args.concurrency,
                                                 f"{prefix}w{workers}-", f"{prefix}warm{workers}-")
        finally:
            server.stop()
    one, two = out["workers_1"]["req_per_s"], out["workers_2"]["req_per_s"]
    out["ratio"] = two / one if one else 0.0
    if load.token:
        out["check"] = check_issued(node, prefix)
        if args.client == "wrk":  # the measured run's 2xx answers, each a credential in the store
            for workers in (1, 2):
                run = out[f"workers_{workers}"]
                like = f"'{prefix}w{workers}-%'"
                run["stored"] = node.query(f"SELECT count(*) FROM credentials WHERE id LIKE {like}")[0][0]
                out["check"]["ok"] = out["check"]["ok"] and run["stored"] >= run["ok"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="each HTTP load run")
    parser.add_argument("--concurrency", type=int, default=32, help="aiohttp client connections (wrk uses 16)")
    parser.add_argument("--client", choices=("wrk", "aiohttp"), default="wrk" if shutil.which("wrk") else "aiohttp")
    parser.add_argument("--stores", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--batch-rows", type=int, default=100_000, help="issue-batch rows per store (0: skip)")
    parser.add_argument("--growth-sizes", default="10000,1000000",
                        help="stored credentials to time operations at, comma-separated ('' skips growth)")
    parser.add_argument("--growth-ops", type=int, default=300, help="operations timed per kind and size")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: verify,issue,batch,growth")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    skip = set(args.skip.split(","))
    sizes = [int(n) for n in args.growth_sizes.split(",") if n]
    if not sizes:
        skip.add("growth")
    if args.batch_rows <= 0:
        skip.add("batch")

    results: dict[str, Any] = {"client": args.client, "cores": os.cpu_count(), "seconds": args.seconds,
                               "stores": {}}
    bodies = [] if "verify" in skip else [json.dumps({"verifiableCredential": c})
                                          for c in make_credentials("eddsa-rdfc-2022", 500)]
    cluster = start_cluster() if "postgresql" in stores else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for store in stores:
                port = free_port()
                node = make_node(workdir / store, store, cluster, port)
                found: dict[str, Any] = {}
                results["stores"][store] = found
                if "verify" not in skip:
                    found["verify"] = per_workers(node, Load("/credentials/verify", bodies), args, workdir, port,
                                                  f"{store}-verify")
                if "issue" not in skip:
                    load = Load("/credentials/issue", [], token=node.token("issue"), did=node.did)
                    found["issue"] = per_workers(node, load, args, workdir, port, f"{store}-issue")
                if "batch" not in skip:
                    found["batch"] = batch(make_node(workdir / f"{store}-batch", store, cluster, free_port()),
                                           args.batch_rows, workdir)
                if "growth" not in skip:
                    found["growth"] = growth(make_node(workdir / f"{store}-growth", store, cluster, free_port()),
                                             sizes, args.growth_ops)
    finally:
        if cluster is not None:
            cluster.stop()
    compare(results)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report(results)
    return 0


def compare(results: dict[str, Any]) -> None:
    """PostgreSQL against SQLite (the baseline) where both were measured."""
    stores = results["stores"]
    if "sqlite" not in stores or "postgresql" not in stores:
        return
    sqlite, pg = stores["sqlite"], stores["postgresql"]
    ratios: dict[str, float] = {}
    for part in ("verify", "issue"):
        for workers in (1, 2):
            if part in sqlite and sqlite[part][f"workers_{workers}"]["req_per_s"]:
                ratios[f"{part}_workers_{workers}"] = (pg[part][f"workers_{workers}"]["req_per_s"]
                                                       / sqlite[part][f"workers_{workers}"]["req_per_s"])
    if "batch" in sqlite:
        ratios["batch"] = pg["batch"]["credentials_per_s"] / sqlite["batch"]["credentials_per_s"]
    results["postgresql_over_sqlite"] = ratios


def report(results: dict[str, Any]) -> None:
    """The readable report."""
    print(f"{results['cores']} cores shared by workers, load client ({results['client']}) and PostgreSQL; "
          f"{results['seconds']:g} s per HTTP run")
    for store, found in results["stores"].items():
        print(f"\n{store}")
        for part, title, goal in (("verify", "POST /credentials/verify (eddsa-rdfc-2022)", f">= {GOAL_RATIO}x"),
                                  ("issue", "POST /credentials/issue + revocation entry",
                                   f">= {GOAL_ISSUE_PER_S:,}/s with 2 workers on PostgreSQL")):
            if part not in found:
                continue
            r = found[part]
            print(f"  {title}")
            for workers in (1, 2):
                w = r[f"workers_{workers}"]
                stored = f", {w['ok']:,} answered 2xx, {w['stored']:,} stored" if "stored" in w else ""
                print(f"    {workers} worker{'s' if workers > 1 else ' '}: {w['req_per_s']:8,.0f} req/s  "
                      f"({w['errors']} errors{stored})")
            print(f"    ratio 2/1: {r['ratio']:.2f}x  (goal {goal})")
            if "check" in r:
                c = r["check"]
                print(f"    store check: {'OK' if c['ok'] else 'FAILED'} — {c['stored']:,} stored, "
                      f"{c['status_entries']:,} entries, {c['distinct_list_index']:,} distinct (list, index), "
                      f"{c['credentials_without_entry']} without entry, {c['lists_with_wrong_counter']} lists "
                      "with a wrong counter")
        if "batch" in found:
            b = found["batch"]
            print(f"  issue-batch {b['rows']:,} rows --status revocation: {b['credentials_per_s']:8,.0f} "
                  f"credentials/s ({b['wall_per_s']:,.0f}/s with the command's start), "
                  f"{b['stored_with_status']:,} stored with status")
        if "growth" in found:
            g = found["growth"]
            sizes = [k for k in g if k != "ratio"]
            print(f"  growth (ms per operation at {' / '.join(f'{int(k):,}' for k in sizes)} credentials, "
                  f"ratio largest/smallest)")
            for op, ratio in g["ratio"].items():
                times = " / ".join(f"{g[k][op]:.3f}" for k in sizes)
                print(f"    {op[:-3]:16} {times} ms   {ratio:.2f}x")
            fills = " / ".join(f"{g[k]['fill_seconds']:.1f}" for k in sizes)
            print(f"    fill: {fills} s")
    if "postgresql_over_sqlite" in results:
        print("\nPostgreSQL / SQLite: " + ", ".join(f"{k} {v:.2f}x"
                                                   for k, v in results["postgresql_over_sqlite"].items()))


if __name__ == "__main__":
    raise SystemExit(main())
