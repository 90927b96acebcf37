"""Store-side helpers of ``scripts/bench_scale.py`` (not run on its own): nodes on SQLite or on a throwaway
PostgreSQL database, the after-run check of issued credentials and their status entries, the 100k-row
``vcnode issue-batch``, and growth (per-operation times at two store sizes, the stores filled with SQL)."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.postgres import Cluster, Reader  # noqa: E402

ACHIEVEMENT = {"id": "https://hcp.example/achievements/daf", "type": ["Achievement"],
               "name": "Data Analytics Fundamentals", "description": "Descriptive statistics and dashboards.",
               "criteria": {"narrative": "Pass the assessed project."}}


@dataclass
class BenchNode:
    """An initialised node directory (``vcnode init``) on SQLite or on ``store_url``; its DID and env."""

    home: Path
    store: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    did: str = ""
    store_url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    cluster: Cluster | None = None

    def vcnode(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``vcnode --home HOME ARGS`` in this node's environment."""
        return subprocess.run([sys.executable, "-m", "vcnode", "--home", str(self.home), *args], env=self.env,
                              capture_output=True, text=True, check=check)

    def token(self, scope: str) -> str:
        """A bearer token with ``scope`` (created once)."""
        if scope not in self.tokens:
            self.tokens[scope] = self.vcnode("token", "create", "--scope", scope).stdout.split()[0]
        return self.tokens[scope]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one read-only query of the node's store (SQLite file or PostgreSQL database)."""
        if self.store_url:
            with Reader(self.store_url) as db:
                return [tuple(row) for row in db.execute(sql).fetchall()]
        with sqlite3.connect(self.home / "vcnode.sqlite3") as db:
            return db.execute(sql).fetchall()


def base_env() -> dict[str, str]:
    """This environment without any VCNODE_* setting, quiet logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env.update({"VCNODE_LOG_LEVEL": "WARNING", "VCNODE_ACCESS_LOG": "false"})
    return env


def make_node(home: Path, store: str, cluster: Cluster | None, port: int) -> BenchNode:
    """``vcnode init`` of a node in ``home`` on SQLite, or on a new database of ``cluster``."""
    env = base_env()
    url = ""
    if store == "postgresql":
        assert cluster is not None
        url = env["VCNODE_STORE_URL"] = cluster.create_database()
    node = BenchNode(home, store, env, store_url=url, cluster=cluster)
    out = node.vcnode("init", "--insecure-plaintext-keys", "--port", str(port)).stdout
    node.did = next(line.split()[1] for line in out.splitlines() if line.startswith("DID:"))
    return node


def check_issued(node: BenchNode, prefix: str) -> dict[str, Any]:
    """After an issuing run: credentials under ``prefix`` stored once each, each with exactly one status entry,
    every (list, index) held once, and each list's ``allocated`` counter equal to its entries."""
    like = f"'{prefix}%'"
    stored, distinct = node.query(f"SELECT count(*), count(DISTINCT id) FROM credentials WHERE id LIKE {like}")[0]
    entries, pairs, creds = node.query(
        "SELECT count(*), count(DISTINCT list_id || ':' || idx), count(DISTINCT credential_id) FROM status_entries "
        f"WHERE credential_id LIKE {like}")[0]
    without = node.query(f"SELECT count(*) FROM credentials c WHERE id LIKE {like} AND NOT EXISTS "
                         "(SELECT 1 FROM status_entries e WHERE e.credential_id = c.id)")[0][0]
    counters = node.query("SELECT count(*) FROM status_lists l WHERE allocated != "
                          "(SELECT count(*) FROM status_entries e WHERE e.list_id = l.id)")[0][0]
    ok = stored == distinct == entries == pairs == creds and without == 0 and counters == 0
    return {"ok": ok, "stored": stored, "status_entries": entries, "distinct_list_index": pairs,
            "credentials_without_entry": without, "lists_with_wrong_counter": counters}


def batch(node: BenchNode, rows: int, workdir: Path) -> dict[str, Any]:
    """``vcnode issue-batch --status revocation`` of ``rows`` learners: credentials/s (the command's own
    figure, and the wall time of the whole command including its start) and the store check."""
    data = workdir / f"learners-{node.store}.csv"
    with data.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name"])
        writer.writerows([f"did:example:batch-{n}", f"Learner {n}"] for n in range(rows))
    achievement = workdir / "achievement.json"
    achievement.write_text(json.dumps(ACHIEVEMENT))
    started = time.perf_counter()
    out = node.vcnode("issue-batch", str(data), "--achievement", str(achievement), "--out",
                      str(workdir / f"batch-{node.store}"), "--status", "revocation", "--json").stdout
    wall = time.perf_counter() - started
    summary = json.loads(out)
    stored = node.query("SELECT count(*) FROM credentials c WHERE EXISTS (SELECT 1 FROM status_entries e "
                        "WHERE e.credential_id = c.id)")[0][0]
    return {"rows": rows, "issued": summary["issued"], "seconds": summary["seconds"],
            "credentials_per_s": summary["issued"] / summary["seconds"], "wall_per_s": rows / wall,
            "stored_with_status": stored}


# ---------------------------------------------------------------------------------------------------------------
# Growth: fill the store to a size with SQL, then time single operations.

def _columns(node: BenchNode, table: str) -> list[str]:
    if node.store_url:
        return [r[0] for r in node.query("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                         f"'{table}' ORDER BY ordinal_position")]
    return [r[1] for r in node.query(f"PRAGMA table_info({table})")]


def fill(node: BenchNode, target: int, template_list: str) -> None:
    """Add credentials (a short signed-looking JSON document each) and their status entries until the store
    holds ``target`` credentials: full lists copied from ``template_list`` (closed, so new allocations still go
    to the open list), ``entries`` credentials per list. The search index (credential_terms) is not filled."""
    have = node.query("SELECT count(*) FROM credentials")[0][0]
    add = target - have
    if add <= 0:
        return
    entries = node.query(f"SELECT entries FROM status_lists WHERE id = '{template_list}'")[0][0]
    columns = _columns(node, "status_lists")
    lists = -(-add // entries)
    fresh = {"id": "'fill-' || k || '-' || " + str(have), "allocated": str(entries), "next_seq": str(entries)}
    select = ", ".join(fresh.get(c, c) for c in columns)
    document = ("'{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"id\":\"urn:fill:' || n || "
                f"'\",\"type\":[\"VerifiableCredential\"],\"issuer\":\"{node.did}\",\"credentialSubject\":"
                "{\"id\":\"did:example:fill-' || n || '\"},\"proof\":{\"type\":\"DataIntegrityProof\","
                "\"proofValue\":\"z' || md5(n::text) || md5(n::text) || '\"}}'")
    if node.store_url:
        pg = node.store_url.rsplit("/", 1)[1]
        assert node.cluster is not None
        cluster_psql = node.cluster.psql
        cluster_psql(f"INSERT INTO status_lists ({', '.join(columns)}) SELECT {select} FROM status_lists, "
                     f"generate_series(0, {lists - 1}) AS k WHERE id = '{template_list}'", pg)
        cluster_psql("INSERT INTO credentials (id, issuer, document, created) SELECT 'urn:fill:' || n, "
                     f"'{node.did}', {document}, '2026-01-01T00:00:00Z' FROM generate_series({have}, "
                     f"{have + add - 1}) AS n", pg)
        cluster_psql("INSERT INTO status_entries (list_id, idx, credential_id) SELECT 'fill-' || "
                     f"((n - {have}) / {entries}) || '-' || {have}, (n - {have}) % {entries}, 'urn:fill:' || n "
                     f"FROM generate_series({have}, {have + add - 1}) AS n", pg)
        # Statistics for the planner, and the fill's dirty pages written now rather than during the timing.
        cluster_psql("VACUUM ANALYZE", pg)
        cluster_psql("CHECKPOINT", pg)
        return
    document = document.replace("n::text", "n").replace("md5(n)", "hex(randomblob(16))")
    with sqlite3.connect(node.home / "vcnode.sqlite3") as db:
        db.execute("PRAGMA busy_timeout = 30000")
        series = f"WITH RECURSIVE s(n) AS (SELECT {have} UNION ALL SELECT n + 1 FROM s WHERE n < {have + add - 1})"
        lists_series = f"WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < {lists - 1})"
        db.execute(f"{lists_series} INSERT INTO status_lists ({', '.join(columns)}) SELECT {select} FROM "
                   f"status_lists, s WHERE id = '{template_list}'")
        db.execute(f"{series} INSERT INTO credentials (id, issuer, document, created) SELECT 'urn:fill:' || n, "
                   f"'{node.did}', {document}, '2026-01-01T00:00:00Z' FROM s")
        db.execute(f"{series} INSERT INTO status_entries (list_id, idx, credential_id) SELECT 'fill-' || "
                   f"((n - {have}) / {entries}) || '-' || {have}, (n - {have}) % {entries}, 'urn:fill:' || n FROM s")
        db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _per_op(operation: Callable[[int], Any], count: int) -> float:
    """Mean milliseconds of ``count`` sequential awaits of ``operation(n)``."""
    started = time.perf_counter()
    for n in range(count):
        await operation(n)
    return (time.perf_counter() - started) * 1000 / count


async def operations(node: BenchNode, count: int, tag: str) -> dict[str, float]:
    """Per-operation milliseconds, in-process on the node's store: issue with a revocation entry (signing
    included), allocation alone (allocate + save in one issuance transaction, no signing), get_credential,
    status_value and change_status of random stored credentials."""
    from vcnode.config import load_config
    from vcnode.credentials.records import CredentialRecord
    from vcnode.node import Node
    from vcnode.status.entries import status_requests
    from vcnode.status.records import StatusChange

    logging.getLogger("vcnode").setLevel(logging.ERROR)  # the plaintext-keys warning of every open
    env = {k: v for k, v in node.env.items() if k.startswith("VCNODE_")}
    config = load_config(node.home, environ=env, overrides={"log_level": "warning"})
    app = await Node.open(config, environ=env)
    try:
        store = app.store
        requests = status_requests({"statusPurpose": "revocation"})
        spec = app.credentials.list_spec(requests[0])
        rows = node.query("SELECT credential_id, list_id, idx FROM status_entries WHERE credential_id LIKE "
                          "'urn:fill:%' ORDER BY random() LIMIT " + str(count))
        random.shuffle(rows)

        async def issue(n: int) -> None:
            credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": f"urn:grow:{tag}:i{n}",
                          "type": ["VerifiableCredential"], "issuer": node.did,
                          "credentialSubject": {"id": f"did:example:grow-{n}"}}
            await app.credentials.issue(credential, status=requests)

        async def allocate(n: int) -> None:
            cid = f"urn:grow:{tag}:a{n}"
            async with store.issuance() as issuance:
                await issuance.allocate(node.did, spec, [cid])
                await issuance.save_credentials([CredentialRecord(cid, node.did, "{}", "2026-01-01T00:00:00Z",
                                                                  None)])

        async def lookup(n: int) -> None:
            assert await store.get_credential(rows[n % len(rows)][0]) is not None

        async def value(n: int) -> None:
            await store.status_value(rows[n % len(rows)][1], int(rows[n % len(rows)][2]))

        async def change(n: int) -> None:
            cid, list_id, idx = rows[n % len(rows)]
            await store.change_status(StatusChange("2026-01-01T00:00:00Z", "bench", cid, list_id, int(idx),
                                                   "revocation", 0, 1))

        await issue(-1)  # warm: keys, contexts (and the open list, the first time)
        if not rows:
            return {}
        return {"issue_ms": await _per_op(issue, count), "allocate_ms": await _per_op(allocate, count),
                "get_credential_ms": await _per_op(lookup, count), "status_value_ms": await _per_op(value, count),
                "change_status_ms": await _per_op(change, min(count, len(rows)))}
    finally:
        await app.close()


def growth(node: BenchNode, sizes: list[int], count: int) -> dict[str, Any]:
    """Fill ``node`` to each size in turn and time the operations there; the ratio of the last size's time to
    the first's."""
    # One issued credential opens the revocation list the filler lists are copied from.
    asyncio.run(operations(node, 1, "open"))
    template = node.query("SELECT id FROM status_lists WHERE id NOT LIKE 'fill-%' AND purpose = 'revocation' "
                          "ORDER BY created LIMIT 1")[0][0]
    out: dict[str, Any] = {}
    for size in sizes:
        started = time.perf_counter()
        fill(node, size, template)
        filled = time.perf_counter() - started
        out[str(size)] = {"fill_seconds": filled, **asyncio.run(operations(node, count, f"s{size}"))}
    first, last = out[str(sizes[0])], out[str(sizes[-1])]
    out["ratio"] = {k: last[k] / first[k] for k in first if k.endswith("_ms") and first[k]}
    return out
