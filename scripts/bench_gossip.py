#!/usr/bin/env python3
"""Gossip: rounds, messages and bytes until 99 % of nodes hold a new status list version. Not a test.

Real aiohttp nodes on 127.0.0.1 (one server per node, HTTP transport) for N <= 50, and an in-process
simulation for larger N; both run the node's own protocol code (``vcnode.p2p.gossip``, ``vcnode.anchor``)
over a loopback transport: every message is signed, serialised and verified, every entry and payload is
verified by every node. The issuer publishes a real signed Bitstring Status List credential (131,072
entries, 2 % set). Scenarios: all nodes honest and online; 10 % offline; 10 % malicious (they answer
pulls with forged entries); 10 % attacking (every round each sends unsigned messages claiming to come from
its targets' peers, signed announces of 200 junk heads under rotating URLs, and exchanges offering junk peers;
it proves its DID when asked but never answers a pull). Pull deadline in the simulation: 0.5 s. Baseline,
measured in the same run: eager push, the straightforward approach,
where a node forwards the entries and the payload itself to every peer instead of announcing a summary
and letting peers pull what they lack.

    .venv/bin/python scripts/bench_gossip.py [--nodes 100 1000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import json
import math
import random
import socket
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from did_methods.key import KeyDriver
from vcnode.anchor.log import AnchorLog
from vcnode.anchor.store import MemoryAnchorStore
from vcnode.credentials.issue import issue_credential
from vcnode.did.resolver import Resolver
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.net.fetch import SafeFetcher
from vcnode.p2p.gossip import Gossip, MessageRefused, PeerUnavailable, summary
from vcnode.p2p.http import MESSAGE_PATH, HttpTransport
from vcnode.p2p.loopback import LoopbackNetwork, loop_url, message_size
from vcnode.p2p.peers import PeerTable
from vcnode.status.bitstring import encode_list, new_bitstring, set_entry

PEERS_PER_NODE = 8
PULL_DEADLINE = 0.5


class EagerPush(Gossip):
    """Baseline: forward the entries and payload to every peer (no announce/pull, no knowledge tracking)."""

    async def step(self) -> None:
        rumours, self._rumours = self._rumours, {}
        for item in rumours.values():
            served = await self._serve_pull({"log": item["log"], "fromSeq": 1})
            for peer in self.peers.usable():
                await self._send(peer.url, self._message("push", **served))

    async def handle(self, message: Any, address: str | None = None) -> dict[str, Any]:
        if message.get("type") != "push":
            return await super().handle(message, address)
        await self._check_incoming(message, address)
        blobs = {cid: base64.b64decode(data) for cid, data in message["blobs"].items()}
        result = await self.anchors.ingest(message["head"], message["entries"], blobs)
        if result.accepted:
            self._rumours[message["head"]["log"]] = summary(message["head"])
        return {"ok": True}


class MaliciousGossip(Gossip):
    """Answers pulls with forged data (a changed statement, so the signature fails)."""

    async def _serve_pull(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = await super()._serve_pull(message)
        forged = copy.deepcopy(answer)
        for entry in forged.get("entries", []):
            entry["statement"]["version"] = entry["statement"].get("version", 0) + 1000
        return forged


class Attacker(Gossip):
    """Forged claims and junk announces every round; proves its DID when asked, never answers a pull."""

    targets: list[str] = []  # every node's URL
    network: Any = None

    def has_work(self) -> bool:
        return True

    async def _serve_pull(self, message: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(3600)  # the puller's deadline ends it
        return {}

    async def step(self) -> None:
        sends = []
        for target in self.rng.sample(self.targets, min(4, len(self.targets))):
            node = self.network.nodes.get(target) if isinstance(self.network, LoopbackNetwork) else None
            claimed = [p for p in node.peers.peers.values()][:8] if node is not None else []
            for peer in claimed:  # unsigned in their name: three each, enough to ban them on the old code
                for _ in range(3):
                    forged = {**self._message("announce", heads=[], equivocations=[]), "from": peer.did or "",
                              "url": peer.url}
                    sends.append(self._fire(target, forged))
            self.url, real = self._junk_url(), self.url
            junk = [{"log": f"did:key:z6MkJunk{self.rng.getrandbits(64):x}", "seq": 7, "entry": "bagaaierajunk"}
                    for _ in range(200)]
            announce = self._message("announce", heads=junk, equivocations=[])  # under a rotating URL
            self.url = real
            sends.append(self._fire(target, announce))
            junk_peers = [self._junk_url() for _ in range(32)]
            sends.append(self._fire(target, self._message("exchange", heads=junk, peers=junk_peers, witnesses=[],
                                                          equivocations=[])))
        await asyncio.gather(*sends)

    def _junk_url(self) -> str:
        """A URL where nothing answers."""
        if self.url.startswith("loop://"):
            return f"loop://junk-{self.rng.getrandbits(32):x}"
        return f"http://127.0.0.1:{self.rng.randrange(1, 1024)}"

    async def _fire(self, url: str, message: dict[str, Any]) -> None:
        with contextlib.suppress(PeerUnavailable):
            await self.transport.request(url, message)


def signer() -> SigningKey:
    pair = Ed25519KeyPair.generate()
    return SigningKey(f"did:key:{pair.public_multikey}#{pair.public_multikey}", pair)


def status_list(issuer: SigningKey, rng: random.Random) -> bytes:
    """A signed BitstringStatusListCredential with 2 % of 131,072 entries set."""
    bits = new_bitstring(131_072)
    for index in rng.sample(range(131_072), 2621):
        set_entry(bits, index, 1)
    did = issuer.verification_method.split("#")[0]
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "https://u1.example/status/r1",
                  "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": did,
                  "validFrom": "2026-11-23T00:00:00Z", "validUntil": "2026-12-23T00:00:00Z",
                  "credentialSubject": {"id": "https://u1.example/status/r1#list", "type": "BitstringStatusList",
                                        "statusPurpose": "revocation", "encodedList": encode_list(bits),
                                        "ttl": 300000}}
    return orjson.dumps(issue_credential(credential, issuer))


async def holders(nodes: list[Gossip], log: str) -> list[Gossip]:
    """The nodes holding at least one entry of ``log``."""
    return [node for node in nodes if await node.anchors.store.head(log) is not None]


@dataclass
class Outcome:
    rounds: int | None
    reached: float
    messages_per_node: float
    bytes_per_node: float
    payload: int
    forged_accepted: int
    seconds: float


class HttpNetwork:
    """Real aiohttp servers on 127.0.0.1 (one per node, in this process) and the node's HTTP transport."""

    def __init__(self) -> None:
        self.fetcher = SafeFetcher(timeout=10, max_bytes=4 * 1024 * 1024, allow_http_hosts=["127.0.0.1"])
        self.transport = HttpTransport(self.fetcher)
        self.runners: dict[str, web.AppRunner] = {}
        self.offline: set[str] = set()

    async def url(self) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return f"http://127.0.0.1:{sock.getsockname()[1]}"

    def add(self, node: Gossip) -> None:
        self.runners[node.url] = node  # type: ignore[assignment]  # started in start()

    async def start(self) -> None:
        for url, node in list(self.runners.items()):
            app = web.Application()

            async def handle(request: web.Request, node: Any = node) -> web.Response:
                try:
                    return web.json_response(await node.handle(await request.json(), request.remote),
                                             dumps=_dumps)
                except MessageRefused as exc:
                    return web.json_response({"code": exc.code}, status=400)

            app.router.add_post(MESSAGE_PATH, handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            if url not in self.offline:
                await web.TCPSite(runner, "127.0.0.1", int(url.rsplit(":", 1)[1])).start()
            self.runners[url] = runner

    async def request(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        return await self.transport.request(url, message)

    async def close(self) -> None:
        for runner in self.runners.values():
            await runner.cleanup()
        await self.fetcher.close()


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def simulate(n: int, *, offline: float = 0.0, malicious: float = 0.0, attacking: float = 0.0,
                   flood: bool = False, seed: int = 7, http: bool = False) -> Outcome:
    rng = random.Random(seed)
    resolver = Resolver([KeyDriver()])
    network: Any = HttpNetwork() if http else LoopbackNetwork()
    keys = [signer() for _ in range(n)]
    urls = [await network.url() for _ in range(n)] if http else [f"loop://node-{i}" for i in range(n)]
    bad = set(rng.sample(range(1, n), int(n * (malicious or attacking))))
    down = set(rng.sample([i for i in range(1, n) if i not in bad], int(n * offline)))
    nodes = []
    for i in range(n):
        did = keys[i].verification_method.split("#")[0]
        # Over HTTP every node's requests come from 127.0.0.1, so a receiver's per-address budget (which stands
        # for one host) is given n hosts' worth: as if each node had an address of its own, as it would.
        peers = PeerTable(rng=random.Random(seed + i), **({"allowed_hosts": ["127.0.0.1"], "address_rate": 200.0 * n,
                                                             "address_burst": 400.0 * n} if http else
                                                            {"check_url": loop_url}))
        for j in rng.sample([k for k in range(n) if k != i], min(PEERS_PER_NODE, n - 1)):
            peers.add(urls[j], keys[j].verification_method.split("#")[0])
        anchors = AnchorLog(MemoryAnchorStore(), resolver, {did: keys[i]}.get)
        bad_kind = Attacker if attacking else MaliciousGossip
        kind = EagerPush if flood else bad_kind if i in bad else Gossip
        node = kind(did=did, key=keys[i], url=urls[i], anchors=anchors, resolver=resolver, peers=peers,
                    transport=network if http else network.endpoint(urls[i]), rng=random.Random(seed * 31 + i),
                    measure=message_size, fanout=PEERS_PER_NODE, pull_deadline=PULL_DEADLINE)
        if isinstance(node, Attacker):
            node.targets, node.network = [u for k, u in enumerate(urls) if k not in bad], network
        network.add(node)
        nodes.append(node)
    network.offline = {urls[i] for i in down}
    if http:
        await network.start()
    try:
        return await _spread(nodes, keys, bad, down, rng)
    finally:
        if http:
            await network.close()


async def _spread(nodes: list[Gossip], keys: list[SigningKey], bad: set[int], down: set[int],
                  rng: random.Random) -> Outcome:
    issuer = nodes[0]
    payload = status_list(keys[0], rng)
    started = time.perf_counter()
    entry = await issuer.anchors.publish_status_list(issuer.did, "https://u1.example/status/r1", 1, payload)
    issuer.published(entry)
    honest = [node for i, node in enumerate(nodes) if i not in bad and i not in down]
    target = math.ceil(0.99 * len(honest))
    rounds = None
    for round_number in range(1, 60):
        active = [node for i, node in enumerate(nodes) if i not in down and node.has_work()]
        if not active or (rounds is not None and round_number > rounds + 3 and
                          any(isinstance(node, Attacker) for node in active)):
            break  # attackers never stop: measure a few rounds past the goal
        await asyncio.gather(*(node.step() for node in active))
        holding = len(await holders(honest, issuer.did))
        if rounds is None and holding >= target:
            rounds = round_number
    holding = await holders(honest, issuer.did)
    real = await issuer.anchors.store.entry(issuer.did, 1)
    kept = [await node.anchors.store.entry(issuer.did, 1) for node in holding]
    forged = sum(1 for stored in kept if stored is None or stored.cid != real.cid)
    online = [node for i, node in enumerate(nodes) if i not in down and not isinstance(node, Attacker)]
    return Outcome(rounds, len(holding) / len(honest), sum(node.stats.sent for node in online) / len(online),
                   sum(node.stats.bytes_sent for node in online) / len(online), len(payload), forged,
                   time.perf_counter() - started)


SCENARIOS = (("honest", {}), ("10% offline", {"offline": 0.1}), ("10% malicious", {"malicious": 0.1}),
             ("10% forged+junk", {"attacking": 0.1}), ("eager push (baseline)", {"flood": True}))


async def run(sizes: list[int], http_sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in http_sizes:
        for name, kwargs in SCENARIOS[:4]:
            outcome = await simulate(n, http=True, **kwargs)
            rows.append({"nodes": n, "transport": "http", "scenario": name, "goal_rounds": 2 * math.log2(n),
                         **outcome.__dict__})
    for n in sizes:
        for name, kwargs in SCENARIOS:
            outcome = await simulate(n, **kwargs)
            rows.append({"nodes": n, "transport": "loopback", "scenario": name, "goal_rounds": 2 * math.log2(n),
                         **outcome.__dict__})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[100, 1000], help="loopback simulation sizes")
    parser.add_argument("--http-nodes", type=int, nargs="*", default=[10, 50],
                        help="sizes run as real aiohttp servers on 127.0.0.1 (at most 50)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = asyncio.run(run(args.nodes, [n for n in args.http_nodes if n <= 50]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("Gossip of one new status list version (the node's protocol code; http = real aiohttp nodes)")
    print(f"  {'nodes':>6} {'transport':<9} {'scenario':<22} {'rounds to 99%':>14} {'goal':>6} {'reached':>8} "
          f"{'msgs/node':>10} {'bytes/node':>11} {'x payload':>10} {'forged kept':>12} {'time':>7}")
    for r in rows:
        rounds = "-" if r["rounds"] is None else str(r["rounds"])
        print(f"  {r['nodes']:>6} {r['transport']:<9} {r['scenario']:<22} {rounds:>14} {r['goal_rounds']:>6.1f} "
              f"{r['reached']:>7.1%} {r['messages_per_node']:>10.1f} {r['bytes_per_node']:>11,.0f} "
              f"{r['bytes_per_node'] / r['payload']:>9.2f}x {r['forged_accepted']:>12} {r['seconds']:>6.1f}s")
    print(f"  payload: one signed status list credential of {rows[0]['payload']:,} bytes; bytes/node = every byte "
          "sent (requests and answers) / nodes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
