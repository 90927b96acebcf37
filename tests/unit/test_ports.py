"""Services built from ports (issue 16): a service is given what it reports to when it is built, so it is
complete once constructed and its dependencies show in its signature. The node wires nothing afterwards."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.builders import badge
from vcnode.node import Node
from vcnode.status.entries import status_requests
from vcnode.status.service import StatusService

SRC = Path(__file__).resolve().parents[2] / "src" / "vcnode"
NODE = SRC / "node.py"

#: Attributes node.py may set on something other than ``self``: plain data, not a service's wiring.
ALLOWED = {("config", "passphrase_file"), ("peer", "score")}


def _attribute_writes(path: Path) -> list[tuple[int, str, str]]:
    """(line, object, attribute) of each ``object.attribute = …`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and isinstance(part.ctx, ast.Store):
                    found.append((node.lineno, ast.unparse(part.value), part.attr))
    return found


def test_the_node_sets_nothing_on_its_services_after_building_them() -> None:
    wired = [f"node.py:{line}: {owner}.{attr} = …" for line, owner, attr in _attribute_writes(NODE)
             if owner != "self" and (owner, attr) not in ALLOWED]
    assert wired == [], "pass it to the service's constructor (a port) instead: " + "; ".join(wired)


def test_no_service_takes_callbacks_as_on_attributes() -> None:
    pattern = re.compile(r"\.on_[a-z_]+\s*=[^=]|^\s+on_[a-z_]+\s*:", re.MULTILINE)
    found = [f"{path.relative_to(SRC)}: {match.group(0).strip()}" for path in sorted(SRC.rglob("*.py"))
             for match in pattern.finditer(path.read_text("utf-8"))]
    assert found == []


class Recorded:
    """A :class:`~vcnode.status.service.StatusEvents` that remembers what it was told."""

    def __init__(self) -> None:
        self.changed_urls: list[str] = []
        self.published_lists: list[tuple[str, str, int]] = []

    def changed(self, url: str) -> None:
        self.changed_urls.append(url)

    async def published(self, issuer: str, url: str, version: int, document: bytes) -> None:
        assert document.startswith(b"{")
        self.published_lists.append((issuer, url, version))


async def test_a_status_service_reports_changes_and_signings_to_its_port(web_node: Node) -> None:
    issuer = web_node.identities.default_did
    assert issuer is not None
    issued = await web_node.credentials.issue(badge(issuer, "urn:uuid:0b5e7a1e-0000-4000-8000-000000000001"),
                                              status=status_requests({"statusPurpose": "revocation"}))
    events = Recorded()
    status = StatusService(web_node.store, web_node.identities, base_url=web_node.config.base_url, ttl=300,
                           validity=86_400, events=events)
    update = await status.update(issued.credential["id"], "revocation", 1, actor="test")
    list_id = update.list_url.rsplit("/", 1)[1]
    assert events.changed_urls == [update.list_url, status.token_url(list_id)]
    await status.update(issued.credential["id"], "revocation", 1, actor="test")  # no change: nothing to tell
    assert len(events.changed_urls) == 2
    published = await status.published(list_id)
    assert events.published_lists == [(issuer, update.list_url, published.version)]


async def test_the_node_answers_the_ports_of_its_services(web_node: Node) -> None:
    issuer = web_node.identities.default_did
    assert issuer is not None
    issued = await web_node.credentials.issue(badge(issuer, "urn:uuid:0b5e7a1e-0000-4000-8000-000000000002"),
                                              status=status_requests({"statusPurpose": "revocation"}))
    [entry] = issued.credential["credentialStatus"] if isinstance(issued.credential["credentialStatus"], list) \
        else [issued.credential["credentialStatus"]]
    url = entry["statusListCredential"]
    await web_node.status.published(url.rsplit("/", 1)[1])  # signed: anchored through the node's events
    anchor = await web_node.anchors.store.list_anchor(url)
    assert anchor is not None and anchor.log == issuer
