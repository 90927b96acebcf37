"""One issuing path (issue 16): HTTP/CLI issue, claims, awards, CSV batches and the SD-JWT VC all store credentials
through :func:`vcnode.issuing.core.issue_and_store`, so they share its rules: a record dated by the injected clock,
replay of the same request by id without new status indexes, 409 ``credentialIdInUse`` for a different request
(raised inside the transaction, so what ``within`` wrote is rolled back), a batch chunk stored whole or not at all.
Real stores, real keys, real signatures."""

from __future__ import annotations

import ast
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from vcnode.clock import now_timestamp
from vcnode.config import load_config
from vcnode.credentials.openbadges import build_open_badge
from vcnode.errors import Conflict
from vcnode.issuing.batch import credential_id_for, issue_batch
from vcnode.issuing.core import DataIntegrity, IssueItem, issue_and_store
from vcnode.issuing.repository import Issuance
from vcnode.issuing.service import CredentialService
from vcnode.keys.vault import Vault
from vcnode.node import Node
from vcnode.status.records import StatusListSpec

from .test_clock import FixedClock

SRC = Path(__file__).resolve().parents[2] / "src" / "vcnode"
ACHIEVEMENT = {"id": "https://example.edu/achievements/rust", "type": ["Achievement"], "name": "Rust",
               "description": "Writes safe systems code.", "criteria": {"narrative": "Passed the exam."}}
PROFILE = {"name": "Example University"}
REVOCATION = StatusListSpec("revocation", entries=4096)
SUITE = "eddsa-rdfc-2022"


@pytest.fixture
async def nodes(tmp_path: Path, node_env: dict[str, str], web_node_template: tuple[Path, Vault]
                ) -> AsyncIterator[tuple[Node, Node]]:
    """Two nodes with the same identity (copies of the template), each with its own store."""
    template, vault = web_node_template
    opened = []
    try:
        for name in ("a", "b"):
            home = tmp_path / name
            shutil.copytree(template, home)
            opened.append(await Node.open(load_config(home, environ=node_env), environ=node_env, vault=vault))
        yield opened[0], opened[1]
    finally:
        for node in opened:
            await node.close()


def service(node: Node, clock: FixedClock) -> CredentialService:
    """The node's credential service on ``clock``."""
    return CredentialService(node.identities, node.store, node.resolver, status=node.credentials.status_service,
                             status_list_entries=4096, clock=clock)


def without_signature(document: dict[str, Any]) -> dict[str, Any]:
    """The document less what differs between two signings (the proof) and two stores (the list it points at)."""
    rest = {name: value for name, value in document.items() if name not in ("proof", "credentialStatus")}
    status = document["credentialStatus"]
    rest["credentialStatus"] = {name: status[name] for name in ("type", "statusPurpose")}
    return rest


async def test_a_batch_row_and_a_single_issue_store_the_same_record(nodes: tuple[Node, Node],
                                                                    tmp_path: Path) -> None:
    a, b = nodes
    issuer = a.identities.default_did
    assert issuer is not None and issuer == b.identities.default_did
    clock = FixedClock(datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC))
    row = {"id": "did:example:learner", "email": "", "name": "Ada"}
    await issue_batch([row], achievement=ACHIEVEMENT, issuer_did=issuer, issuer_profile=PROFILE,
                      identities=a.identities, store=a.store, out_dir=tmp_path / "out", suite=SUITE,
                      status=[REVOCATION], status_service=a.credentials.status_service, clock=clock)
    credential_id = credential_id_for(issuer, ACHIEVEMENT, 0, row)
    badge = build_open_badge(credential_id=credential_id, issuer={**PROFILE, "id": issuer}, achievement=ACHIEVEMENT,
                             learner_id=row["id"], learner_name=row["name"], valid_from=now_timestamp(clock))
    issued = await service(b, clock).issue(badge, suite=SUITE, status=[REVOCATION])
    batch_record = await a.store.get_credential(credential_id)
    single_record = await b.store.get_credential(credential_id)
    assert batch_record is not None and single_record is not None and issued.created
    # The same record: same id, issuer, date (the clock's, to the millisecond), document up to its signature.
    assert (batch_record.id, batch_record.issuer, batch_record.created) \
        == (single_record.id, single_record.issuer, single_record.created) \
        == (credential_id, issuer, "2030-05-06T07:08:09.123Z")
    assert without_signature(orjson.loads(batch_record.document)) \
        == without_signature(orjson.loads(single_record.document)) == without_signature(issued.credential)
    assert orjson.loads(batch_record.document)["validFrom"] == "2030-05-06T07:08:09Z"


async def test_a_single_issue_replays_the_same_request_and_refuses_another_rolling_back_within(
        nodes: tuple[Node, Node]) -> None:
    node, _ = nodes
    issuer = node.identities.default_did
    assert issuer is not None
    credentials = service(node, FixedClock(datetime(2030, 1, 1, tzinfo=UTC)))
    badge = build_open_badge(credential_id="urn:uuid:8d9a1c3e-0000-4000-8000-000000000001",
                             issuer={**PROFILE, "id": issuer}, achievement=ACHIEVEMENT,
                             learner_id="did:example:learner", valid_from="2030-01-01T00:00:00Z")
    first = await credentials.issue(badge, suite=SUITE, status=[REVOCATION])
    again = await credentials.issue(badge, suite=SUITE, status=[REVOCATION])
    assert first.created and not again.created and again.credential == first.credential
    assert len(await node.store.status_indexes([badge["id"]])) == 1  # the replay took no new index

    async def within(transaction: Issuance) -> None:  # writes something the 409 must roll back
        await transaction.allocate(issuer, REVOCATION, ["urn:uuid:written-within"])

    with pytest.raises(Conflict) as refused:
        await credentials.issue({**badge, "name": "Another badge"}, suite=SUITE, status=[REVOCATION], within=within)
    assert refused.value.code == "credentialIdInUse" and refused.value.status == 409
    assert "was already issued from a different request" in str(refused.value)
    assert await node.store.status_indexes(["urn:uuid:written-within"]) == []
    stored = await node.store.get_credential(badge["id"])
    assert stored is not None and orjson.loads(stored.document) == first.credential


async def test_a_batch_skips_rows_done_and_refuses_a_changed_row_storing_nothing_of_its_chunk(
        nodes: tuple[Node, Node], tmp_path: Path) -> None:
    node, _ = nodes
    issuer = node.identities.default_did
    assert issuer is not None
    rows = [{"id": "did:example:one", "name": "One"}, {"id": "did:example:two", "name": "Two"}]

    async def run(learners: list[dict[str, str]]) -> tuple[int, int]:
        result = await issue_batch(learners, achievement=ACHIEVEMENT, issuer_did=issuer, issuer_profile=PROFILE,
                                   identities=node.identities, store=node.store, out_dir=tmp_path / "out",
                                   suite=SUITE, status=[REVOCATION], status_service=node.credentials.status_service)
        return result.issued, result.skipped

    assert await run(rows[:1]) == (1, 0)
    ids = [credential_id_for(issuer, ACHIEVEMENT, n, row) for n, row in enumerate(rows)]
    before = await node.store.get_credential(ids[0])
    assert await run(rows[:1]) == (0, 1)  # the same row: done, not issued again
    assert await node.store.get_credential(ids[0]) == before
    assert len(await node.store.status_indexes(ids[:1])) == 1
    changed = [{**rows[0], "name": "Renamed"}, rows[1]]
    with pytest.raises(Conflict) as refused:
        await run(changed)
    assert refused.value.code == "credentialIdInUse" and str(refused.value).startswith(f"row 2 ({ids[0]})")
    # All or nothing: the chunk's new row was not stored either, and took no index.
    assert await node.store.get_credential(ids[1]) is None
    assert await node.store.status_indexes(ids[1:]) == []


async def test_a_request_without_a_hash_is_never_replayed_unless_unrecorded_counts_as_done(
        nodes: tuple[Node, Node]) -> None:
    node, _ = nodes
    issuer = node.identities.default_did
    assert issuer is not None
    badge = build_open_badge(credential_id="urn:uuid:8d9a1c3e-0000-4000-8000-000000000002",
                             issuer={**PROFILE, "id": issuer}, achievement=ACHIEVEMENT,
                             learner_id="did:example:learner", valid_from="2030-01-01T00:00:00Z")
    form = DataIntegrity(node.identities.signing_key(issuer), SUITE)
    item = IssueItem(badge["id"], badge, None)
    [first] = await issue_and_store(node.store, [item], issuer=issuer, form=form)
    assert first.created and first.record.request_hash is None
    with pytest.raises(Conflict):  # e.g. an SD-JWT VC's id taken by another claim
        await issue_and_store(node.store, [item], issuer=issuer, form=form)
    [done] = await issue_and_store(node.store, [item], issuer=issuer, form=form, unrecorded_is_same=True)
    assert not done.created and done.record == first.record and done.document == first.signed


def test_only_the_issuing_core_stores_credentials() -> None:
    """Every issuing path goes through the core: outside the store, nothing else calls ``save_credentials``."""
    callers = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "save_credentials":
                callers.append(str(path.relative_to(SRC)))
    assert callers == ["issuing/core.py"]
