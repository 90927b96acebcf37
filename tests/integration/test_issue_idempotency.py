"""Issuing is idempotent by credential id: a retry (same issuer, unsigned credential and options) gets the
stored credential back without new status indexes, whether it comes over HTTP, from ``vcnode issue`` or from a
re-run of ``vcnode issue-batch``; another request under a used id is refused (409 ``credentialIdInUse``, or a
one-line CLI error). Concurrent identical requests, also from two processes, store one copy."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.cluster import Cluster
from tests.integration.test_cli import assert_one_line_error, run
from tests.integration.test_cli_credentials import node, write_batch_inputs
from tests.integration.test_status import change, entries, verify
from tests.integration.test_vcapi import NODE_DID, bearer, expect_json, expect_problem, issue
from vcnode.node import Node

CREDENTIAL_ID = "urn:uuid:1d3f5a7c-0000-4000-8000-000000000001"


def status_indexes(database: Path, credential_id: str) -> list[tuple[str, int]]:
    """Every status index the store ever handed out to ``credential_id``."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return db.execute("SELECT list_id, idx FROM status_entries WHERE credential_id = ?",
                          (credential_id,)).fetchall()


@pytest.fixture
async def tokens(web_node: Node) -> dict[str, str]:
    _, issue_token = await web_node.tokens.create(["issue"])
    _, status_token = await web_node.tokens.create(["status", "read"])
    return {"issue": issue_token, "status": status_token}


# --- over HTTP, in process --------------------------------------------------------------------------------


async def test_a_retried_issue_gets_the_stored_credential_and_a_revocation_reaches_it(
        client: TestClient, web_node: Node, tokens: dict[str, str]) -> None:
    options = {"statusPurpose": ["revocation", "suspension"]}
    response = await issue(client, tokens["issue"], badge(NODE_DID, CREDENTIAL_ID), options)
    first = (await expect_json(response, 201))["verifiableCredential"]
    location = response.headers["Location"]
    # The client timed out and sends the request again: the same JSON, written differently.
    body = {"options": {"statusPurpose": ["revocation", "suspension"]},
            "credential": dict(reversed(list(badge(NODE_DID, CREDENTIAL_ID).items())))}
    retry = await client.post("/credentials/issue", data=orjson.dumps(body), headers={
        **bearer(tokens["issue"]), "Content-Type": "application/json"})
    assert (await expect_json(retry, 200))["verifiableCredential"] == first
    assert retry.headers["Location"] == location
    assert len(status_indexes(web_node.config.database_path, CREDENTIAL_ID)) == 2  # none allocated again
    stored = await expect_json(await client.get("/credentials/" + quote(CREDENTIAL_ID, safe=""),
                                                headers=bearer(tokens["status"])), 200)
    assert stored == first
    # A revocation reaches the copy the holder was given first.
    await expect_json(await change(client, tokens["status"], CREDENTIAL_ID, "revocation", True), 200)
    assert [e["code"] for e in (await verify(client, first))["errors"]] == ["revoked"]


@pytest.mark.parametrize(("credential", "options"), [
    ({**badge(NODE_DID, CREDENTIAL_ID), "name": "Advanced Data Analytics"}, {"statusPurpose": "revocation"}),
    (badge(NODE_DID, CREDENTIAL_ID), {"statusPurpose": "suspension"}),
    (badge(NODE_DID, CREDENTIAL_ID), {"statusPurpose": ["revocation", "suspension"]}),
    (badge(NODE_DID, CREDENTIAL_ID), {"statusPurpose": "revocation", "cryptosuite": "eddsa-jcs-2022"}),
])
async def test_another_request_under_a_used_id_is_409(client: TestClient, web_node: Node, tokens: dict[str, str],
                                                      credential: dict[str, Any], options: dict[str, Any]) -> None:
    first = (await expect_json(await issue(client, tokens["issue"], badge(NODE_DID, CREDENTIAL_ID),
                                           {"statusPurpose": "revocation"}), 201))["verifiableCredential"]
    problem = await expect_problem(await issue(client, tokens["issue"], credential, options), 409,
                                   "credentialIdInUse")
    assert CREDENTIAL_ID in problem["detail"]
    stored = await expect_json(await client.get("/credentials/" + quote(CREDENTIAL_ID, safe=""),
                                                headers=bearer(tokens["status"])), 200)
    assert stored == first and len(status_indexes(web_node.config.database_path, CREDENTIAL_ID)) == 1
    assert entries(stored)["revocation"] == entries(first)["revocation"]


async def test_credentials_without_an_id_are_never_taken_for_a_retry(client: TestClient,
                                                                     tokens: dict[str, str]) -> None:
    credential = badge(NODE_DID)
    credential.pop("id")
    one = await issue(client, tokens["issue"], credential)
    two = await issue(client, tokens["issue"], credential)
    assert one.status == two.status == 201 and one.headers["Location"] != two.headers["Location"]


# --- a real node: concurrent requests over HTTP and from the CLI --------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    nodes = Cluster(tmp_path_factory.mktemp("idempotent"), ("node",))
    nodes.init()
    with nodes.serving():
        yield nodes


def test_concurrent_identical_requests_store_one_copy(cluster: Cluster) -> None:
    credential_id = "urn:uuid:1d3f5a7c-0000-4000-8000-000000000002"
    credential = badge(cluster.dids["node"], credential_id)
    source = cluster.root / "retry.json"
    source.write_text(json.dumps(credential))
    start = threading.Barrier(9)

    def over_http() -> tuple[int, dict[str, Any]]:
        start.wait()
        return cluster.post("node", "/credentials/issue", {"credential": credential,
                                                            "options": {"statusPurpose": "revocation"}},
                            cluster.tokens["node"])

    def from_the_cli() -> subprocess.CompletedProcess[str]:
        start.wait()
        return subprocess.run([sys.executable, "-m", "vcnode", "--home", str(cluster.root / "node"), "issue",
                               str(source), "--status", "revocation"], env=cluster.env("node"),
                              capture_output=True, text=True, timeout=60)

    with ThreadPoolExecutor(9) as pool:
        cli = pool.submit(from_the_cli)
        answers = [future.result() for future in [pool.submit(over_http) for _ in range(8)]]
        issued = cli.result()
    assert issued.returncode == 0, issued.stderr
    copies = [json.loads(issued.stdout)] + [body["verifiableCredential"] for _, body in answers]
    assert all(copy == copies[0] for copy in copies[1:])  # every caller got the same credential
    codes = sorted(status for status, _ in answers)
    assert set(codes) <= {200, 201} and codes.count(201) <= 1, codes
    assert len(status_indexes(cluster.root / "node" / "vcnode.sqlite3", credential_id)) == 1


def test_the_cli_returns_the_stored_credential_and_refuses_another_under_its_id(cluster: Cluster) -> None:
    home = cluster.root / "node"
    credential = badge(cluster.dids["node"], "urn:uuid:1d3f5a7c-0000-4000-8000-000000000003")
    source = cluster.root / "cli.json"
    source.write_text(json.dumps(credential))
    first = run(home, "issue", str(source), "--status", "revocation")
    again = run(home, "issue", str(source), "--status", "revocation")
    assert first.returncode == again.returncode == 0, (first.stderr, again.stderr)
    assert json.loads(again.stdout) == json.loads(first.stdout) and "already issued" in again.stderr
    # The same request over HTTP gets it too.
    status, body = cluster.post("node", "/credentials/issue", {"credential": credential,
                                                                "options": {"statusPurpose": "revocation"}},
                                cluster.tokens["node"])
    assert status == 200 and body["verifiableCredential"] == json.loads(first.stdout)
    assert_one_line_error(run(home, "issue", str(source)), "different request")  # without the status entry
    source.write_text(json.dumps({**credential, "name": "Something else"}))
    assert_one_line_error(run(home, "issue", str(source), "--status", "revocation"), "different request")


# --- batches ----------------------------------------------------------------------------------------------


def batch(home: Path, learners: Path, achievement: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(home, "issue-batch", str(learners), "--achievement", str(achievement), "--out", str(out),
               "--status", "revocation", "--json", *extra)


def all_indexes(home: Path) -> int:
    with sqlite3.connect(f"file:{home / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM status_entries").fetchone()[0])


def test_batch_re_runs_reuse_what_is_stored_and_refuse_changed_inputs(tmp_path: Path) -> None:
    home, did = node(tmp_path)
    learners, achievement = write_batch_inputs(tmp_path, 6)
    first = batch(home, learners, achievement, tmp_path / "out")
    assert first.returncode == 0, first.stderr
    again = batch(home, learners, achievement, tmp_path / "again")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == 6 and all_indexes(home) == 6  # no new indexes
    assert sorted(p.read_bytes() for p in (tmp_path / "again").glob("*.json")) == \
        sorted(p.read_bytes() for p in (tmp_path / "out").glob("*.json"))
    assert_one_line_error(batch(home, learners, achievement, tmp_path / "renamed", "--issuer-name", "Other"),
                          "different request")
    # An id the batch used cannot be taken by another credential through `vcnode issue` either.
    taken = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    source = tmp_path / "clash.json"
    source.write_text(json.dumps(badge(did, taken["id"])))
    assert_one_line_error(run(home, "issue", str(source), "--status", "revocation"), "different request")
    assert all_indexes(home) == 6


def test_two_batch_runs_at_once_store_one_copy_of_each_row(tmp_path: Path) -> None:
    home, _ = node(tmp_path)
    rows = 300
    learners, achievement = write_batch_inputs(tmp_path, rows)
    start = threading.Barrier(2)

    def one_run(out: str) -> subprocess.CompletedProcess[str]:
        start.wait()
        return batch(home, learners, achievement, tmp_path / out, "--suite", "eddsa-jcs-2022")

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(one_run, ["a", "b"]))
    assert all(result.returncode == 0 for result in runs), [result.stderr for result in runs]
    summaries = [json.loads(result.stdout) for result in runs]
    assert sum(summary["issued"] for summary in summaries) == rows, summaries
    assert all_indexes(home) == rows
    # Both runs wrote every row, and the same credential for each.
    assert sorted(p.read_bytes() for p in (tmp_path / "a").glob("*.json")) == \
        sorted(p.read_bytes() for p in (tmp_path / "b").glob("*.json"))
