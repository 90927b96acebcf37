"""The note of a trust statement being published is a row of the store, kept across processes: a second
process on the node directory that starts (and recovers) while the first is still signing does not throw the
first one's note away, so a first process that then stops before anchoring is still finished by the next
start. Two Node instances on one directory stand in for the two processes (each its own connection)."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from tests.integration.test_trust_http import ACCREDITATION
from vcnode.config import load_config
from vcnode.node import Node
from vcnode.trust.examples import example_documents


class Stopped(Exception):
    """The first process stops here: the statement signed and stored, not anchored."""


def pending_rows(node: Node) -> list[tuple[Any, ...]]:
    with sqlite3.connect(node.config.database_path) as db:
        return db.execute("SELECT statement_id, issuer FROM trust_pending").fetchall()


async def test_a_process_starting_while_another_signs_keeps_its_note(web_node: Node,
                                                                     node_env: dict[str, str]) -> None:
    did = web_node.identities.default_did or ""
    [document] = example_documents({"hk-regulator": did,
                                    "hk-provider": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
                                   ("accreditations",))
    signing, recovered = asyncio.Event(), asyncio.Event()
    issue = web_node.credentials.issue

    async def slow_issue(*args: Any, **kwargs: Any) -> Any:
        signing.set()
        await recovered.wait()  # the other process starts now
        return await issue(*args, **kwargs)

    async def stop(*_: object) -> None:
        raise Stopped

    web_node.credentials.issue = slow_issue  # type: ignore[method-assign]
    web_node.anchors.publish_trust_statement = stop  # type: ignore[method-assign]
    first = asyncio.create_task(web_node.publish_statement(document))
    await signing.wait()
    second = await Node.open(load_config(web_node.config.home, environ=node_env), environ=node_env,
                             vault=web_node.vault)
    try:
        await second.trust.ready()  # recovers: the note is young and its statement not signed yet
    finally:
        await second.close()
    recovered.set()
    try:
        await first
    except Stopped:
        pass
    else:
        raise AssertionError("the first process was meant to stop before anchoring")
    await web_node.close()

    third = await Node.open(load_config(web_node.config.home, environ=node_env), environ=node_env,
                            vault=web_node.vault)
    try:
        await third.trust.ready()
        anchored = await third.anchors.store.list_anchor(ACCREDITATION)
        assert anchored is not None and anchored.version == 1
        assert third.trust.document(ACCREDITATION) == await third.credentials.get(ACCREDITATION)
        assert pending_rows(third) == []
    finally:
        await third.close()


async def test_anchoring_a_statement_removes_its_note(web_node: Node) -> None:
    did = web_node.identities.default_did or ""
    [document] = example_documents({"hk-regulator": did,
                                    "hk-provider": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
                                   ("accreditations",))
    seen: list[list[tuple[Any, ...]]] = []
    publish = web_node.anchors.publish_trust_statement

    async def watched(*args: Any) -> Any:
        seen.append(pending_rows(web_node))  # noted before anchoring …
        return await publish(*args)

    web_node.anchors.publish_trust_statement = watched  # type: ignore[method-assign]
    await web_node.publish_statement(document)
    assert seen == [[(ACCREDITATION, did)]]
    assert pending_rows(web_node) == []  # … and gone with the anchor entry
