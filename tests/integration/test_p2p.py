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
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.builders import badge
from tests.cluster import Cluster

NAMES = ("uni_a", "uni_b", "regulator", "employer")


@pytest.fixture(params=["sqlite", "postgresql"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    """The nodes, each with its store in SQLite or each in its own PostgreSQL database."""
    postgres = request.getfixturevalue("postgres_cluster") if request.param == "postgresql" else None
    running = Cluster(tmp_path, NAMES, postgres=postgres)
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
        wait_until(lambda: network.url("uni_b") in peer_sources(network, "hub"))  # the hub proved uni_b's DID
        network.start("employer")
        # The employer hears of uni_b from the hub, reaches it and has it prove its DID (a peer is admitted
        # only so; uni_b may also have reached the employer first, learning of it from the hub likewise).
        wait_until(lambda: peer_sources(network, "employer").get(network.url("uni_b")) in ("exchange", "inbound"))
        wait_until(lambda: bool(saved_peers(network, "employer", network.url("uni_b"))))
        network.stop("employer")
        network.stop("hub")  # nobody can tell it again: what it knows after the restart, it remembered
        network.stop("uni_b")
        network.start("employer")
        sources = peer_sources(network, "employer")
        assert sources[network.url("hub")] == "config" and set(sources) == {network.url("hub"), network.url("uni_b")}
        assert sources[network.url("uni_b")] in ("exchange", "inbound"), sources  # never configured
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


# --- issue 11: attacks by an outsider on 127.0.0.1 ----------------------------------------------------------
# One four-node cluster for these tests (its set-up dominates their cost); each uses its own attacker keys and
# credentials, and each leaves the honest nodes working for the next.


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("attacked"), NAMES)
    running.init()
    with running.serving():
        yield running


class Rogue:
    """An outsider's node on 127.0.0.1: a real server at its own URL, with its own did:key, that proves its DID
    when asked (so it can become a peer) but never answers a pull, and offers ``junk`` in peer exchange. Its
    :meth:`message` signs whatever it wants to send, with any ``url``."""

    def __init__(self, junk: list[str] | None = None) -> None:
        from did_methods.key import KeyDriver
        from tests.builders import did_key_signer
        from tests.integration.test_serve import free_port
        from vcnode.anchor.log import AnchorLog
        from vcnode.anchor.store import MemoryAnchorStore
        from vcnode.did.resolver import Resolver
        from vcnode.p2p.gossip import Gossip
        from vcnode.p2p.peers import PeerTable

        junk_peers = list(junk or [])
        self._loop = asyncio.new_event_loop()
        self._released = asyncio.Event()
        released = self._released

        class Silent(Gossip):
            async def _serve_pull(self, message: dict) -> dict:
                await released.wait()  # until the rogue leaves: the puller's deadline has to end it
                return {}

            def _shared_peers(self) -> list[str]:
                return junk_peers

        key = did_key_signer()
        self.did = key.verification_method.split("#")[0]
        self.url = f"http://127.0.0.1:{free_port()}"
        self.gossip = Silent(did=self.did, key=key, url=self.url, resolver=Resolver([KeyDriver()]),
                             anchors=AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), lambda _: None),
                             peers=PeerTable(), transport=None)  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Rogue:
        from aiohttp import web

        from vcnode.p2p.http import MESSAGE_PATH

        async def handle(request: web.Request) -> web.Response:
            return web.json_response(await self.gossip.handle(await request.json()))

        async def start() -> web.AppRunner:
            app = web.Application()
            app.router.add_post(MESSAGE_PATH, handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", int(self.url.rsplit(":", 1)[1])).start()
            return runner

        self._thread.start()
        self._runner = asyncio.run_coroutine_threadsafe(start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._released.set)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def message(self, kind: str, url: str | None = None, **body: object) -> dict:
        message = self.gossip._message(kind, **body)
        if url is not None:  # a claim to another URL: sign it as such
            from vcnode.credentials.issue import sign

            unsigned = {k: v for k, v in message.items() if k != "proof"}
            message = sign({**unsigned, "url": url}, self.gossip.key, suite="eddsa-jcs-2022")
        return message


def status_of(cluster: Cluster, name: str) -> dict:
    with urllib.request.urlopen(cluster.url(name) + "/p2p/v1/status", timeout=10) as response:
        return json.loads(response.read())


def wait_for_peers(cluster: Cluster, name: str, urls: set[str], timeout: float = 15.0,
                   rogue: Rogue | None = None) -> dict[str, dict]:
    """Wait until ``name`` lists ``urls`` as peers; a ``rogue`` keeps announcing itself meanwhile (a candidate
    is asked once, and candidates from one address are few at a time)."""
    deadline = time.monotonic() + timeout
    while True:
        if rogue is not None:
            cluster.post(name, "/p2p/v1/message", rogue.message("announce", heads=[], equivocations=[]))
        peers = {p["url"]: p for p in status_of(cluster, name)["peers"]}
        if urls <= set(peers):
            return peers
        assert time.monotonic() < deadline, (name, sorted(peers))
        time.sleep(0.2)


def revoke_and_wait(cluster: Cluster, names: tuple[str, ...], credential_id: str, timeout: float = 15.0) -> None:
    """Issue and revoke at uni_a; the new heads must be anchored and reach ``names`` in ``timeout`` seconds."""
    a = cluster.dids["uni_a"]
    credential = cluster.issue(credential_id)
    time.sleep(0.5)  # the issue's own publication, if any, is anchored
    before = cluster.head("uni_a", a)
    cluster.revoke(credential["id"])
    cluster.wait_head(("uni_a",), a, before + 1, timeout=timeout)  # signed and anchored: publishing goes on
    cluster.wait_head(names, a, cluster.head("uni_a", a), timeout=timeout)


def test_forged_claims_in_the_peers_names_do_not_cut_a_node_off(attacked: Cluster) -> None:
    """Issue 11 item 2: unsigned messages claiming each honest peer once made the victim ban them all."""
    others = ("uni_a", "uni_b", "regulator")
    wait_for_peers(attacked, "employer", {attacked.url(n) for n in others})
    rogue = Rogue()
    for name in others:
        for _ in range(8):
            forged = {**rogue.message("announce", heads=[], equivocations=[]), "from": attacked.dids[name],
                      "url": attacked.url(name)}
            status, body = attacked.post("employer", "/p2p/v1/message", forged)
            assert status == 401 and body["code"] == "badSignature", body
    peers = wait_for_peers(attacked, "employer", {attacked.url(n) for n in others})
    assert all(peers[attacked.url(n)]["did"] == attacked.dids[n] for n in others), peers
    revoke_and_wait(attacked, ("employer",), "urn:uuid:44444444-0000-4000-8000-000000000101")


def test_a_thousand_heads_from_a_peer_that_never_answers_stall_neither_gossip_nor_publishing(
        attacked: Cluster) -> None:
    """Issue 11 item 6: pulled one at a time with no budget, junk heads from a silent peer stalled the issuer's
    loop, and its own revoked list stayed unsigned and unanchored."""
    junk = [{"log": f"did:key:z6MkJunk{i:06d}", "seq": 5, "entry": f"bagaaierajunk{i:06d}"} for i in range(1000)]
    with Rogue() as rogue:
        wait_for_peers(attacked, "uni_a", {rogue.url}, rogue=rogue)  # uni_a reached it, it proved its DID: a peer
        status, body = attacked.post("uni_a", "/p2p/v1/message", rogue.message("announce", heads=junk,
                                                                                equivocations=[]))
        assert status == 200, body
        time.sleep(0.5)  # uni_a's pulls from the rogue are hanging now
        revoke_and_wait(attacked, ("uni_b", "regulator", "employer"), "urn:uuid:44444444-0000-4000-8000-000000000102")


def test_signed_announces_with_rotating_urls_do_not_poison_the_peer_tables(attacked: Cluster) -> None:
    """Issue 11 item 7: every URL a signed message claimed became a peer, spread by peer exchange and was
    saved; now a URL is a peer only once the node reached it and the DID was proved there."""
    closed = [f"http://127.0.0.1:{port}" for port in range(1, 300)]  # nothing listens there
    with Rogue(junk=closed[:32]) as rogue:
        for url in closed:
            attacked.post("employer", "/p2p/v1/message", rogue.message("announce", url, heads=[], equivocations=[]))
        # The rogue itself is reachable and proves its DID, so it may become a peer — and offer junk in exchange.
        wait_for_peers(attacked, "employer", {rogue.url}, rogue=rogue)
        attacked.post("employer", "/p2p/v1/message", rogue.message(
            "exchange", heads=[], peers=closed[:32], witnesses=[], equivocations=[]))
        time.sleep(2.5)  # probes fail; a few anti-entropy rounds spread and save peer tables
        for name in NAMES:
            peers = {p["url"] for p in status_of(attacked, name)["peers"]}
            assert not peers & set(closed), (name, sorted(peers & set(closed)))
    rows = subprocess.run(["sqlite3", str(attacked.root / "employer" / "vcnode.sqlite3"), "SELECT url FROM peers"],
                          capture_output=True, text=True)
    if rows.returncode == 0:
        assert not set(rows.stdout.split()) & set(closed), rows.stdout
    revoke_and_wait(attacked, ("employer",), "urn:uuid:44444444-0000-4000-8000-000000000103")


def test_a_replayed_message_is_refused(attacked: Cluster) -> None:
    """Issue 11 item 10: one signed message was accepted 60 times within its 5-minute window."""
    message = Rogue().message("announce", heads=[], equivocations=[])
    statuses = [attacked.post("regulator", "/p2p/v1/message", message) for _ in range(61)]
    assert statuses[0][0] == 200
    assert {(status, body.get("code")) for status, body in statuses[1:]} == {(409, "replayed")}


def test_junk_peer_urls_are_refused_at_the_door(attacked: Cluster) -> None:
    """Issue 11 item 11: file:// and metadata-service URLs were taken into the peer table and published."""
    with Rogue() as rogue:
        junk = ["file:///etc/passwd", "http://169.254.169.254", "http://169.254.169.254/latest/meta-data",
                "http://user:secret@127.0.0.1:9", "gopher://127.0.0.1:70", "https://10.1.2.3"]
        for url in junk:
            status, body = attacked.post("regulator", "/p2p/v1/message",
                                         rogue.message("announce", url, heads=[], equivocations=[]))
            assert status == 200, body  # validly signed: taken, but its URL is not
        wait_for_peers(attacked, "regulator", {rogue.url}, rogue=rogue)
        rogue.gossip._shared_peers = lambda: junk  # type: ignore[method-assign]
        attacked.post("regulator", "/p2p/v1/message", rogue.message(
            "exchange", heads=[], peers=junk, witnesses=[], equivocations=[]))
        time.sleep(1.5)
        for name in NAMES:
            published = json.dumps(status_of(attacked, name)["peers"])
            assert not any(url in published for url in junk), (name, published)
