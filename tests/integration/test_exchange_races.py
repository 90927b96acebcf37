"""Claim links under concurrency, on real ``vcnode serve`` processes on 127.0.0.1: 50 wallets claiming 50 links
at once each get their own badge; 10 wallets racing for one link leave exactly one winner, also when the racers
reach two server processes on the same node directory (the invariant is the store transaction's
compare-and-set, not anything in a process's memory); and a server killed with SIGKILL while claims are in
flight leaves every exchange either complete with its credential and status index, or open and claimable.

The wallets are did:key holders signing their DIDAuth presentations with the project's presentation code (as
tests/integration/test_exchanges_http.py does); what the tests check is read back from the node's store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.builders import badge, did_key_signer
from tests.cluster import Cluster
from tests.integration.test_serve import free_port, wait_for
from vcnode.credentials import create_presentation
from vcnode.exchanges.claim import CLAIM_NAMESPACE
from vcnode.keys.signer import SigningKey

PROBLEM = "application/problem+json"
TIMEOUT = aiohttp.ClientTimeout(total=60)


class OneNode(Cluster):
    """One node, no peers, reached at its own URL (``public_url``, which a second server on the same directory
    shares, as two workers behind one address would). Its gossip loop does not re-sign lists while a test runs:
    two processes appending to the anchor log at once is another race than the one tested here."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "VCNODE_GOSSIP_INTERVAL": "600", "VCNODE_PUBLIC_URL": self.url(name)}


@dataclass
class Served:
    """The node under test and a token with scope ``exchange`` (an institution creating claim links)."""

    cluster: OneNode
    token: str

    @property
    def url(self) -> str:
        return self.cluster.url("node")

    @property
    def did(self) -> str:
        return self.cluster.dids["node"]

    @property
    def home(self) -> Path:
        return self.cluster.root / "node"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    cluster = OneNode(tmp_path_factory.mktemp("exchange-races"), ("node",))
    cluster.init()
    token = cluster.cli("node", "token", "create", "--scope", "exchange").strip()
    with cluster.serving():
        yield Served(cluster, token)


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#", 1)[0]


def claimed_id(exchange_id: str) -> str:
    """The id a claim gives the credential it issues when the prepared credential has none."""
    return f"urn:uuid:{uuid.uuid5(CLAIM_NAMESPACE, exchange_id)}"


def on(url: str, base: str) -> str:
    """``url`` (one of the node's) sent to the server at ``base`` instead."""
    path = url.split("/", 3)[3]
    return f"{base}/{path}"


# --- the institution's and the wallets' sides, over HTTP --------------------------------------------------


async def create_claims(session: aiohttp.ClientSession, node: Served, count: int) -> list[dict[str, Any]]:
    """``count`` claim links, each for an unsigned badge without an id or subject DID."""
    credential = badge(node.did)
    del credential["id"]
    del credential["credentialSubject"]["id"]

    async def one() -> dict[str, Any]:
        async with session.post(f"{node.url}/workflows/claim/exchanges", json={"variables": {
                "credential": credential}}, headers={"Authorization": f"Bearer {node.token}"}) as response:
            body = await response.json(content_type=None)
            assert response.status == 201, body
            return body

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def start(session: aiohttp.ClientSession, exchange_url: str) -> dict[str, Any]:
    """The wallet's ``{}``: the verifiable presentation request."""
    async with session.post(exchange_url, json={}) as response:
        body = await response.json(content_type=None)
        assert response.status == 200, body
        return body["verifiablePresentationRequest"]


def answer(wallet: SigningKey, request: dict[str, Any]) -> dict[str, Any]:
    """The wallet's DIDAuth presentation for ``request`` (as LCW signs it: Ed25519Signature2020, no credentials)."""
    presentation = create_presentation([], wallet, challenge=request["challenge"], domain=request["domain"],
                                       suite="Ed25519Signature2020")
    del presentation["verifiableCredential"]
    return presentation


async def send(session: aiohttp.ClientSession, exchange_url: str,
               presentation: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    """The wallet's answer: (status, body, content type)."""
    async with session.post(exchange_url, json={"verifiablePresentation": presentation}) as response:
        return response.status, await response.json(content_type=None), response.content_type


def received(body: dict[str, Any]) -> dict[str, Any]:
    [credential] = body["verifiablePresentation"]["verifiableCredential"]
    return credential


# --- the store, read as it is ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """What the store holds for one claim exchange: its state, holder and result, the credential issued under
    the claim's credential id (or None) and the status entries allocated to that id."""

    state: str
    holder: str | None
    result: dict[str, Any] | None
    credential: dict[str, Any] | None
    entries: list[tuple[str, int]]


def read_store(home: Path, exchange_ids: list[str]) -> dict[str, Stored]:
    with sqlite3.connect(f"file:{home / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        found = {}
        for exchange_id in exchange_ids:
            state, holder, result = db.execute("SELECT state, holder, result FROM exchanges WHERE id = ?",
                                               (exchange_id,)).fetchone()
            document = db.execute("SELECT document FROM credentials WHERE id = ?",
                                  (claimed_id(exchange_id),)).fetchone()
            entries = db.execute("SELECT list_id, idx FROM status_entries WHERE credential_id = ?",
                                 (claimed_id(exchange_id),)).fetchall()
            found[exchange_id] = Stored(state, holder, json.loads(result) if result else None,
                                        json.loads(document[0]) if document else None,
                                        [(list_id, int(idx)) for list_id, idx in entries])
    return found


def store_counts(home: Path) -> tuple[int, int]:
    """(credentials stored, status indexes allocated) on the whole node."""
    with sqlite3.connect(f"file:{home / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        return (db.execute("SELECT COUNT(*) FROM credentials").fetchone()[0],
                db.execute("SELECT COUNT(*) FROM status_entries").fetchone()[0])


def assert_no_orphans(home: Path) -> None:
    """No status index without its credential, no complete claim without its credential, and no claimed
    credential without its complete exchange."""
    with sqlite3.connect(f"file:{home / 'vcnode.sqlite3'}?mode=ro", uri=True) as db:
        orphans = db.execute("SELECT list_id, idx, credential_id FROM status_entries WHERE credential_id NOT IN "
                             "(SELECT id FROM credentials)").fetchall()
        exchanges = db.execute("SELECT id, state, result FROM exchanges WHERE workflow = 'claim'").fetchall()
        credentials = {row[0] for row in db.execute("SELECT id FROM credentials")}
    assert not orphans, orphans
    for exchange_id, state, result in exchanges:
        if state == "complete":
            assert json.loads(result)["credentialId"] in credentials, exchange_id
        else:
            assert claimed_id(exchange_id) not in credentials, (exchange_id, state)


def assert_claimed(stored: Stored, holder: str) -> dict[str, Any]:
    """The exchange is complete for ``holder`` with its credential stored, about ``holder``, with one status
    index, the one its ``credentialStatus`` names; the stored credential."""
    assert stored.state == "complete" and stored.holder == holder, stored
    assert stored.credential is not None and stored.result is not None, stored
    assert stored.result["credentialId"] == stored.credential["id"]
    assert stored.credential["credentialSubject"]["id"] == holder
    entry = stored.credential["credentialStatus"]
    assert stored.entries == [(entry["statusListCredential"].rsplit("/", 1)[1], int(entry["statusListIndex"]))]
    return stored.credential


def assert_open(stored: Stored) -> None:
    """The exchange is still open: nothing issued, no status index taken."""
    assert stored.state in ("pending", "active"), stored
    assert stored.holder is None and stored.result is None and stored.credential is None and not stored.entries


# --- the tests -----------------------------------------------------------------------------------------------


async def test_50_wallets_claim_50_links_at_once(node: Served) -> None:
    wallets = [did_key_signer() for _ in range(50)]
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        exchanges = await create_claims(session, node, 50)
        requests = await asyncio.gather(*(start(session, x["exchangeUrl"]) for x in exchanges))
        presentations = [answer(wallet, request) for wallet, request in zip(wallets, requests, strict=True)]
        answers = await asyncio.gather(*(send(session, x["exchangeUrl"], p)
                                         for x, p in zip(exchanges, presentations, strict=True)))
        credentials = []
        for (status, body, _), wallet in zip(answers, wallets, strict=True):
            assert status == 200, body
            credentials.append(received(body))
            assert credentials[-1]["credentialSubject"]["id"] == did_of(wallet)
        # Every badge verifies at the node, its status list included.
        reports = []
        for credential in credentials:
            async with session.post(f"{node.url}/credentials/verify",
                                    json={"verifiableCredential": credential}) as response:
                reports.append(await response.json())
    assert all(report["verified"] for report in reports), [r for r in reports if not r["verified"]][:1]
    stored = read_store(node.home, [x["id"] for x in exchanges])
    for exchange, wallet, credential in zip(exchanges, wallets, credentials, strict=True):
        assert assert_claimed(stored[exchange["id"]], did_of(wallet)) == credential
    indexes = [entry for record in stored.values() for entry in record.entries]
    assert len(indexes) == 50 == len(set(indexes))
    assert len({credential["id"] for credential in credentials}) == 50
    assert_no_orphans(node.home)


async def race_for_one_link(session: aiohttp.ClientSession, node: Served, servers: list[str],
                            racers: int = 10) -> None:
    """``racers`` wallets, spread over ``servers``, answer one claim link at once: exactly one gets the badge,
    the others a 409 ``exchangeComplete``, and the store holds one credential and one status index for it."""
    before = store_counts(node.home)
    [exchange] = await create_claims(session, node, 1)
    wallets = [did_key_signer() for _ in range(racers)]
    urls = [on(exchange["exchangeUrl"], servers[n % len(servers)]) for n in range(racers)]
    requests = await asyncio.gather(*(start(session, url) for url in urls))
    assert len({request["challenge"] for request in requests}) == 1  # one exchange, whichever server answers
    presentations = [answer(wallet, request) for wallet, request in zip(wallets, requests, strict=True)]
    answers = await asyncio.gather(*(send(session, url, p) for url, p in zip(urls, presentations, strict=True)))
    winners = [n for n, (status, _, _) in enumerate(answers) if status == 200]
    assert len(winners) == 1, [(status, body.get("code")) for status, body, _ in answers]
    [winner] = winners
    for n, (status, body, content_type) in enumerate(answers):
        if n != winner:
            assert (status, body.get("code"), content_type) == (409, "exchangeComplete", PROBLEM), body
    credential = received(answers[winner][1])
    assert credential["credentialSubject"]["id"] == did_of(wallets[winner])
    stored = read_store(node.home, [exchange["id"]])[exchange["id"]]
    assert assert_claimed(stored, did_of(wallets[winner])) == credential
    assert store_counts(node.home) == (before[0] + 1, before[1] + 1)  # one credential, one index, nothing else
    # The link stays used: a loser trying again still gets 409; the winner sending its presentation again (its
    # answer lost) gets the same badge back, and nothing new is issued.
    loser = (winner + 1) % racers
    status, body, _ = await send(session, urls[loser], presentations[loser])
    assert (status, body.get("code")) == (409, "exchangeComplete"), body
    status, body, _ = await send(session, urls[winner], presentations[winner])
    assert status == 200 and received(body) == credential, body
    assert store_counts(node.home) == (before[0] + 1, before[1] + 1)


async def test_10_wallets_racing_for_one_link_leave_one_winner(node: Served) -> None:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for _ in range(3):
            await race_for_one_link(session, node, [node.url])
    assert_no_orphans(node.home)


async def test_two_server_processes_on_one_directory_leave_one_winner(node: Served) -> None:
    """A second ``vcnode serve`` on the same node directory (another port, the same public URL): the racers
    are split between the two processes."""
    port = free_port()
    second = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(node.home), "serve"],
                              env={**node.cluster.env("node"), "VCNODE_PORT": str(port)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            for _ in range(3):
                await race_for_one_link(session, node, [node.url, f"http://127.0.0.1:{port}"])
    finally:
        second.send_signal(signal.SIGTERM)
        errors = second.communicate(timeout=30)[1].decode()
    assert "Traceback" not in errors, errors
    assert_no_orphans(node.home)


async def test_a_server_killed_mid_claims_leaves_every_exchange_whole_or_open(node: Served) -> None:
    count, kill_after = 60, 10
    cluster = node.cluster
    wallets = [did_key_signer() for _ in range(count)]
    acknowledged: dict[int, dict[str, Any]] = {}
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        exchanges = await create_claims(session, node, count)
        requests = await asyncio.gather(*(start(session, x["exchangeUrl"]) for x in exchanges))
        presentations = [answer(wallet, request) for wallet, request in zip(wallets, requests, strict=True)]
        server = cluster.processes["node"]

        async def claim(n: int) -> None:
            try:
                status, body, _ = await send(session, exchanges[n]["exchangeUrl"], presentations[n])
            except aiohttp.ClientError:
                return  # the server was killed under this request
            assert status == 200, body
            acknowledged[n] = received(body)
            if len(acknowledged) == kill_after:
                # A moment later: the kill lands wherever the claims in flight are (verifying, issuing, committing).
                asyncio.get_running_loop().call_later(0.01, os.kill, server.pid, signal.SIGKILL)

        await asyncio.gather(*(claim(n) for n in range(count)))
    if server.poll() is None:  # every claim was answered before the kill: the count below says so
        server.kill()
    cluster.processes.pop("node").wait(timeout=30)
    cluster.start("node")

    ids = [x["id"] for x in exchanges]
    stored = read_store(node.home, ids)
    complete = [n for n in range(count) if stored[ids[n]].state == "complete"]
    for n in range(count):
        if n in complete:
            credential = assert_claimed(stored[ids[n]], did_of(wallets[n]))
            if n in acknowledged:
                assert acknowledged[n] == credential  # what a wallet was given is what is stored
        else:
            assert n not in acknowledged
            assert_open(stored[ids[n]])
    assert_no_orphans(node.home)
    assert kill_after <= len(complete) < count, len(complete)  # killed mid-way

    # The restarted server lets the wallets whose claims were cut off claim (re-sending what they had signed),
    # and gives the wallets whose claim completed but whose answer the kill cut off their badge again.
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        retries = await asyncio.gather(*(send(session, exchanges[n]["exchangeUrl"], presentations[n])
                                         for n in range(count)))
    for n, (status, body, _) in enumerate(retries):
        assert status == 200, body
        assert received(body)["credentialSubject"]["id"] == did_of(wallets[n])
        if n in complete:
            assert received(body) == assert_claimed(stored[ids[n]], did_of(wallets[n]))  # re-delivered, not new
    stored = read_store(node.home, ids)
    for n in range(count):
        assert_claimed(stored[ids[n]], did_of(wallets[n]))
    indexes = [entry for record in stored.values() for entry in record.entries]
    assert len(indexes) == count == len(set(indexes))
    assert_no_orphans(node.home)
