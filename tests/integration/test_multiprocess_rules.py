"""Issue #16, "rules live in the store": one node directory served by two ``vcnode serve`` processes (two ports,
one public URL, as two workers behind one address) with the CLI beside them. Every rule is driven the way users
reach it, over HTTP split across both processes and from CLI processes at once, and checked in the store itself:

- concurrent issuance with status: every credential stored once, every (list, index) its own, nothing lost;
- revoke racing clears: the revocation wins and the audit log tells one consistent story;
- one credential id issued from everywhere at once: one stored copy, every retry gets it back, a different body
  is a 409 ``credentialIdInUse``, no status index is handed to a copy that was not stored;
- one stacked award asked for from both processes at once: issued once;
- one challenge presented to both processes at once: exactly one presentation is accepted.

(Claim exchanges completed from two processes at once are in tests/integration/test_exchange_races.py.)"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.builders import badge, did_key_signer
from tests.cluster import Cluster
from tests.integration.test_serve import free_port, wait_for
from tests.postgres import Reader
from vcnode.background.loops import STORE_WATCH_SECONDS
from vcnode.credentials import create_presentation
from vcnode.credentials.model import as_list
from vcnode.keys.signer import SigningKey
from vcnode.status.bitstring import decode_list, get_entry
from vcnode.trust.examples import example_badge, example_documents

ISSUES = 2000  # over HTTP, half to each server (issue 16: "2,000 concurrent issuances with status")
IN_FLIGHT = 6  # requests in flight per server
CLI_ISSUES = 2
PATHWAY = "https://hcp.example/pathways/certificate-data-analytics"
FIVE = ["daf", "dviz", "sql", "ml", "stats"]  # the example pathway's components: 32.5 of 30 ECTS
PROBLEM = "application/problem+json"
TIMEOUT = aiohttp.ClientTimeout(total=120)


class OneNode(Cluster):
    """One node, no peers, its lists served under one public URL whichever process answers. Its background
    loops run (re-signing and anchoring changed lists) as they would in production, every half second."""

    def env(self, name: str) -> dict[str, str]:
        return {**super().env(name), "VCNODE_GOSSIP_INTERVAL": "0.5", "VCNODE_PUBLIC_URL": self.url(name)}


@dataclass
class TwoServers:
    """Two ``vcnode serve`` processes on one node directory, and the CLI on it."""

    cluster: OneNode
    second: subprocess.Popen[bytes]
    second_url: str

    @property
    def urls(self) -> list[str]:
        return [self.cluster.url("node"), self.second_url]

    @property
    def home(self) -> Path:
        return self.cluster.root / "node"

    @property
    def did(self) -> str:
        return self.cluster.dids["node"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.cluster.tokens['node']}"}

    def cli(self, *args: str) -> subprocess.Popen[str]:
        """A CLI process on the node directory, started now."""
        return subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(self.home), *args],
                                env=self.cluster.env("node"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def db(self) -> sqlite3.Connection | Reader:
        """A read-only look into the node's store, SQLite or PostgreSQL."""
        if "node" in self.cluster.store_urls:
            return Reader(self.cluster.store_urls["node"])
        return sqlite3.connect(f"file:{self.home / 'vcnode.sqlite3'}?mode=ro", uri=True)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoServers]:
    postgres = request.getfixturevalue("postgres_cluster") if request.param == "postgresql" else None
    cluster = OneNode(tmp_path_factory.mktemp("multiprocess"), ("node",), postgres=postgres)
    cluster.init()
    # The provider's pathway, published (signed, anchored) by the CLI before the servers start.
    pathway = cluster.root / "pathway.json"
    pathway.write_text(json.dumps(example_documents({"eu-provider": cluster.dids["node"]}, ["pathways"])[0]))
    cluster.cli("node", "trust", "publish", str(pathway))
    port = free_port()
    cluster.start("node")
    servers = [cluster.processes.pop("node")]
    try:
        servers.append(subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(cluster.root / "node"),
                                         "serve"], env={**cluster.env("node"), "VCNODE_PORT": str(port)},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        wait_for(f"http://127.0.0.1:{port}/health")
        yield TwoServers(cluster, servers[1], f"http://127.0.0.1:{port}")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        errors = [server.communicate(timeout=30)[1].decode() for server in servers]
    # Neither process met an error it did not answer as a problem (a 500, a failed background round).
    assert not any("Traceback" in text or "ERROR" in text for text in errors), errors


async def post(session: aiohttp.ClientSession, url: str, body: Any,
               headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    async with session.post(url, json=body, headers=headers or {}) as response:
        return response.status, await response.json(content_type=None), response.content_type


def stored_documents(served: TwoServers, ids: list[str]) -> dict[str, dict[str, Any]]:
    with served.db() as db:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = db.execute(f"SELECT id, document FROM credentials WHERE id IN ({','.join('?' * len(chunk))})",
                              chunk).fetchall()
            found.update({row[0]: json.loads(row[1]) for row in rows})
    return found


def entries_of(credential: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(purpose, list id, index) of each status entry a credential carries."""
    return [(e["statusPurpose"], e["statusListCredential"].rsplit("/", 1)[1], int(e["statusListIndex"]))
            for e in as_list(credential.get("credentialStatus"))]


def allocated(served: TwoServers, credential_id: str) -> list[tuple[str, int]]:
    """Every status index the store ever handed out to ``credential_id``."""
    with served.db() as db:
        return sorted((row[0], int(row[1])) for row in db.execute(
            "SELECT list_id, idx FROM status_entries WHERE credential_id = ?", (credential_id,)))


def run_cli(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


# --- 1. concurrent issuance with status ------------------------------------------------------------------------


async def test_issuance_with_status_from_two_servers_and_the_cli(served: TwoServers) -> None:
    purposes = [["revocation"], ["revocation", "suspension"]]
    ids = [f"urn:uuid:{uuid.uuid4()}" for _ in range(ISSUES)]
    cli_ids = [f"urn:uuid:{uuid.uuid4()}" for _ in range(CLI_ISSUES)]
    for credential_id in cli_ids:
        (served.cluster.root / f"{credential_id[9:]}.json").write_text(json.dumps(badge(served.did, credential_id)))
    answered: dict[str, dict[str, Any]] = {}
    created = Counter[str]()
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        gates = [asyncio.Semaphore(IN_FLIGHT) for _ in served.urls]

        async def issue(n: int) -> None:
            server = n % 2
            async with gates[server]:
                status, body, _ = await post(session, served.urls[server] + "/credentials/issue", {
                    "credential": badge(served.did, ids[n]), "options": {"statusPurpose": purposes[n % 4 // 2]}},
                    served.auth)
            assert status == 201, body
            created[served.urls[server]] += 1
            answered[ids[n]] = body["verifiableCredential"]

        clis = [served.cli("issue", str(served.cluster.root / f"{i[9:]}.json"), "--status", "revocation")
                for i in cli_ids]
        await asyncio.gather(*(issue(n) for n in range(ISSUES)))
        results = await asyncio.gather(*(asyncio.to_thread(run_cli, p) for p in clis))
    elapsed = time.monotonic() - started
    for (code, out, err), credential_id in zip(results, cli_ids, strict=True):
        assert code == 0, err
        answered[credential_id] = json.loads(out)
    # Each process answered its half, all 201.
    assert created == {served.urls[0]: ISSUES // 2, served.urls[1]: ISSUES // 2}, created

    # Nothing lost: every credential answered is the one stored, stored once.
    every = ids + cli_ids
    stored = stored_documents(served, every)
    assert len(stored) == len(every)
    assert all(stored[i] == answered[i] for i in every)
    # Every (list, index) carried by a credential is its own, and is the one the store allocated to it.
    carried = [(list_id, index) for i in every for _, list_id, index in entries_of(stored[i])]
    assert len(carried) == len(set(carried)) == ISSUES * 3 // 2 + CLI_ISSUES
    with served.db() as db:
        rows = db.execute("SELECT list_id, idx, credential_id FROM status_entries").fetchall()
    owner = {(list_id, int(idx)): credential_id for list_id, idx, credential_id in rows}
    assert all(owner[(list_id, index)] == i for i in every for _, list_id, index in entries_of(stored[i]))
    assert len([row for row in rows if row[2] in set(every)]) == len(carried)  # no index leaked to nothing
    print(f"{len(every)} issuances with status from 2 servers + CLI in {elapsed:.1f} s")


# --- 2. revocation racing clears --------------------------------------------------------------------------------


def revocation_bit(served: TwoServers, credential: dict[str, Any], base: str) -> int:
    """The credential's revocation bit in the list one server serves (its path on that server)."""
    [entry] = [e for e in as_list(credential["credentialStatus"]) if e["statusPurpose"] == "revocation"]
    path = entry["statusListCredential"].split("/", 3)[3]
    with urllib.request.urlopen(f"{base}/{path}", timeout=10) as response:
        listed = json.loads(response.read())
    return get_entry(decode_list(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


async def assert_revoked(session: aiohttp.ClientSession, base: str, credential: dict[str, Any]) -> None:
    """Verifying ``credential`` at the server ``base`` says it is revoked, at the latest a few seconds after the
    revocation was committed (by whichever process)."""
    deadline = time.monotonic() + 3 * STORE_WATCH_SECONDS
    while True:
        _, report, _ = await post(session, base + "/credentials/verify", {"verifiableCredential": credential})
        if not report["verified"] and "revoked" in [e["code"] for e in report["errors"]]:
            return
        assert time.monotonic() < deadline, report
        await asyncio.sleep(0.1)


async def test_a_revocation_wins_over_clears_from_both_servers_and_the_cli(served: TwoServers) -> None:
    clears = 12  # per server
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for round_ in range(2):
            credential_id = f"urn:uuid:{uuid.uuid4()}"
            status, body, _ = await post(session, served.urls[round_] + "/credentials/issue", {
                "credential": badge(served.did, credential_id),
                "options": {"statusPurpose": ["revocation", "suspension"]}}, served.auth)
            assert status == 201, body
            credential = body["verifiableCredential"]

            def change(base: str, value: bool, purpose: str = "revocation", credential_id: str = credential_id) -> Any:
                return post(session, base + "/credentials/status", {
                    "credentialId": credential_id, "status": value,
                    "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose}}, served.auth)

            # The CLI revokes (and un-suspends) while both servers clear, then the second server revokes too.
            cli = [served.cli("revoke", credential_id, "--json"), served.cli("unsuspend", credential_id, "--json")]
            answers = await asyncio.gather(*(change(served.urls[n % 2], False) for n in range(clears)),
                                           change(served.urls[1 - round_], True),
                                           *(change(served.urls[n % 2], False) for n in range(clears, 2 * clears)))
            while any(process.poll() is None for process in cli):  # clears keep coming while the CLI runs
                answers += await asyncio.gather(*(change(base, False) for base in served.urls))
            answers += await asyncio.gather(*(change(base, False) for base in served.urls))
            revoke, unsuspend = [await asyncio.to_thread(run_cli, process) for process in cli]
            assert revoke[0] == 0 and json.loads(revoke[1])["after"] == 1, revoke
            assert unsuspend[0] == 0, unsuspend
            http_revoke = answers[clears]
            assert http_revoke[0] == 200 and http_revoke[1]["after"] == 1, http_revoke
            for status, body, content_type in answers:
                assert status == 200 or (status, body["code"], content_type) == (
                    409, "revocationIrreversible", PROBLEM), body
            assert any(status == 409 for status, _, _ in answers)

            # The audit log: one row per accepted change, each starting from the value the one before left,
            # never taking the bit back to 0, ending revoked.
            with served.db() as db:
                log = db.execute("SELECT before, after, actor FROM status_changes WHERE credential_id = ? AND "
                                 "purpose = 'revocation' ORDER BY seq", (credential_id,)).fetchall()
            assert len(log) == sum(status == 200 for status, _, _ in answers) + 1  # + the CLI's revoke
            value = 0
            for before, after, _ in log:
                assert before == value, log
                assert not (before == 1 and after == 0), log
                value = after
            assert value == 1
            # Both servers publish it revoked, and verifying there says so (a server drops the list it cached
            # when it next notices another process's commit: within STORE_WATCH_SECONDS).
            for base in served.urls:
                assert revocation_bit(served, credential, base) == 1, base
                await assert_revoked(session, base, credential)


# --- 3. one credential id issued from everywhere at once --------------------------------------------------------


async def test_one_credential_id_issued_from_both_servers_and_the_cli_is_stored_once(served: TwoServers) -> None:
    retries = 8  # per server
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for _ in range(2):
            credential_id = f"urn:uuid:{uuid.uuid4()}"
            same = badge(served.did, credential_id)
            other = {**same, "name": "Another badge under the same id"}
            path = served.cluster.root / f"{credential_id[9:]}.json"
            path.write_text(json.dumps(same))

            def issue(base: str, credential: dict[str, Any]) -> Any:
                return post(session, base + "/credentials/issue", {
                    "credential": credential, "options": {"statusPurpose": "revocation"}}, served.auth)

            clis = [served.cli("issue", str(path), "--status", "revocation") for _ in range(2)]
            answers = await asyncio.gather(*(issue(served.urls[n % 2], same) for n in range(2 * retries)),
                                           *(issue(base, other) for base in served.urls))
            cli = [await asyncio.to_thread(run_cli, process) for process in clis]

            [stored] = stored_documents(served, [credential_id]).values()
            for status, body, _ in answers[:-2]:
                assert status in (200, 201), body
                assert body["verifiableCredential"] == stored  # every retry holds the stored copy
            assert [status for status, _, _ in answers[:-2]].count(201) <= 1
            for code, out, err in cli:
                assert code == 0, err
                assert json.loads(out) == stored
            for status, body, content_type in answers[-2:]:
                assert (status, body["code"], content_type) == (409, "credentialIdInUse", PROBLEM), body
            # One status index was ever handed out for the id, the one the stored copy carries.
            assert allocated(served, credential_id) == [(list_id, index) for _, list_id, index in entries_of(stored)]

            # Revoking it revokes what every requester holds.
            status, body, _ = await post(session, served.urls[1] + "/credentials/status", {
                "credentialId": credential_id, "status": True,
                "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}, served.auth)
            assert status == 200, body
            for base in served.urls:
                await assert_revoked(session, base, answers[0][1]["verifiableCredential"])


# --- 4. one stacked award from both servers at once -------------------------------------------------------------


def did_of(key: SigningKey) -> str:
    return key.verification_method.split("#", 1)[0]


async def challenge(session: aiohttp.ClientSession, base: str) -> str:
    status, body, _ = await post(session, base + "/challenges", {})
    assert status == 201, body
    return body["challenge"]


async def test_one_stacked_award_asked_for_from_both_servers_is_issued_once(served: TwoServers) -> None:
    learner = did_key_signer()
    requests_per_server = 3
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        components = []
        for n, key in enumerate(FIVE):
            status, body, _ = await post(session, served.urls[n % 2] + "/credentials/issue", {
                "credential": example_badge(f"ie-{key}", issuer=served.did, learner_id=did_of(learner),
                                            credential_id=f"urn:uuid:{uuid.uuid4()}"),
                "options": {"statusPurpose": "revocation"}}, served.auth)
            assert status == 201, body
            components.append(body["verifiableCredential"])
        bases = [served.urls[n % 2] for n in range(2 * requests_per_server)]
        challenges = await asyncio.gather(*(challenge(session, base) for base in bases))
        presentations = [create_presentation(components, learner, challenge=c) for c in challenges]
        answers = await asyncio.gather(*(post(session, base + "/pathways/award", {
            "verifiablePresentation": p, "options": {"challenge": c, "pathway": PATHWAY}}, served.auth)
            for base, p, c in zip(bases, presentations, challenges, strict=True)))
    for status, body, _ in answers:
        assert status in (200, 201), body
    assert sorted(status for status, _, _ in answers) == [200] * (len(bases) - 1) + [201]
    awards = [body["verifiableCredential"] for _, body, _ in answers]
    award_id = awards[0]["id"]
    [stored] = stored_documents(served, [award_id]).values()
    assert all(award == stored for award in awards)
    assert allocated(served, award_id) == [(list_id, index) for _, list_id, index in entries_of(stored)]


# --- 5. one challenge presented to both servers at once ---------------------------------------------------------


async def test_one_challenge_presented_to_both_servers_is_accepted_once(served: TwoServers) -> None:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for round_ in range(4):
            value = await challenge(session, served.urls[round_ % 2])
            holders = [did_key_signer() for _ in range(4)]
            answers = await asyncio.gather(*(post(session, served.urls[n % 2] + "/pathways/evaluate", {
                "verifiablePresentation": create_presentation([], holder, challenge=value),
                "options": {"challenge": value}}) for n, holder in enumerate(holders)))
            accepted = [body for status, body, _ in answers if status == 200]
            assert len(accepted) == 1, [(status, body.get("code")) for status, body, _ in answers]
            for status, body, content_type in answers:
                if status != 200:
                    assert (status, body["code"], content_type) == (409, "challengeUsed", PROBLEM), body
            with served.db() as db:
                [(used,)] = db.execute("SELECT used FROM challenges WHERE challenge = ?", (value,)).fetchall()
            assert used is not None
