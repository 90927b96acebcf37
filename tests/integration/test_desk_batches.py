"""The desk's CSV batches over HTTP, as a logged-in browser would send them (session cookie, CSRF field,
multipart upload): a batch whose serving process is killed mid-way is finished by another process with every
row issued once; every CSV problem is named by row and column before anything is queued; scopes and identities
decide who may start, see and download a batch; claim-link batches zip the manifest and QR codes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.integration.test_serve import free_port
from tests.ops_node import OpsNode
from vcnode.jobs import batches as batch_jobs
from vcnode.jobs.model import JobSettings
from vcnode.jobs.runner import JobRunner
from vcnode.node import Node
from vcnode.web.desk_common import remember_emails

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACHIEVEMENT = {"achievement_choice": "new", "achievement_name": "Data Handling", "achievement_description":
               "Handles data with care.", "achievement_criteria": "Passed the assessment.", "achievement_type": ""}


def learners_csv(count: int, *, ids: bool = False) -> bytes:
    lines = ["id,email,name"] + [f"{f'did:example:l{n}' if ids else ''},l{n}@example.org,Learner {n}"
                                 for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


Request = Callable[..., Awaitable[aiohttp.ClientResponse]]


class Desk:
    """A browser's session with the desk: its cookies, and the CSRF field of the last page read."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.csrf = ""

    async def page(self, path: str) -> tuple[int, str]:
        response = await self.request("GET", path)
        text = await response.text()
        found = CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        return response.status, text

    async def log_in(self, token: str, then: str = "/desk/batches") -> tuple[int, str]:
        """Log in and go on to ``then``; its status and page."""
        await self.page("/desk/login")
        response = await self.request("POST", "/desk/login", data={"csrf_token": self.csrf, "token": token,
                                                                  "next": then})
        text = await response.text()
        found = CSRF.search(text)  # a new session: a new CSRF token
        if found:
            self.csrf = found.group(1)
        return response.status, text

    async def upload(self, csv_bytes: bytes, *, kind: str = "signedBatch", identity: str,
                     **fields: str) -> aiohttp.ClientResponse:
        form = aiohttp.FormData()
        for name, value in {"csrf_token": self.csrf, "kind": kind, "identity": identity, "revocable": "1",
                            **ACHIEVEMENT, **fields}.items():
            form.add_field(name, value)
        form.add_field("file", csv_bytes, filename="learners.csv", content_type="text/csv")
        return await self.request("POST", "/desk/batches", data=form)

    async def progress(self, job_path: str) -> dict[str, Any]:
        response = await self.request("GET", job_path + "/progress")
        assert response.status == 200
        return await response.json()


def client_desk(client: TestClient) -> Desk:
    return Desk(lambda method, path, **kw: client.request(method, path, **kw))


# --- two real processes ---------------------------------------------------------------------------------------


def store_counts(database: Path, issuer: str, job_id: str) -> tuple[int, int, int, str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        credentials = db.execute("SELECT COUNT(*) FROM credentials WHERE issuer = ?", (issuer,)).fetchone()[0]
        indexes = db.execute("SELECT COUNT(*) FROM status_entries").fetchone()[0]
        attempts, state = db.execute("SELECT attempts, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return credentials, indexes, attempts, state


async def test_a_batch_whose_process_is_killed_is_finished_by_another_with_no_duplicate(tmp_path: Path) -> None:
    # Small chunks with a pause after each, so the first process is surely killed mid-way; a short lease, so
    # the second process takes the job over after seconds.
    node = OpsNode(tmp_path, {"VCNODE_JOB_BATCH_CHUNK": "20", "VCNODE_JOB_CHUNK_PAUSE": "0.5",
                              "VCNODE_JOB_LEASE": "5", "VCNODE_JOB_POLL_INTERVAL": "0.2"})
    token = node.token("issue,status,read")
    node.start()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            desk = Desk(lambda method, path, **kw: session.request(method, node.url + path, **kw))
            await desk.log_in(token)
            response = await desk.upload(learners_csv(200), identity=node.did)
            assert response.status == 200, await response.text()
            job_path = response.url.path
            job_id = job_path.rsplit("/", 1)[1]
            while (view := await desk.progress(job_path))["done"] < 40:
                await asyncio.sleep(0.05)
            _, running = await desk.page(job_path)  # without JavaScript: the bar as it is, and a Refresh link
            assert 'id="job-refresh"' in running and re.search(r'<progress id="job-progress" max="200" value="\d+"',
                                                                 running)
            node.kill()  # SIGKILL, mid-way through the batch
            assert view["state"] == "running" and 40 <= view["done"] < 200, view
            credentials, _, attempts, state = store_counts(node.home / "vcnode.sqlite3", node.did, job_id)
            assert 40 <= credentials < 200 and attempts == 1 and state == "running"

            node.port = free_port()  # another process on the same node directory and store
            node.settings["VCNODE_PORT"] = str(node.port)
            node.start()
            for _ in range(600):
                view = await desk.progress(job_path)
                if view["final"]:
                    break
                await asyncio.sleep(0.1)
            assert view["state"] == "done", view
            assert view["summary"]["issued"] + view["summary"]["skipped"] == 200
            assert view["summary"]["skipped"] >= 40  # what the first process stored was not issued again
            archive = await (await desk.request("GET", job_path + "/result.zip")).read()
        names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
        manifest = list(csv.DictReader(io.StringIO(zipfile.ZipFile(io.BytesIO(archive)).read(
            "manifest.csv").decode())))
        assert len(manifest) == 200 and len({row["credentialId"] for row in manifest}) == 200
        assert sorted(row["file"] for row in manifest) == sorted(name for name in names if name != "manifest.csv")
        credentials, indexes, attempts, state = store_counts(node.home / "vcnode.sqlite3", node.did, job_id)
        assert (credentials, indexes, attempts, state) == (200, 200, 2, "done")  # one index per credential
        assert any("taking over job" in line for line in node.stderr_lines())
    finally:
        node.stop()


# --- in process -------------------------------------------------------------------------------------------------


async def test_every_csv_problem_is_named_by_row_and_column_and_nothing_is_queued(
        client: TestClient, web_node: Node) -> None:
    _, token = await web_node.tokens.create(["issue", "exchange"])
    desk = client_desk(client)
    await desk.log_in(token)
    did = web_node.identities.default_did
    bad = (b"id,email,name\n,ok@example.org,Fine\nnot a url,,Bad id\n,,No one\n,x@,Bad email\n"
           b",a@example.org,Too,many\n")
    response = await desk.upload(bad, identity=did)
    page = await response.text()
    assert response.status == 422
    problems = re.findall(r"<li>(Row [^<]*)</li>", page)
    assert [problem.split(":")[0] for problem in problems] == [
        "Row 3, column “id”", "Row 4, columns “id” and “email”", "Row 5, column “email”", "Row 6"]
    assert "Nothing was issued" in page and 'aria-invalid="true"' in page
    # Claim links refuse a row with an id, and a header without an email column, naming them.
    response = await desk.upload(b"id,email\ndid:example:a,a@example.org\n", identity=did, kind="claimBatch")
    assert "Row 2, column “id”" in await response.text()
    response = await desk.upload(b"id,name\ndid:example:a,A\n", identity=did, kind="claimBatch")
    assert "Row 1 (the header): claim links need an “email” column" in await response.text()
    # In Chinese too.
    response = await desk.request("POST", "/desk/batches?lang=zh-Hant-HK", data=_form(desk, bad, did))
    assert "第 3 行，「id」欄" in await response.text()  # noqa: RUF001 (Chinese punctuation)
    assert await web_node.store.list_jobs() == []


def _form(desk: Desk, csv_bytes: bytes, did: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in {"csrf_token": desk.csrf, "kind": "signedBatch", "identity": did, **ACHIEVEMENT}.items():
        form.add_field(name, value)
    form.add_field("file", csv_bytes, filename="l.csv", content_type="text/csv")
    return form


async def test_scopes_and_identities_decide_who_starts_sees_and_downloads_a_batch(
        client: TestClient, web_node: Node) -> None:
    did = web_node.identities.default_did
    other = (await web_node.identities.create("key", name="other")).did
    _, issuer = await web_node.tokens.create(["issue"])
    _, exchange_only = await web_node.tokens.create(["exchange"])
    _, bound_elsewhere = await web_node.tokens.create(["issue"], identity=other)
    _, reader = await web_node.tokens.create(["read"])

    desk = client_desk(client)
    await desk.log_in(exchange_only)  # may prepare claim links, not sign credentials
    response = await desk.upload(learners_csv(3), identity=did, kind="signedBatch")
    assert response.status == 422 and "Choose what to make for the learners." in await response.text()

    desk = client_desk(client)
    await desk.log_in(issuer)
    response = await desk.upload(learners_csv(3), identity=did)
    assert response.status == 200
    job_path = response.url.path
    runner = JobRunner(web_node.store, batch_jobs.handlers(web_node, JobSettings(), remember_emails=remember_emails),
                       JobSettings())
    assert await runner.run_once()
    assert (await desk.progress(job_path))["state"] == "done"
    assert (await desk.request("GET", job_path + "/result.zip")).status == 200
    _, found = await desk.page("/desk/credentials?q=l1%40example.org")  # the desk's search knows the emails
    assert found.count('href="/desk/credential?id=') == 1

    for token in (exchange_only, bound_elsewhere):  # without the kind's scope, or for another identity
        other_desk = client_desk(client)
        status, page = await other_desk.log_in(token)
        assert status == 200 and job_path not in page  # not listed
        for path in (job_path, job_path + "/progress", job_path + "/result.zip"):
            assert (await other_desk.request("GET", path)).status == 404
    # A token bound to another identity cannot issue as this one.
    response = await other_desk.upload(learners_csv(3), identity=did)
    assert response.status == 422 and "Choose an identity this token may issue for." in await response.text()
    # A read-only token may not open the batches at all.
    status, _ = await client_desk(client).log_in(reader)
    assert status == 403


async def test_a_claim_link_batch_zips_its_manifest_and_qr_codes_and_runs_again_the_same(
        client: TestClient, web_node: Node) -> None:
    did = web_node.identities.default_did
    _, token = await web_node.tokens.create(["exchange"])
    desk = client_desk(client)
    await desk.log_in(token)
    settings = JobSettings(batch_chunk=2)
    runner = JobRunner(web_node.store, batch_jobs.handlers(web_node, settings), settings)
    manifests = []
    response = await desk.upload(learners_csv(5), identity=did, kind="claimBatch", expires="2099-01-31")
    assert response.status == 422 and "days ahead" in await response.text()  # beyond exchange_max_ttl
    expires = (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%d")
    for _ in range(2):
        response = await desk.upload(learners_csv(5), identity=did, kind="claimBatch", expires=expires)
        assert response.status == 200, await response.text()
        assert await runner.run_once()
        view = await desk.progress(response.url.path)
        assert view["state"] == "done", await web_node.store.get_job(response.url.path.rsplit("/", 1)[1])
        archive = zipfile.ZipFile(io.BytesIO(await (await desk.request(
            "GET", response.url.path + "/result.zip")).read()))
        assert len(archive.namelist()) == 1 + 5 * 3  # the manifest; a PNG, an SVG and an LCW PNG per learner
        manifests.append(list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode()))))
    assert [row["exchangeId"] for row in manifests[0]] == [row["exchangeId"] for row in manifests[1]]
    assert all(row["expires"].startswith(expires) for row in manifests[0])
    assert json.loads(json.dumps(view["summary"]))["reused"] == 5  # the second run made no new links
