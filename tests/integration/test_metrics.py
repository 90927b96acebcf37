"""``/metrics`` as Prometheus scrapes it from real nodes (issue 12 item 10): a token with the ``metrics`` scope
(or a client in ``metrics_networks``) is needed; requests and latency are labelled by route pattern, never by
path; verifications by result and suite, status fetches by source, gossip messages and peers, background jobs
and store operations are counted; a second process writing to the node's metrics directory is summed into
the same answer, and the directory is emptied when ``serve`` starts again."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import badge
from tests.ops_node import OpsNode
from vcnode import metrics
from vcnode.node import Node
from vcnode.serve.app import enable_metrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
GOSSIP = {"VCNODE_GOSSIP_INTERVAL": "0.1", "VCNODE_ANTI_ENTROPY_INTERVAL": "0.5", "VCNODE_LOG_LEVEL": "WARNING"}
SECOND_PROCESS = """
import sys
from pathlib import Path
from vcnode import metrics
metrics.enable(Path(sys.argv[1]))
for _ in range(7):
    metrics.http_request("POST", "/credentials/verify", 200, 0.01)
metrics.disable()
"""


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of ``name`` that has ``labels`` (and any others)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[OpsNode, OpsNode]]:
    a, b = OpsNode(tmp_path / "a", GOSSIP), OpsNode(tmp_path / "b", {**GOSSIP, "VCNODE_METRICS_NETWORKS": "127.0.0.1"})
    a.settings["VCNODE_PEERS"], b.settings["VCNODE_PEERS"] = b.url, a.url
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.kill()
        b.kill()


def scrape(node: OpsNode, token: str | None = None) -> Samples:
    answer = node.call("GET", "/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert answer.status == 200, answer.body[:500]
    assert answer.headers["Content-Type"].startswith("text/plain")
    return parse(answer.body.decode())


def test_metrics_of_two_peering_nodes(nodes: tuple[OpsNode, OpsNode]) -> None:
    a, b = nodes
    issuer = a.token("issue,read")
    refused = a.call("GET", "/metrics")
    assert (refused.status, refused.json()["code"]) == (401, "unauthorized")  # not public by default
    assert a.call("GET", "/metrics", headers={"Authorization": f"Bearer {issuer}"}).status == 403
    scraper = a.token("metrics")

    issued = a.call("POST", "/credentials/issue", {"credential": badge(a.did, "urn:uuid:metrics-1"),
                                                   "options": {"statusPurpose": "revocation"}},
                    {"Authorization": f"Bearer {issuer}"}).json()["verifiableCredential"]
    assert a.call("POST", "/credentials/verify", {"verifiableCredential": issued}).status == 200
    assert b.call("POST", "/credentials/verify", {"verifiableCredential": issued}).status == 200
    tampered = {**issued, "name": "Changed"}
    assert a.call("POST", "/credentials/verify", {"verifiableCredential": tampered}).status == 400
    got = a.call("GET", "/credentials/urn:uuid:metrics-1", headers={"Authorization": f"Bearer {issuer}"})
    assert got.status == 200
    assert b.call("GET", "/1.0/identifiers/" + a.did).status == 200

    deadline = time.monotonic() + 20
    while True:  # gossip runs in the background: wait until both directions have been seen
        seen = scrape(b)  # b lets 127.0.0.1 scrape without a token (metrics_networks)
        if total(seen, "vcnode_gossip_messages_total", direction="in", result="ok") and \
                total(seen, "vcnode_gossip_messages_total", direction="out", result="ok") and \
                value(seen, "vcnode_gossip_peers", state="usable") >= 1:
            break
        assert time.monotonic() < deadline, sorted(k for k in seen if "gossip" in k[0])
        time.sleep(0.2)

    mine = scrape(a, scraper)
    assert value(mine, "vcnode_http_requests_total", method="POST", route="/credentials/verify", status="200") == 1
    assert value(mine, "vcnode_http_requests_total", method="POST", route="/credentials/verify", status="400") == 1
    assert value(mine, "vcnode_http_requests_total", method="GET", route="/credentials/{id}", status="200") == 1
    assert value(mine, "vcnode_http_requests_total", method="GET", route="/metrics", status="401") == 1
    assert value(mine, "vcnode_http_request_duration_seconds_count", method="POST", route="/credentials/verify") == 2
    assert not any("metrics-1" in str(labels) for _, labels in mine)  # the path never becomes a label
    suite = "eddsa-rdfc-2022"
    assert value(mine, "vcnode_verifications_total", kind="credential", result="verified", suite=suite) == 1
    assert value(mine, "vcnode_verifications_total", kind="credential", result="failed", suite=suite) == 1
    assert value(mine, "vcnode_status_fetches_total", source="self", result="ok") == 1  # its own list, locally
    assert total(mine, "vcnode_store_operation_duration_seconds_count", store="store") > 0
    assert total(mine, "vcnode_background_job_duration_seconds_count", job="status_publish") > 0

    assert value(seen, "vcnode_status_fetches_total", source="issuer", result="ok") == 1  # b fetched a's list
    assert value(seen, "vcnode_http_requests_total", method="GET", route="/1.0/identifiers/{did}", status="200") == 1


def test_a_second_process_is_summed_and_a_restart_starts_from_zero(tmp_path: Path) -> None:
    node = OpsNode(tmp_path, {"VCNODE_METRICS_NETWORKS": "127.0.0.0/8", "VCNODE_LOG_LEVEL": "WARNING"})
    node.start()
    try:
        credential = {"verifiableCredential": badge(node.did)}  # unsigned: verification fails, still counted
        for _ in range(3):
            node.call("POST", "/credentials/verify", credential)
        verify = {"method": "POST", "route": "/credentials/verify", "status": "400"}
        assert value(scrape(node), "vcnode_http_requests_total", **verify) == 3
        subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(node.home / "metrics")], env=node.env(),
                       check=True, timeout=60)
        summed = scrape(node)
        assert value(summed, "vcnode_http_requests_total", **verify) == 3
        assert value(summed, "vcnode_http_requests_total", **{**verify, "status": "200"}) == 7  # the other process
        assert value(summed, "vcnode_http_request_duration_seconds_count", method="POST",
                     route="/credentials/verify") == 10
        node.stop()
        node.start()
        assert value(scrape(node), "vcnode_http_requests_total", **verify) == 0  # emptied at start
    finally:
        node.kill()


def test_metrics_can_be_switched_off(tmp_path: Path) -> None:
    node = OpsNode(tmp_path, {"VCNODE_METRICS_ENABLED": "false", "VCNODE_METRICS_NETWORKS": "127.0.0.1"})
    node.start()
    try:
        assert node.call("GET", "/metrics").status == 404
        assert not (node.home / "metrics").exists()
    finally:
        node.kill()


async def test_a_node_that_cannot_write_its_metrics_serves_without_them(
        web_node: Node, client: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, scraper = await web_node.tokens.create(["metrics"])
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the metrics directory should be")
    enable_metrics(web_node, blocked)  # what a full or read-only disk does at start: logged, not fatal
    assert "metrics are off" in caplog.text
    try:
        response = await client.get("/metrics", headers={"Authorization": f"Bearer {scraper}"})
        assert response.status == 503
        assert (await response.json(content_type=None))["code"] == "metricsUnavailable"
        assert (await client.get("/health")).status == 200
    finally:
        metrics.disable()
