"""Status-entry fan-out (issue 11, item 4), the way the attacker did it: credentials whose ``credentialStatus``
entries point at a list server on 127.0.0.1 that never answers, and documents with thousands of entries or
credentials, sent to a real node in-process and over ``POST /credentials/verify`` / ``/presentations/verify``.

- The lists of one request are fetched at once and waited for until one deadline (``status_deadline``): six
  silent entries cost one deadline, not six fetch timeouts; a presentation's credentials share it.
- Entries per credential (``status_max_entries``) and credentials per request (``verify_max_credentials``) are
  capped, and the cap is checked before any canonicalisation or proof work: a 413 problem
  ``tooManyStatusEntries`` / ``tooManyCredentials`` at once, and the list server is never asked.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.builders import badge
from tests.integration.test_status_check import VC_V2, Issuer, ListServer, make_node
from tests.integration.test_vcapi import expect_problem
from vcnode.credentials import issue_credential
from vcnode.errors import VcnodeError
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app

pytestmark = pytest.mark.integration

FETCH_TIMEOUT = 3.0  # each fetch may take this long …
DEADLINE = 0.8  # … but one request waits for lists only this long
BOUND = 5.0  # every call here is cut off after this: the code before the fix takes FETCH_TIMEOUT per entry


async def serve_node(node: Node) -> AsyncIterator[tuple[Node, TestClient]]:
    test_server = TestServer(build_app(node), host="127.0.0.1")
    try:
        await test_server.start_server(**SERVER_LIMITS)
        async with TestClient(test_server) as client:
            yield node, client
    finally:
        await node.close()


@pytest.fixture
async def verifier(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[tuple[Node, TestClient]]:
    """A node with the default caps, a long fetch timeout and a short status deadline."""
    node = await make_node(tmp_path / "verifier", node_env, fetch_timeout=FETCH_TIMEOUT, status_deadline=DEADLINE)
    async for served in serve_node(node):
        yield served


@pytest.fixture
async def strict(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[tuple[Node, TestClient]]:
    """A node configured with small caps: 3 entries per credential, 4 credentials per request."""
    node = await make_node(tmp_path / "strict", node_env, status_max_entries=3, verify_max_credentials=4)
    async for served in serve_node(node):
        yield served


def silent(server: ListServer, count: int, prefix: str = "/silent") -> list[str]:
    """``count`` list URLs at which the server accepts the request and never answers."""

    async def never(_: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response(status=500)

    return [server.serve(f"{prefix}/{n}", never) for n in range(count)]


def with_entries(issuer: Issuer, urls: list[str], credential_id: str = "urn:uuid:fan-out-1") -> dict[str, Any]:
    """A credential signed by ``issuer`` with one revocation entry per URL."""
    entries = [{"id": f"{url}#7", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                "statusListIndex": "7", "statusListCredential": url} for url in urls]
    return issue_credential({**badge(issuer.did, credential_id), "credentialStatus": entries}, issuer.key)


def presentation(credentials: list[Any]) -> dict[str, Any]:
    return {"@context": [VC_V2], "type": ["VerifiablePresentation"], "verifiableCredential": credentials}


# The presentations here are unsigned carriers of other people's credentials: the verifier accepts that
# (what is tested is the status work), so the holder binding is a warning, not an error.
ANY_HOLDER = {"holderBinding": "allowMismatch"}


async def test_silent_entries_are_fetched_at_once_under_one_deadline(
        verifier: tuple[Node, TestClient], server: ListServer) -> None:
    node, client = verifier
    urls = silent(server, 6)
    credential = with_entries(Issuer(), urls)
    started = time.monotonic()
    report = await asyncio.wait_for(node.credentials.verify_credential(credential), BOUND)
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + 1.0, f"{elapsed:.1f} s: not one deadline"
    assert [(e.check, e.code) for e in report.errors] == [("status", "statusUnavailable")] * 6, report.to_json()
    assert all("deadline" in e.message for e in report.errors)
    assert [entry["error"] for entry in report.results["status"]["entries"]] == ["statusUnavailable"] * 6
    assert all(server.hits[f"/silent/{n}"] == 1 for n in range(6))  # all asked at once, each once
    # Over HTTP: the same, as a 400 problem (never valid).
    started = time.monotonic()
    response = await asyncio.wait_for(client.post("/credentials/verify", json={"verifiableCredential": credential}),
                                      BOUND)
    body = await expect_problem(response, 400, "statusUnavailable")
    assert time.monotonic() - started < DEADLINE + 1.0 and body["verified"] is False
    assert all(server.hits[f"/silent/{n}"] == 1 for n in range(6))  # joined the fetches still under way


async def test_a_presentations_credentials_share_one_deadline(verifier: tuple[Node, TestClient],
                                                              server: ListServer) -> None:
    _, client = verifier
    issuer = Issuer()
    credentials = [with_entries(issuer, silent(server, 4, f"/silent-{c}"), f"urn:uuid:fan-out-{c}")
                   for c in range(3)]
    started = time.monotonic()
    response = await asyncio.wait_for(client.post("/presentations/verify", json={
        "verifiablePresentation": presentation(credentials), "options": ANY_HOLDER}), BOUND)
    body = await expect_problem(response, 400)
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + 1.5, f"{elapsed:.1f} s for three credentials: not one deadline"
    reports = body["results"]["credentials"]["credentials"]
    assert [[e["code"] for e in r["errors"]] for r in reports] == [["statusUnavailable"] * 4] * 3, reports
    assert sum(server.hits.values()) == 12


def padded(issuer: Issuer, count: int) -> dict[str, Any]:
    """A ~1 MB credential with ``count`` status entries and an eddsa-rdfc-2022 proof (copied from a signed
    credential of the issuer: a verifier that canonicalised before counting would pay for every entry)."""
    signed = issuer.credential("https://lists.example/status/1", 7)
    entries = [{"id": f"https://lists.example/status/{n}#7", "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation", "statusListIndex": "7",
                "statusListCredential": f"https://lists.example/status/{n}"} for n in range(count)]
    return {**copy.deepcopy(signed), "credentialStatus": entries}


async def test_a_credential_with_thousands_of_entries_is_refused_before_any_work(
        verifier: tuple[Node, TestClient], server: ListServer) -> None:
    node, client = verifier
    credential = padded(Issuer(), 4000)
    assert 700_000 < len(orjson.dumps({"verifiableCredential": credential})) < 1024 * 1024  # under the body cap
    started = time.monotonic()
    with pytest.raises(VcnodeError) as refused:
        await asyncio.wait_for(node.credentials.verify_credential(credential), BOUND)
    assert refused.value.code == "tooManyStatusEntries" and refused.value.status == 413
    assert time.monotonic() - started < 0.5  # no canonicalisation of 4,000 entries (seconds of it)
    started = time.monotonic()
    response = await asyncio.wait_for(client.post("/credentials/verify", json={"verifiableCredential": credential}),
                                      BOUND)
    body = await expect_problem(response, 413, "tooManyStatusEntries")
    assert body["limit"] == 16 and "4000" in body["detail"]
    assert time.monotonic() - started < 1.0
    # Inside a presentation, too.
    response = await asyncio.wait_for(client.post("/presentations/verify", json={
        "verifiablePresentation": presentation([credential])}), BOUND)
    await expect_problem(response, 413, "tooManyStatusEntries")
    assert sum(server.hits.values()) == 0


async def test_caps_are_configurable_and_count_credentials_inside_clrs(strict: tuple[Node, TestClient],
                                                                       server: ListServer) -> None:
    node, client = strict
    issuer = Issuer()
    url = server.serve_json("/list", issuer.status_list(server.url("/list")))
    at_the_cap = with_entries(issuer, [url] * 3)
    report = await asyncio.wait_for(node.credentials.verify_credential(at_the_cap), BOUND)
    assert report.verified, report.to_json()  # three entries are allowed
    over = with_entries(issuer, [url] * 4)
    response = await client.post("/credentials/verify", json={"verifiableCredential": over})
    assert (await expect_problem(response, 413, "tooManyStatusEntries"))["limit"] == 3
    small = [issuer.credential(url, 7, credential_id=f"urn:uuid:c-{n}") for n in range(5)]
    response = await client.post("/presentations/verify", json={"verifiablePresentation": presentation(small)})
    assert (await expect_problem(response, 413, "tooManyCredentials"))["limit"] == 4
    response = await client.post("/presentations/verify",
                                 json={"verifiablePresentation": presentation(small[:4]), "options": ANY_HOLDER})
    assert response.status == 200, await response.text()
    # A CLR carrying five credentials is five (and one) to verify, wherever it is sent.
    clr = {**badge(issuer.did, "urn:uuid:clr-1"), "type": ["VerifiableCredential", "ClrCredential"],
           "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": small}}
    response = await client.post("/credentials/verify", json={"verifiableCredential": clr})
    await expect_problem(response, 413, "tooManyCredentials")
    hits = server.hits["/list"]
    response = await client.post("/presentations/verify", json={"verifiablePresentation": presentation([clr])})
    await expect_problem(response, 413, "tooManyCredentials")
    assert server.hits["/list"] == hits == 1  # the refusals fetched nothing
