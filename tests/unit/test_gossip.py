"""The gossip protocol over the loopback network: spreading, pulling, refusing bad peers and floods."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.did.resolver import Resolver
from vcnode.p2p.gossip import Gossip, MessageRefused
from vcnode.p2p.loopback import LoopbackNetwork, message_size
from vcnode.p2p.peers import BAN_SCORE, PeerTable


class Forger(Gossip):
    """Serves pulls with a changed statement (its signature no longer verifies)."""

    async def _serve_pull(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = copy.deepcopy(await super()._serve_pull(message))
        for entry in answer.get("entries", []):
            entry["statement"]["version"] += 1
        return answer


def network(n: int, *, forgers: tuple[int, ...] = (), peers_per_node: int = 4,
            seed: int = 1) -> tuple[LoopbackNetwork, list[Gossip]]:
    rng = random.Random(seed)
    loop = LoopbackNetwork()
    signers = [did_key_signer() for _ in range(n)]
    dids = [s.verification_method.split("#")[0] for s in signers]
    nodes = []
    for i in range(n):
        peers = PeerTable(rng=random.Random(seed + i))
        others = [j for j in range(n) if j != i]
        for j in [*rng.sample(others, min(peers_per_node, n - 1)), (i + 1) % n]:  # a ring keeps it connected
            peers.add(f"loop://{j}", dids[j])
        anchors = AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), {dids[i]: signers[i]}.get)
        kind = Forger if i in forgers else Gossip
        node = kind(did=dids[i], key=signers[i], url=f"loop://{i}", anchors=anchors, resolver=Resolver([KeyDriver()]),
                    peers=peers, transport=loop, rng=random.Random(seed * 7 + i), measure=message_size)
        loop.add(node)
        nodes.append(node)
    return loop, nodes


async def publish(node: Gossip, version: int) -> None:
    entry = await node.anchors.publish_status_list(node.did, "https://a.example/status/1", version,
                                                   b"list version %d" % version)
    node.published(entry)


async def rounds(nodes: list[Gossip], limit: int = 30) -> int:
    for number in range(1, limit + 1):
        active = [n for n in nodes if n.has_work()]
        if not active:
            return number - 1
        for node in active:
            await node.step()
    return limit


async def seq_of(node: Gossip, log: str) -> int:
    head = await node.anchors.store.head(log)
    return 0 if head is None else head.get("seq", 0)


async def test_a_new_head_reaches_every_node_and_nodes_that_were_offline_catch_up() -> None:
    loop, nodes = network(30)
    issuer = nodes[0]
    loop.offline = {"loop://5", "loop://6"}
    await publish(issuer, 1)
    await rounds(nodes)
    assert all([await seq_of(n, issuer.did) == 1 for n in nodes if n.url not in loop.offline])
    assert await seq_of(nodes[5], issuer.did) == 0
    loop.offline = set()
    for _ in range(20):  # anti-entropy brings the returning nodes up to date
        await nodes[5].anti_entropy()
        await nodes[6].anti_entropy()
        await rounds(nodes)
    assert await seq_of(nodes[5], issuer.did) == 1 and await seq_of(nodes[6], issuer.did) == 1


async def test_forged_data_is_never_kept_and_the_forger_is_penalised_then_banned() -> None:
    _, nodes = network(12, forgers=(1, 2))
    issuer = nodes[0]
    for version in range(1, 4):
        await publish(issuer, version)
        await rounds(nodes)
    real = (await issuer.anchors.store.entry(issuer.did, 1)).cid
    for node in nodes[3:]:
        held = await node.anchors.store.entry(issuer.did, 1)
        assert held is not None and held.cid == real  # every honest node has the real entry, none the forgery
    penalties = [node.peers.peers[url].score for node in nodes for url in ("loop://1", "loop://2")
                 if url in node.peers.peers and node.stats.invalid]
    assert penalties and min(penalties) < 0


async def test_a_flood_is_refused_once_the_peers_budget_is_spent() -> None:
    _, nodes = network(3)
    sender, receiver = nodes[0], nodes[1]
    receiver.peers.add(sender.url, sender.did)
    message = sender._message("announce", heads=[], equivocations=[])
    refused = 0
    for _ in range(200):
        try:
            await receiver.handle(copy.deepcopy(message))
        except MessageRefused as exc:
            assert exc.code == "rateLimited"
            refused += 1
    assert refused >= 90  # the burst (100) passes, the rest is refused
    # Another peer's traffic still goes through.
    assert await receiver.handle(nodes[2]._message("announce", heads=[], equivocations=[])) == {"known": []}


async def test_stale_forged_and_misattributed_messages_are_refused() -> None:
    _, nodes = network(3)
    sender, receiver = nodes[0], nodes[1]
    good = sender._message("announce", heads=[], equivocations=[])
    stale = {**good, "time": "2020-01-01T00:00:00Z"}
    with pytest.raises(MessageRefused) as refused:
        await receiver.handle(stale)
    assert refused.value.code == "stale"
    forged = {**good, "from": nodes[2].did}  # claims to come from someone else: the proof is not theirs
    receiver.peers.peers.pop(sender.url, None)
    with pytest.raises(MessageRefused) as refused:
        await receiver.handle(forged)
    assert refused.value.code == "badSignature"
    receiver.peers.add(sender.url, sender.did)
    for _ in range(abs(BAN_SCORE) // 10 + 1):
        receiver.peers.penalise(sender.url)
    with pytest.raises(MessageRefused) as refused:
        await receiver.handle(sender._message("announce", heads=[], equivocations=[]))
    assert refused.value.code == "rateLimited"  # banned peers are refused like over-rate ones
