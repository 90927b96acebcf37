"""One node directory, several processes appending to its anchor log at once: a real ``vcnode serve``
re-signing changed lists every 50 ms (its publishing loop) and answering status changes over HTTP, beside
CLI processes revoking credentials and publishing trust statements. Every append lands: no
``UNIQUE constraint failed`` anywhere, no sequence number reused or skipped, every entry links to the one
before, the whole log verifies entry by entry in a fresh replica, and no trust statement is left pending."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from did_methods.key import KeyDriver
from tests.cluster import Cluster
from vcnode.anchor.entries import entry_cid
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.statements import TRUST_STATEMENT_PUBLISHED
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.did.resolver import Resolver
from vcnode.status.bitstring import decode_list, get_entry
from vcnode.trust.examples import example_documents

CLI_REVOKES = 3
HTTP_REVOKES = 2
STATEMENTS = 2


class FastNode(Cluster):
    """One node, no peers, its background loops (which re-sign and anchor changed lists) every 50 ms."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "VCNODE_GOSSIP_INTERVAL": "0.05"}


def cli(cluster: Cluster, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(cluster.root / "node"), *args],
                            env=cluster.env("node"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def statement_files(root: Path, did: str) -> list[tuple[str, Path]]:
    [accreditation] = example_documents({"hk-regulator": did,
                                         "hk-provider": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
                                        ("accreditations",))
    out = []
    for n in range(STATEMENTS):
        statement_id = f"https://node.example/trust/statements/{n}"
        path = root / f"statement-{n}.json"
        path.write_text(json.dumps({**accreditation, "id": statement_id}))
        out.append((statement_id, path))
    return out


def log_rows(database: Path, did: str) -> tuple[list[tuple[int, str, dict[str, Any]]], int, list[str], int]:
    """(seq, cid, entry) of the node's own log, the head's seq, the trust statement URLs anchored, pending notes."""
    with sqlite3.connect(database) as db:
        entries = [(row[0], row[1], orjson.loads(row[2])) for row in db.execute(
            "SELECT seq, cid, document FROM anchor_entries WHERE log = ? ORDER BY seq", (did,))]
        [(head,)] = db.execute("SELECT seq FROM anchor_heads WHERE log = ?", (did,)).fetchall()
        statements = [row[0] for row in db.execute("SELECT url FROM anchor_published WHERE kind = ? ORDER BY url",
                                                   (TRUST_STATEMENT_PUBLISHED,))]
        [(pending,)] = db.execute("SELECT COUNT(*) FROM trust_pending").fetchall() \
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'trust_pending'").fetchone() else [(0,)]
    return entries, head, statements, pending


def revoked(database: Path, newest: dict[str, dict[str, Any]], credential: dict[str, Any]) -> bool:
    """Whether the newest anchored publication of the credential's list has its revocation bit set."""
    entry = credential["credentialStatus"]
    with sqlite3.connect(database) as db:
        [(data,)] = db.execute("SELECT data FROM anchor_blobs WHERE cid = ?",
                               (newest[entry["statusListCredential"]]["payload"],)).fetchall()
    listed = orjson.loads(data)
    return get_entry(decode_list(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"])) == 1


async def replicate(source: Path, did: str, entries: list[tuple[int, str, dict[str, Any]]]) -> int:
    """Take the whole log into an empty in-memory replica (each entry's signature, seq and link checked)."""
    with sqlite3.connect(source) as db:
        blobs = {row[0]: bytes(row[1]) for row in db.execute("SELECT cid, data FROM anchor_blobs WHERE log = ?",
                                                             (did,))}
        [(head,)] = db.execute("SELECT document FROM anchor_heads WHERE log = ?", (did,)).fetchall()
    replica = AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), lambda _: None)
    return (await replica.ingest(orjson.loads(head), [entry for _, _, entry in entries], blobs)).accepted


def test_a_server_and_cli_processes_appending_at_once_keep_one_linked_log(tmp_path: Path) -> None:
    cluster = FastNode(tmp_path, ("node",))
    cluster.init()
    did = cluster.dids["node"]
    statements = statement_files(tmp_path, did)
    with cluster.serving():
        ids = [f"urn:uuid:5a1e0000-0000-4000-8000-{n:012d}" for n in range(CLI_REVOKES + HTTP_REVOKES)]
        issued = [cluster.issue(credential_id) for credential_id in ids]
        # All at once: CLI processes (each its own connection to the store) and requests to the server.
        processes = [cli(cluster, "revoke", credential_id) for credential_id in ids[:CLI_REVOKES]]
        processes += [cli(cluster, "trust", "publish", str(path)) for _, path in statements]
        with ThreadPoolExecutor(HTTP_REVOKES) as pool:
            list(pool.map(cluster.revoke, ids[CLI_REVOKES:]))
        outcomes = [(process.wait(timeout=120), process.stderr.read() if process.stderr else "")
                    for process in processes]
        time.sleep(0.5)  # the publishing loop's next rounds
        server = cluster.processes["node"]
        cluster.stop("node")
        server_errors = server.stderr.read().decode() if server.stderr else ""

    assert [code for code, _ in outcomes] == [0] * len(processes), outcomes
    assert "UNIQUE" not in server_errors and "round failed" not in server_errors, server_errors
    entries, head, anchored, pending = log_rows(tmp_path / "node" / "vcnode.sqlite3", did)
    assert [seq for seq, _, _ in entries] == list(range(1, len(entries) + 1)) and head == len(entries)
    for (_, cid, entry), (_, prev_cid, _) in zip(entries[1:], entries, strict=False):
        assert entry["prev"] == prev_cid and cid == entry_cid(entry)
    assert len(entries) >= 1 + STATEMENTS  # the revocations may share a publication of their list
    newest = {entry["statement"]["url"]: entry["statement"] for _, _, entry in entries}
    assert all(revoked(tmp_path / "node" / "vcnode.sqlite3", newest, credential) for credential in issued)
    assert asyncio.run(replicate(tmp_path / "node" / "vcnode.sqlite3", did, entries)) == len(entries)
    assert anchored == sorted(statement_id for statement_id, _ in statements) and pending == 0
