"""Four real nodes on 127.0.0.1 — two universities, a regulator and an employer — gossiping anchor logs.

A issues and revokes; A goes offline; the employer still sees the revocation, from a replica, with the
anchored sequence and witnesses. A node offline during revocations catches up; one killed with SIGKILL
keeps what it had. A forked log is detected and flagged in the employer's report, and junk sent to the
gossip endpoint is refused while honest traffic flows.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.builders import badge
from tests.cluster import Cluster

NAMES = ("uni_a", "uni_b", "regulator", "employer")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path, NAMES)
    running.init()
    with running.serving():
        yield running


def test_revocation_reaches_the_employer_from_a_replica_when_the_issuer_is_offline(cluster: Cluster) -> None:
    a = cluster.dids["uni_a"]
    credential = cluster.issue("urn:uuid:44444444-0000-4000-8000-000000000001")
    cluster.wait_head(("uni_b", "regulator", "employer"), a, 1)  # the list was signed, anchored and gossiped
    status, report = cluster.verify("employer", credential)
    assert status == 200, report
    [entry] = report["results"]["status"]["entries"]
    assert entry["source"] == "issuer" and entry["anchor"]["log"] == a

    cluster.revoke(credential["id"])
    cluster.wait_head(("uni_b", "regulator", "employer"), a, 2)
    time.sleep(1.5)  # a few anti-entropy rounds: witness statements reach the employer
    cluster.stop("uni_a")
    status, report = cluster.verify("employer", credential)
    assert status == 400 and [e["code"] for e in report["errors"]] == ["revoked"], report
    [entry] = report["results"]["status"]["entries"]
    assert entry["source"] == "replica" and entry["anchor"]["seq"] == 2, entry
    assert entry["anchor"]["witnesses"] >= 1 and entry["anchor"]["ageSeconds"] >= 0, entry


def test_a_node_offline_during_revocations_catches_up_and_survives_sigkill(cluster: Cluster) -> None:
    a = cluster.dids["uni_a"]
    credentials = [cluster.issue(f"urn:uuid:44444444-0000-4000-8000-00000000001{n}") for n in range(3)]
    cluster.wait_head(("uni_b",), a, 1)
    cluster.stop("uni_b")
    for credential in credentials:
        cluster.revoke(credential["id"])
        time.sleep(0.3)  # separate publications: three new anchor entries
    target = cluster.head("uni_a", a)
    assert target >= 3
    cluster.wait_head(("regulator", "employer"), a, target)
    cluster.start("uni_b")
    cluster.wait_head(("uni_b",), a, target)  # caught up by anti-entropy
    cluster.stop("uni_b", signal.SIGKILL)
    cluster.start("uni_b")
    assert cluster.head("uni_b", a) == target  # nothing lost
    cluster.stop("uni_a")
    for credential in credentials:
        status, report = cluster.verify("uni_b", credential)
        assert status == 400 and report["errors"][0]["code"] == "revoked", report


def test_a_forked_log_is_detected_gossiped_and_flagged(cluster: Cluster) -> None:
    a = cluster.dids["uni_a"]
    credential = cluster.issue("urn:uuid:44444444-0000-4000-8000-000000000021")
    cluster.wait_head(("uni_b", "regulator", "employer"), a, 1)
    cluster.stop("uni_a")
    # The issuer (its own key, its own history) shows uni_b one entry 2 and the regulator another.
    asyncio.run(fork_and_show(cluster))
    deadline = time.monotonic() + 30
    while True:
        status, report = cluster.verify("employer", credential)
        codes = [e["code"] for e in report.get("errors", [])]
        if "issuerEquivocated" in codes:
            break
        assert time.monotonic() < deadline, report
        time.sleep(0.2)
    assert status == 400
    # Every report about this issuer says so, also for a credential without status entries.
    plain = {**badge(a, "urn:uuid:44444444-0000-4000-8000-000000000022")}
    status, report = cluster.verify("employer", plain)
    assert "issuerEquivocated" in [w["code"] for w in report["warnings"]], report


async def fork_and_show(cluster: Cluster) -> None:
    """Play the misbehaving issuer: two validly signed, different entries 2 of A's log, each shown to
    different nodes through A's own gossip identity."""
    from aiohttp import web

    from did_methods.key import KeyDriver
    from vcnode.anchor.entries import entry_cid
    from vcnode.anchor.log import AnchorLog
    from vcnode.anchor.store import MemoryAnchorStore, StoredEntry
    from vcnode.config import load_config
    from vcnode.did.resolver import Resolver
    from vcnode.node import Node
    from vcnode.p2p.gossip import Gossip
    from vcnode.p2p.http import MESSAGE_PATH, HttpTransport
    from vcnode.p2p.peers import PeerTable

    node = await Node.open(load_config(cluster.root / "uni_a", environ=cluster.env("uni_a")),
                           environ=cluster.env("uni_a"))
    try:
        did = node.identities.default_did
        key = node.identities.signing_key(did)
        held = await node.anchors.store.entries(did, 1, 100)
        forks = []
        for variant in (b"version shown to uni_b", b"version shown to the regulator"):
            store = MemoryAnchorStore()
            await store.append([StoredEntry(e.log, e.seq, e.cid, e.document) for e in held],
                               held[-1].document, {})
            anchors = AnchorLog(store, Resolver([KeyDriver()]), {did: key}.get)
            entry = await anchors.publish_status_list(did, "https://fork.example/status/x", 99, variant)
            forks.append((anchors, entry))
        port = cluster.ports["uni_a"]
        for (anchors, entry), target in zip(forks, ("uni_b", "regulator"), strict=True):
            peers = PeerTable()
            peers.add(cluster.url(target))
            gossip = Gossip(did=did, key=key, url=f"http://127.0.0.1:{port}", anchors=anchors,
                            resolver=Resolver([KeyDriver()]), peers=peers, transport=HttpTransport(node.fetcher))
            app = web.Application()

            async def handle(request: web.Request, gossip: Gossip = gossip) -> web.Response:
                return web.json_response(await gossip.handle(await request.json()))

            app.router.add_post(MESSAGE_PATH, handle)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                gossip.published(entry)
                await gossip.step()  # announce to the target, which pulls from this server
                fork = entry_cid(entry)
                deadline = time.monotonic() + 20
                while not cluster.saw(target, did, fork):  # until the target took this branch or proved the fork
                    assert time.monotonic() < deadline, f"{target} never took the forked entry"
                    await asyncio.sleep(0.1)
            finally:
                await runner.cleanup()
    finally:
        await node.close()


def test_junk_and_floods_are_refused_while_honest_traffic_flows(cluster: Cluster) -> None:
    a = cluster.dids["uni_a"]
    for junk in ({}, {"type": "announce"}, {"from": "did:key:z6Mkx", "url": "http://127.0.0.1:1", "type": "pull",
                                                  "time": "2026-01-01T00:00:00Z", "proof": {}}, [1, 2]):
        status, body = cluster.post("employer", "/p2p/v1/message", junk)
        assert 400 <= status < 500, (junk, status, body)
    credential = cluster.issue("urn:uuid:44444444-0000-4000-8000-000000000031")
    cluster.wait_head(("employer",), a, 1)
    status, _ = cluster.verify("employer", credential)
    assert status == 200


def test_peers_learned_by_exchange_are_remembered_across_restarts(tmp_path: Path) -> None:
    # Three nodes, and only the hub is configured anywhere: uni_b and the employer each know the hub alone.
    network = Cluster(tmp_path, ("hub", "uni_b", "employer"),
                      peers={"hub": (), "uni_b": ("hub",), "employer": ("hub",)})
    network.init()
    try:
        network.start("hub", "uni_b")
        wait_until(lambda: network.url("uni_b") in peer_sources(network, "hub"))  # uni_b contacted the hub
        network.stop("uni_b")  # from now on only the hub can tell the employer about uni_b
        network.start("employer")
        wait_until(lambda: peer_sources(network, "employer").get(network.url("uni_b")) == "exchange")
        wait_until(lambda: ("exchange",) in saved_peers(network, "employer", network.url("uni_b")))
        network.stop("employer")
        network.stop("hub")  # nobody can tell it again: what it knows after the restart, it remembered
        network.start("employer")
        assert peer_sources(network, "employer") == {network.url("hub"): "config",
                                                     network.url("uni_b"): "exchange"}
    finally:
        network.close()


def peer_sources(cluster: Cluster, name: str) -> dict[str, str]:
    """The peers a node lists (url → how it learned of it: config, exchange or inbound)."""
    with urllib.request.urlopen(cluster.url(name) + "/p2p/v1/status", timeout=10) as response:
        return {p["url"]: p["source"] for p in json.loads(response.read())["peers"]}


def saved_peers(cluster: Cluster, name: str, url: str) -> list[tuple[str]]:
    """How a node's store remembers a peer (its source), read from the database file itself."""
    with sqlite3.connect(f"file:{cluster.root / name / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute("SELECT source FROM peers WHERE url = ?", (url,)).fetchall()


def wait_until(check: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
