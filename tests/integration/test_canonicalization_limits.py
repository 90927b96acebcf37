"""Issue 11, item 1: the canonicalisation bomb. A 2 KB unauthenticated credential whose blank nodes form a
clique froze a node for a minute (pyld's N-degree hashing has no limit and ran on the event loop). Now the
work is bounded (``canonicalizationLimit``) and large documents are checked in worker processes under a
deadline, so ``/health`` keeps answering for everyone."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.builders import badge, blank_node_clique, did_key_signer
from tests.cluster import Cluster
from vcnode.credentials.issue import sign
from vcnode.keys.signer import SigningKey
from vcnode.proofs.base import encode_proof_value

pytestmark = pytest.mark.integration


class LimitedCluster(Cluster):
    """One node with a short proof deadline, so the heavy-document case is quick to show."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "VCNODE_PROOF_DEADLINE": "2", "VCNODE_PROOF_OFFLOAD_BYTES": "65536"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cluster = LimitedCluster(Path(tmp_path_factory.mktemp("canon")), ("verifier",))
    cluster.init()
    with cluster.serving():
        yield cluster.url("verifier")


def signed_clique(size: int) -> dict[str, Any]:
    """The bomb as an attacker sends it: a proof by a did:key (resolved locally) with a well-formed value."""
    signer = did_key_signer()
    document = blank_node_clique(size, issuer=signer.verification_method.split("#")[0])
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
             "verificationMethod": signer.verification_method, "proofPurpose": "assertionMethod",
             "proofValue": encode_proof_value(bytes(range(64)))}
    return {**document, "proof": proof}


def padded_badge(size_bytes: int) -> tuple[dict[str, Any], SigningKey]:
    """An unsigned OB 3.0 badge padded with distinct results to about ``size_bytes`` of JSON, and its signer."""
    signer = did_key_signer()
    credential = badge(signer.verification_method.split("#")[0])
    count = size_bytes // 60
    credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": f"score {i:06d} of the assessment"}
                                                 for i in range(count)]
    return credential, signer


async def health_latencies(session: aiohttp.ClientSession, base: str, stop: asyncio.Event) -> list[float]:
    latencies = []
    while not stop.is_set():
        started = time.perf_counter()
        async with session.get(base + "/health") as response:
            assert response.status == 200
            await response.read()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return latencies


async def timed_verify(session: aiohttp.ClientSession, base: str, credential: dict[str, Any]) -> tuple[float, int,
                                                                                                         dict]:
    # Serialised before the clock starts, and with orjson: the client's own loop must not add to the latency.
    data = orjson.dumps({"verifiableCredential": credential})
    started = time.perf_counter()
    async with session.post(base + "/credentials/verify", data=data,
                            headers={"Content-Type": "application/json"}) as response:
        body = await response.json(content_type=None)
        return time.perf_counter() - started, response.status, body


async def test_sixteen_clients_sending_the_eight_node_clique_are_refused_while_health_answers(node: str) -> None:
    bombs = [signed_clique(8) for _ in range(16)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as session:
        await timed_verify(session, node, bombs[0])  # warm the connection pool and the resolver
        stop = asyncio.Event()
        watcher = asyncio.create_task(health_latencies(session, node, stop))
        await asyncio.sleep(0.05)
        answers = await asyncio.gather(*(timed_verify(session, node, bomb) for bomb in bombs))
        await asyncio.sleep(0.05)
        stop.set()
        latencies = await watcher
    for elapsed, status, body in answers:
        assert status == 400 and body["code"] == "canonicalizationLimit", body
        assert body["type"] == "urn:vcnode:problem:canonicalizationLimit"
        assert elapsed < 0.1, f"refused after {elapsed * 1000:.0f} ms"
    assert latencies and max(latencies) < 0.05, f"/health waited {max(latencies) * 1000:.0f} ms"


async def test_a_heavy_document_is_checked_off_the_loop_and_cut_off_at_the_deadline(node: str) -> None:
    # ~900 KB: pyld needs several seconds to expand it, longer than the node's 2 s proof deadline. (Any
    # well-formed proof value: the signature is checked only after canonicalization.)
    heavy, signer = padded_badge(900_000)
    heavy["proof"] = {**signed_clique(1)["proof"], "verificationMethod": signer.verification_method}
    async with aiohttp.ClientSession() as session:
        stop = asyncio.Event()
        watcher = asyncio.create_task(health_latencies(session, node, stop))
        await asyncio.sleep(0.05)
        elapsed, status, body = await timed_verify(session, node, heavy)
        stop.set()
        latencies = await watcher
    assert status == 400 and body["code"] == "canonicalizationLimit", body
    assert elapsed < 4.0, f"answered after {elapsed:.1f} s"
    assert max(latencies) < 0.05, f"/health waited {max(latencies) * 1000:.0f} ms while the document was checked"


async def test_a_large_genuine_badge_still_verifies_in_a_worker(node: str) -> None:
    moderate = sign(*padded_badge(70_000))  # over the 64 KiB offload threshold, well within the deadline
    async with aiohttp.ClientSession() as session:
        _, status, body = await timed_verify(session, node, moderate)
        assert status == 200 and body["verified"], body
        tampered = {**moderate, "name": "Changed"}
        _, status, body = await timed_verify(session, node, tampered)
    assert status == 400 and body["code"] == "invalidSignature", body


def listed_levels(count: int) -> tuple[dict[str, Any], SigningKey]:
    """An unsigned credential (about 3 KB for 60) whose subject holds an ordered list of ``count`` levels:
    the list's blank nodes tie, so RDFC-1.0 needs (count-2)² N-degree calls - legitimately."""
    signer = did_key_signer()
    return {"@context": ["https://www.w3.org/ns/credentials/v2",
                         {"@vocab": "urn:example:vocab#", "levels": {"@container": "@list"}}],
            "type": ["VerifiableCredential"], "issuer": signer.verification_method.split("#")[0],
            "credentialSubject": {"levels": [{"code": str(i)} for i in range(count)]}}, signer


async def test_a_small_document_needing_much_n_degree_work_is_checked_in_a_worker(node: str) -> None:
    # 60 levels: 3,364 N-degree calls, within the work factor but over the loop's 256, so a worker checks it.
    signed = sign(*listed_levels(60))
    async with aiohttp.ClientSession() as session:
        _, status, body = await timed_verify(session, node, signed)
        assert status == 200 and body["verified"], body
        tampered = {**signed, "credentialSubject": {"levels": [{"code": str(i)} for i in range(59, -1, -1)]}}
        _, status, body = await timed_verify(session, node, tampered)
    assert status == 400 and body["code"] == "invalidSignature", body


def children(pid: int) -> set[int]:
    """Ids of the processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_proof_workers_die_with_a_killed_node(tmp_path: Path) -> None:
    cluster = LimitedCluster(tmp_path, ("killed",))
    cluster.init()
    cluster.start("killed")
    try:
        signed = sign(*padded_badge(70_000))
        status, body = cluster.verify("killed", signed)
        assert status == 200 and body["verified"], body
        workers = children(cluster.processes["killed"].pid)
        assert workers, "the heavy document should have started a proof worker"
    finally:
        cluster.stop("killed", signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, f"proof workers {workers} outlived the node"
        time.sleep(0.05)
