"""The change feed (issue 16) between processes of one node: a running ``vcnode serve`` sees what the CLI
changes (a revocation, a new identity, a published trust statement) through the feed within a couple of
seconds; and a change another process makes drops only the cached copies it names."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.cluster import Cluster
from tests.integration.test_verify_no_sql import codes, sql_statements, verify
from vcnode.background.loops import STORE_WATCH_SECONDS, prune_changes
from vcnode.node import Node
from vcnode.status.entries import status_requests
from vcnode.trust.examples import example_documents

#: How long the server may take to see a change: one watch interval, and a little for the request itself.
SEEN_WITHIN = STORE_WATCH_SECONDS + 1.5


class OneNode(Cluster):
    """One node with no peers; its background loops re-sign changed lists every half second."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "VCNODE_GOSSIP_INTERVAL": "0.5", "VCNODE_PUBLIC_URL": self.url(name),
                "VCNODE_LOG_LEVEL": "INFO"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[OneNode]:
    node = OneNode(tmp_path, ("node",))
    node.init()
    node.start("node")
    process = node.processes["node"]
    try:
        yield node
    finally:
        node.stop("node")
    errors = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in errors and "ERROR" not in errors, errors
    # Each change came as an event naming what changed: the server never dropped and reloaded everything.
    assert "reloaded" not in errors and "lost track" not in errors, errors


def seen_within(check: Callable[[], bool], seconds: float = SEEN_WITHIN) -> float:
    """How long until ``check`` holds (failing the test past ``seconds``)."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < seconds, "the server did not see the change"
        time.sleep(0.1)
    return time.monotonic() - began


def test_the_server_sees_what_the_cli_changes(served: OneNode, tmp_path: Path) -> None:
    # A revocation: the server had the list cached from a verification.
    credential = served.issue("urn:uuid:feed-1")
    status, report = served.verify("node", credential)
    assert status == 200 and report["verified"] is True, report
    served.cli("node", "revoke", "urn:uuid:feed-1")

    def revoked() -> bool:
        return "revoked" in codes(served.verify("node", credential)[1])

    seen_within(revoked)

    # A new identity: the server signs with its key once it has seen it.
    served.cli("node", "identity", "create", "--did-method", "key", "--name", "second")
    did = next(i["did"] for i in json.loads(served.cli("node", "identity", "list", "--json")) if i["name"] == "second")

    def signs_as_new_identity() -> bool:
        answer, _ = served.post("node", "/credentials/issue", {"credential": badge(did, "urn:uuid:feed-2")},
                                   served.tokens["node"])
        return answer == 201

    seen_within(signs_as_new_identity)

    # A trust statement published by the CLI: the server holds it.
    statement = tmp_path / "pathway.json"
    statement.write_text(json.dumps(example_documents({"eu-provider": served.dids["node"]}, ["pathways"])[0]))
    published = json.loads(served.cli("node", "trust", "publish", str(statement), "--json"))

    def holds_statement() -> bool:
        return any(held.get("id") == published["id"] for held in get_json(served.url("node") + "/trust/statements"))

    seen_within(holds_statement)


def get_json(url: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.loads(response.read())
    return body.get("statements", body) if isinstance(body, dict) else body


async def test_a_change_by_another_process_drops_only_what_it_names(web_node: Node, client: TestClient,
                                                                     node_env: dict[str, str]) -> None:
    did = web_node.identities.default_did or ""
    revoked_one = (await web_node.credentials.issue(badge(did, "urn:uuid:rev-1"), status=status_requests(
        {"statusPurpose": "revocation"}))).credential
    suspended_one = (await web_node.credentials.issue(badge(did, "urn:uuid:sus-1"), status=status_requests(
        {"statusPurpose": "suspension"}))).credential
    for credential in (revoked_one, suspended_one):  # both lists cached
        assert (await verify(client, credential))["verified"] is True
    other = await Node.open(web_node.config, environ=node_env)  # stands in for the CLI process
    try:
        await other.status.update("urn:uuid:rev-1", "revocation", 1, actor="cli")
    finally:
        await other.close()
    assert await web_node.refresh_if_changed()
    # The list that did not change is still cached: verifying against it touches no SQL …
    async with sql_statements(web_node) as statements:
        assert (await verify(client, suspended_one))["verified"] is True
    assert statements == []
    # … and the one that did is read afresh.
    response = await client.post("/credentials/verify", json={"verifiableCredential": revoked_one})
    assert response.status == 400 and (await response.json())["code"] == "revoked"
    assert not await web_node.refresh_if_changed()  # nothing more changed


async def test_the_owner_prunes_events_past_the_retention(web_node: Node, node_env: dict[str, str]) -> None:
    other = await Node.open(web_node.config, environ=node_env)  # another process, which will fall behind
    try:
        credential = (await web_node.credentials.issue(badge(web_node.identities.default_did or "", "urn:uuid:p-1"),
                                                       status=status_requests({"statusPurpose": "revocation"})))
        assert credential.credential["id"] == "urn:uuid:p-1"
        assert not await web_node.refresh_if_changed()  # its own events: read, and nothing to drop
        assert await prune_changes(web_node, datetime.now(UTC)) == 0  # nothing older than a day
        assert await prune_changes(web_node, datetime.now(UTC) + timedelta(days=2)) > 0
        # The writer had read them all: no reset. The other process had not read them: it resets.
        assert not await web_node.refresh_if_changed()
        assert await other.refresh_if_changed()
        assert not await other.refresh_if_changed()
    finally:
        await other.close()
