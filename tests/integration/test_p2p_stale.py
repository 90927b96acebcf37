"""The stale-replica case of the four-node scenario (issue 11, item 2), with real ``vcnode serve`` processes on
127.0.0.1. The employer holds a replica of uni_a's status list; it is cut off from its peers, so uni_a's next
revocation never reaches it; uni_a (and the peers that have the revocation) go offline. The employer's replica
is all it has: once it is older than ``replica_max_age`` it may no longer say "valid" — ``statusStale``, with
the replica's age and anchor in the report — where it used to answer 200, status 0, source replica.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster import Cluster

NAMES = ("uni_a", "uni_b", "regulator", "employer")
MAX_AGE = 3  # seconds a replica may vouch for, on every node of this cluster


class ShortReplicaCluster(Cluster):
    """The four nodes of tests/integration/test_p2p.py, with a short ``replica_max_age``."""

    def env(self, name: str) -> dict[str, str]:
        env = super().env(name)
        env["VCNODE_REPLICA_MAX_AGE"] = str(MAX_AGE)
        return env


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = ShortReplicaCluster(tmp_path, NAMES)
    running.init()
    with running.serving():
        yield running


def test_a_cut_off_node_does_not_vouch_with_a_replica_older_than_the_bound(cluster: Cluster) -> None:
    a = cluster.dids["uni_a"]
    credential = cluster.issue("urn:uuid:55555555-0000-4000-8000-000000000001")
    anchored = time.monotonic()  # about when entry 1 (the list, nothing revoked) was anchored
    cluster.wait_head(("uni_b", "regulator", "employer"), a, 1)
    status, report = cluster.verify("employer", credential)
    assert status == 200 and report["results"]["status"]["entries"][0]["source"] == "issuer", report

    cluster.stop("employer")  # cut off: it misses what follows
    cluster.revoke(credential["id"])
    cluster.wait_head(("uni_b", "regulator"), a, 2)
    for name in ("uni_a", "uni_b", "regulator"):  # the issuer goes offline, and nobody can tell the employer
        cluster.stop(name)
    cluster.start("employer")
    assert cluster.head("employer", a) == 1
    time.sleep(max(0.0, anchored + MAX_AGE + 1.5 - time.monotonic()))

    status, report = cluster.verify("employer", credential)
    assert status == 400 and report["code"] == "statusStale", report
    assert [(e["check"], e["code"]) for e in report["errors"]] == [("status", "statusStale")], report
    [entry] = report["results"]["status"]["entries"]
    assert entry["source"] == "replica" and entry["error"] == "statusStale" and "status" not in entry, entry
    anchor = entry["anchor"]
    assert anchor["log"] == a and anchor["seq"] == 1 and anchor["maxAgeSeconds"] == MAX_AGE, anchor
    assert anchor["ageSeconds"] > MAX_AGE and anchor["anchoredAt"], anchor
