"""A serving process that does not own the node's background work never signs a status list (nor anchors it): it
serves the copy the owner stored, with ``max-age=0`` while that copy is behind the list, and answers
``statusListNotPublished`` (503) while there is no unexpired copy. In process, on a real store and real keys."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from tests.cluster import badge
from vcnode.clock import SYSTEM_CLOCK
from vcnode.node import Node
from vcnode.status.bitstring import decode_list, get_entry
from vcnode.status.entries import status_requests
from vcnode.status.service import StatusListNotPublished, StatusService


class Later:
    """The system clock, ``ahead`` later."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self):  # type: ignore[no-untyped-def]
        return SYSTEM_CLOCK.now() + self.ahead

    def time(self) -> float:
        return SYSTEM_CLOCK.time() + self.ahead.total_seconds()


async def issued_entry(node: Node, credential_id: str) -> tuple[str, int]:
    issued = await node.credentials.issue(badge(node.identities.default_did, credential_id),
                                          status=status_requests({"statusPurpose": "revocation"}))
    entry = issued.credential["credentialStatus"]
    entry = entry[0] if isinstance(entry, list) else entry
    return node.status.list_id(entry["statusListCredential"]) or "", int(entry["statusListIndex"])


async def test_a_process_that_may_not_sign_serves_the_stored_copy_and_never_signs(web_node: Node) -> None:
    did = web_node.identities.default_did
    list_id, index = await issued_entry(web_node, "urn:uuid:standby-1")
    web_node.status.may_sign = False
    with pytest.raises(StatusListNotPublished) as refused:
        await web_node.status.published(list_id)
    assert refused.value.status == 503 and refused.value.extra["retryAfter"] > 0
    assert await web_node.status.publish_changed() == 0
    assert await web_node.anchors.store.head(did) is None  # nothing signed, nothing anchored

    web_node.status.may_sign = True  # the owner signs it
    signed = await web_node.status.published(list_id)
    head = (await web_node.anchors.store.head(did))["seq"]

    web_node.status.may_sign = False  # a change made through a standby: served as stored until the owner re-signs
    await web_node.status.update("urn:uuid:standby-1", "revocation", 1, actor="test")
    served = await web_node.status.published(list_id)
    assert served.document == signed.document and served.max_age == 0  # behind the list: caches ask again
    assert get_entry(decode_list(orjson.loads(served.document)["credentialSubject"]["encodedList"]), index) == 0
    assert (await web_node.anchors.store.head(did))["seq"] == head

    web_node.status.may_sign = True
    assert await web_node.status.publish_changed() == 1
    fresh = await web_node.status.published(list_id)
    assert get_entry(decode_list(orjson.loads(fresh.document)["credentialSubject"]["encodedList"]), index) == 1
    assert fresh.max_age > 0 and (await web_node.anchors.store.head(did))["seq"] == head + 1


async def test_a_process_that_may_not_sign_refuses_an_expired_copy(web_node: Node) -> None:
    list_id, _ = await issued_entry(web_node, "urn:uuid:standby-2")
    await web_node.status.published(list_id)  # signed now, valid for status_list_validity
    config = web_node.config
    later = StatusService(web_node.store, web_node.identities, base_url=config.base_url, ttl=config.status_list_ttl,
                          validity=config.status_list_validity, heartbeat=config.status_list_heartbeat,
                          clock=Later(timedelta(seconds=config.status_list_validity + 5)))
    later.may_sign = False
    with pytest.raises(StatusListNotPublished, match="expired"):
        await later.published(list_id)
