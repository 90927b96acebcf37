"""Verification never touches the database (issue 12, item 4): every verify used to count the issuer's proofs
of equivocation with an SQL query. The count is now a cache of the store, reloaded when this node keeps a proof
and when another process wrote to the store; these tests count the SQL statements a verify runs on the node's
connection, and show a proof kept by another process is seen after the node's refresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient

from did_methods.key import KeyDriver
from tests.builders import badge, did_key_signer
from vcnode.anchor.entries import entry_cid, make_entry
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.credentials.issue import create_presentation, issue_credential
from vcnode.did.resolver import Resolver
from vcnode.keys.signer import SigningKey
from vcnode.node import Node
from vcnode.status.entries import status_requests
from vcnode.store.sqlite import SqliteStore


@asynccontextmanager
async def sql_statements(node: Node) -> AsyncIterator[list[str]]:
    """Every SQL statement run on the node's store connection meanwhile."""
    assert isinstance(node.store, SqliteStore)
    statements: list[str] = []
    await node.store.db.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        await node.store.db.set_trace_callback(None)


async def verify(client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert response.status == 200, await response.text()
    return await response.json()


def codes(report: dict[str, Any]) -> list[str]:
    return [item["code"] for item in report.get("warnings", []) + report.get("errors", [])]


async def proof_of_equivocation(signer: SigningKey) -> dict[str, Any]:
    """Two validly signed, different entries 2 of ``signer``'s anchor log: what a peer would gossip."""
    did = signer.verification_method.split("#")[0]
    log = AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), {did: signer}.get)
    first = await log.publish_status_list(did, "https://a.example/status/1", 1, b"list 1")
    second = await log.publish_status_list(did, "https://a.example/status/1", 2, b"list 2")
    fork = make_entry(signer, did, 2, entry_cid(first), {**second["statement"], "version": 7})
    return {"type": "AnchorEquivocation", "log": did, "seq": 2, "documents": [second, fork]}


async def test_verifying_runs_no_sql(web_node: Node, client: TestClient) -> None:
    signer = did_key_signer()
    foreign = issue_credential(badge(signer.verification_method.split("#")[0]), signer)
    own = (await web_node.credentials.issue(badge(web_node.identities.default_did or "", "urn:uuid:own-1"),
                                            status=status_requests({"statusPurpose": "revocation"}))).credential
    holder = did_key_signer()
    bound = badge(signer.verification_method.split("#")[0])
    bound["credentialSubject"]["id"] = holder.verification_method.split("#")[0]  # the holder's own badge
    presentation = create_presentation([issue_credential(bound, signer)], holder, challenge="c-1")
    for credential in (foreign, own):  # the first verification of each may fill caches (the own list's copy)
        assert (await verify(client, credential))["verified"] is True
    async with sql_statements(web_node) as statements:
        for credential in (foreign, own, foreign, own):
            assert (await verify(client, credential))["verified"] is True
        response = await client.post("/presentations/verify", json={"verifiablePresentation": presentation,
                                                                     "options": {"challenge": "c-1"}})
        assert response.status == 200 and (await response.json())["verified"] is True
    assert statements == []


async def test_a_proof_kept_here_or_by_another_process_is_seen(web_node: Node, client: TestClient,
                                                               node_env: dict[str, str]) -> None:
    liar, other_liar = did_key_signer(), did_key_signer()
    credential = issue_credential(badge(liar.verification_method.split("#")[0]), liar)
    assert "issuerEquivocated" not in codes(await verify(client, credential))
    # Another process on the same node directory (the CLI, a second server) keeps a proof: its own connection.
    other = await Node.open(web_node.config, environ=node_env)
    try:
        assert await other.anchors.take_equivocation(await proof_of_equivocation(liar)) is not None
    finally:
        await other.close()
    # Seen once the node notices the store changed (``vcnode serve`` looks every STORE_WATCH_SECONDS).
    assert await web_node.refresh_if_changed()
    assert "issuerEquivocated" in codes(await verify(client, credential))
    # A proof this node keeps itself (from gossip) counts at once, without a refresh.
    second = issue_credential(badge(other_liar.verification_method.split("#")[0]), other_liar)
    assert "issuerEquivocated" not in codes(await verify(client, second))
    assert await web_node.anchors.take_equivocation(await proof_of_equivocation(other_liar)) is not None
    async with sql_statements(web_node) as statements:
        assert "issuerEquivocated" in codes(await verify(client, second))
    assert statements == []
