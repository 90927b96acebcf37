"""The gossip protocol over the loopback network: spreading, pulling, refusing bad peers and floods."""

from __future__ import annotations

import asyncio
import copy
import random
from typing import Any

import pytest

from did_methods.key import KeyDriver
from tests.builders import did_key_signer
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.did.resolver import Resolver
from vcnode.p2p.gossip import Gossip, MessageRefused, summary
from vcnode.p2p.loopback import LoopbackNetwork, loop_url, message_size
from vcnode.p2p.peers import BAN_SCORE, PENALTY_UNREACHABLE, PeerTable, PeerUrlRefused, check_peer_url


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
        peers = PeerTable(rng=random.Random(seed + i), check_url=loop_url)
        others = [j for j in range(n) if j != i]
        for j in [*rng.sample(others, min(peers_per_node, n - 1)), (i + 1) % n]:  # a ring keeps it connected
            peers.add(f"loop://{j}", dids[j])
        anchors = AnchorLog(MemoryAnchorStore(), Resolver([KeyDriver()]), {dids[i]: signers[i]}.get)
        kind = Forger if i in forgers else Gossip
        node = kind(did=dids[i], key=signers[i], url=f"loop://{i}", anchors=anchors, resolver=Resolver([KeyDriver()]),
                    peers=peers, transport=loop.endpoint(f"loop://{i}"), rng=random.Random(seed * 7 + i),
                    measure=message_size)
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
    refused = 0
    for _ in range(200):
        try:
            await receiver.handle(sender._message("announce", heads=[], equivocations=[]))
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


# --- issue 11: attacks that worked ------------------------------------------------------------------------


def forged(claimed: Gossip, by: Gossip, kind: str = "announce", **body: Any) -> dict[str, Any]:
    """A message claiming to come from ``claimed`` (its DID and URL) but signed by ``by``: it cannot verify."""
    return {**by._message(kind, **body), "from": claimed.did, "url": claimed.url}


async def test_forged_claims_in_a_peers_name_neither_penalise_nor_ban_it() -> None:
    _, nodes = network(4)
    victim, honest, attacker = nodes[1], nodes[0], nodes[3]
    victim.peers.add(honest.url, honest.did)
    before = victim.peers.peers[honest.url].score
    for _ in range(20):
        with pytest.raises(MessageRefused) as refused:
            await victim.handle(forged(honest, attacker, heads=[], equivocations=[]), "loop://3")
        assert refused.value.code == "badSignature"
    peer = victim.peers.peers[honest.url]
    assert peer.score == before and not victim.peers.is_banned(honest.url) and peer.did == honest.did
    # Taking tokens from the claimed peer's bucket was the other half of the attack: its own traffic flows.
    for _ in range(30):
        await victim.handle(honest._message("announce", heads=[], equivocations=[]), "loop://0")
    await publish(honest, 1)
    await rounds([honest, victim])
    assert await seq_of(victim, honest.did) == 1


async def test_a_signed_claim_to_another_nodes_url_binds_nothing_the_genuine_node_is_admitted() -> None:
    _, nodes = network(4)
    victim, genuine, squatter = nodes[1], nodes[2], nodes[3]
    victim.peers.peers.pop(genuine.url, None)
    victim.peers.peers.pop(squatter.url, None)
    # The squatter signs (validly, with its own DID) messages claiming the genuine node's URL first.
    squatter.url = genuine.url
    claim = squatter._message("announce", heads=[], equivocations=[])
    await victim.handle(claim, "loop://3")
    assert victim.peers.by_did(squatter.did) is None and genuine.url not in victim.peers.peers
    assert genuine.url in victim.peers.candidates  # only a hint, to be reached
    # The genuine node's own messages are not refused as "known as another DID", and reaching the URL binds it.
    await victim.handle(genuine._message("announce", heads=[], equivocations=[]), "loop://2")
    await victim.step()
    assert victim.peers.peers[genuine.url].did == genuine.did and victim.peers.peers[genuine.url].verified
    assert victim.peers.by_did(squatter.did) is None


class Silent(Gossip):
    """A peer that proves its DID but never answers a pull; counts the pulls it was sent."""

    pulled: int = 0

    async def _serve_pull(self, message: dict[str, Any]) -> dict[str, Any]:
        type(self).pulled += 1
        await asyncio.sleep(3600)
        return {}


def junk_heads(count: int, seq: int = 5) -> list[dict[str, Any]]:
    return [{"log": f"did:key:z6MkJunk{i:06d}", "seq": seq, "entry": f"bagaaierajunk{i:06d}"} for i in range(count)]


async def test_a_thousand_heads_from_a_peer_that_never_answers_stall_nothing() -> None:
    loop, nodes = network(3)
    victim, honest = nodes[0], nodes[1]
    silent_key = did_key_signer()
    silent_did = silent_key.verification_method.split("#")[0]
    silent = Silent(did=silent_did, key=silent_key, url="loop://silent", anchors=AnchorLog(
        MemoryAnchorStore(), Resolver([KeyDriver()]), {silent_did: silent_key}.get), resolver=Resolver([KeyDriver()]),
        peers=PeerTable(check_url=loop_url), transport=loop.endpoint("loop://silent"))
    loop.add(silent)
    Silent.pulled = 0
    victim.pull_deadline, victim.round_wait = 0.2, 0.05
    victim.peers.add(honest.url, honest.did)
    await victim.handle(silent._message("announce", heads=junk_heads(1000), equivocations=[]), "loop://silent")
    await victim.step()  # reaches the silent peer's URL: it proves its DID and becomes a peer
    assert victim.peers.by_did(silent_did) is not None
    await victim.handle(silent._message("announce", heads=junk_heads(1000), equivocations=[]), "loop://silent")
    # The node's own new head goes out in the same round, however many pulls are pending.
    await publish(victim, 1)
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(victim.step(), 2)
    assert asyncio.get_running_loop().time() - started < 1
    assert honest._to_pull and await seq_of(honest, victim.did) == 0  # the honest peer was told
    assert Silent.pulled <= victim.pulls_per_peer  # budgeted per peer, not one after another
    # An honest peer's head is still pulled while the silent peer's pulls hang.
    await publish(honest, 1)
    await honest.step()
    for _ in range(3):
        await victim.step()
    await asyncio.sleep(0.1)
    assert await seq_of(victim, honest.did) == 1
    # Each hung pull costs the silent peer; once banned it is never pulled from again.
    for _ in range(100):
        await victim.step()
        await asyncio.sleep(0.02)
        if victim.peers.peers.get("loop://silent") is None or victim.peers.is_banned("loop://silent"):
            break
    assert victim.peers.peers.get("loop://silent") is None or victim.peers.is_banned("loop://silent")
    await asyncio.sleep(0.3)
    pulled = Silent.pulled
    for _ in range(10):
        await victim.step()
    await asyncio.sleep(0.3)
    assert Silent.pulled == pulled and not victim._to_pull
    await victim.close()


async def test_heads_announced_beyond_a_held_log_are_recorded_until_pulled_or_disproved() -> None:
    _, nodes = network(3)
    victim, issuer, liar = nodes[0], nodes[1], nodes[2]
    await publish(issuer, 1)
    await rounds([issuer, victim])
    assert await seq_of(victim, issuer.did) == 1
    assert await victim.anchors.store.announced(issuer.did) == []
    await publish(issuer, 2)
    head = summary(await issuer.anchors.store.head(issuer.did))
    await victim.handle(issuer._message("announce", heads=[head], equivocations=[]), issuer.url)
    [claim] = await victim.anchors.store.announced(issuer.did)
    assert (claim.log, claim.seq, claim.entry, claim.announcer) == (issuer.did, 2, head["entry"], issuer.did)
    await victim.handle(liar._message("announce", heads=[{**head, "seq": 9}], equivocations=[]), liar.url)
    assert [c.seq for c in await victim.anchors.store.announced(issuer.did)] == [9, 2]
    assert await victim.anchors.store.announced("did:key:z6MkNotHeld") == []  # only logs held
    score = victim.peers.peers[liar.url].score
    await rounds([issuer, victim])  # the liar's claim is tried first, fails, and the issuer's is pulled
    assert await seq_of(victim, issuer.did) == 2
    assert await victim.anchors.store.announced(issuer.did) == []  # pulled, or disproved and dropped
    assert victim.peers.peers[liar.url].score < score


async def test_rotating_urls_in_signed_messages_do_not_fill_or_spread_through_the_peer_table() -> None:
    _, nodes = network(5)
    victim, attacker, other = nodes[0], nodes[4], nodes[2]
    table_before = set(victim.peers.peers)
    for i in range(5000):
        attacker.url = f"loop://junk-{i}"
        try:
            await victim.handle(attacker._message("announce", heads=[], equivocations=[]), "loop://4")
        except MessageRefused as exc:
            assert exc.code == "rateLimited"
    assert set(victim.peers.peers) == table_before  # nothing was admitted on a claim
    assert len(victim.peers.candidates) <= 8  # the source's quota
    for _ in range(3):
        await victim.step()
    assert set(victim.peers.peers) == table_before and not victim.peers.candidates  # unreachable: forgotten
    # Peer exchange shares only peers whose DID was proved at their URL.
    victim.peers.offer("loop://junk-x", "loop://4")
    answer = await victim.handle(other._message("exchange", heads=[], peers=[], witnesses=[], equivocations=[]),
                                 other.url)
    assert all(victim.peers.peers[url].verified for url in answer["peers"])
    assert "loop://junk-x" not in answer["peers"]


async def test_a_peer_that_stops_answering_is_dropped_and_its_place_taken() -> None:
    loop, nodes = network(4)
    victim, gone = nodes[0], nodes[1]
    victim.peers.peers.pop(gone.url, None)
    victim.peers.admit(gone.url, gone.did)
    loop.offline = {gone.url}
    for _ in range(20):
        victim.peers.penalise(gone.url, PENALTY_UNREACHABLE)
        if gone.url not in victim.peers.peers:
            break
    assert gone.url not in victim.peers.peers


async def test_a_replayed_message_is_refused_within_the_window_and_memory_is_bounded() -> None:
    _, nodes = network(3)
    sender, receiver = nodes[0], nodes[1]
    message = sender._message("announce", heads=[], equivocations=[])
    assert await receiver.handle(copy.deepcopy(message)) == {"known": []}
    for _ in range(60):
        with pytest.raises(MessageRefused) as refused:
            await receiver.handle(copy.deepcopy(message))
        assert refused.value.code == "replayed"
    reordered = dict(reversed(list(message.items())))  # the same message re-encoded is the same message
    with pytest.raises(MessageRefused):
        await receiver.handle(reordered)
    receiver.replay_cache = len(receiver._seen) + 2
    await receiver.handle(sender._message("announce", heads=[], equivocations=[]))
    await receiver.handle(sender._message("announce", heads=[], equivocations=[]))
    with pytest.raises(MessageRefused) as refused:  # full: refuse rather than forget an id
        await receiver.handle(sender._message("announce", heads=[], equivocations=[]))
    assert refused.value.code == "rateLimited" and len(receiver._seen) == receiver.replay_cache


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://169.254.169.254", "https://169.254.169.254/latest",
                                 "https://10.0.0.1", "https://[::1]:8080", "https://user:pw@node.example",
                                 "https://localhost", "http://node.example", "https://node.example/?x=1",
                                 "gopher://node.example", "https://", "https://metadata.google.internal",
                                 "https://node.example:99999"])
def test_junk_peer_urls_are_refused_at_the_door(url: str) -> None:
    with pytest.raises(PeerUrlRefused):
        check_peer_url(url)
    assert not PeerTable().offer(url, "someone")


def test_peer_urls_that_may_be_reached_are_taken() -> None:
    assert check_peer_url("https://Node.Example:8443/vc/") == "https://node.example:8443/vc"
    assert check_peer_url("http://127.0.0.1:8081", ["127.0.0.1"]) == "http://127.0.0.1:8081"
    with pytest.raises(PeerUrlRefused):
        check_peer_url("http://127.0.0.1:8081")  # private addresses only when the configuration allows them


async def test_junk_urls_in_a_verified_peers_exchange_are_not_taken() -> None:
    _, nodes = network(3)
    victim, peer = nodes[0], nodes[1]
    victim.peers.peers.pop(peer.url, None)
    victim.peers.admit(peer.url, peer.did)
    victim.peers.check_url = lambda url: check_peer_url(url)  # as a real node: http(s) only
    await victim.handle(peer._message("exchange", heads=[], witnesses=[], equivocations=[], peers=[
        "file:///etc/passwd", "http://169.254.169.254", "https://user:pw@node.example", "https://node.example"]),
        peer.url)
    assert list(victim.peers.candidates) == ["https://node.example"]
