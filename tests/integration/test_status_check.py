"""The verifier side of status lists, driven the way a user meets it: a credential from another issuer whose
list is served by a real HTTP server on 127.0.0.1, checked by a real node both in-process
(``node.credentials.verify_credential``) and over ``POST /credentials/verify``.

The issuer is a throwaway did:key identity (resolved without the network); its lists are signed with
:func:`vcnode.credentials.issue_credential`. The list server counts requests per path, so the tests can tell a
cache hit from a fetch. Every verification is bounded by ``asyncio.wait_for``: a guard that fails open (a hang,
an endless body) fails the test instead of stalling the run.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import gzip
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.builders import badge, did_key_signer
from tests.integration.test_vcapi import expect_json, expect_problem
from tests.servers import ConnectionCounter, Handler, LocalServer
from vcnode.config import load_config
from vcnode.credentials import issue_credential
from vcnode.credentials.report import Report
from vcnode.errors import VcnodeError
from vcnode.keys.signer import SigningKey
from vcnode.node import Node, initialise
from vcnode.serve.app import SERVER_LIMITS, build_app
from vcnode.status.bitstring import MIN_ENTRIES, encode_list, new_bitstring, set_entry

pytestmark = pytest.mark.integration

FETCH_TIMEOUT = 0.5  # the verifier node's fetch_timeout, seconds
MAX_BYTES = 256 * 1024  # the verifier node's fetch_max_bytes
BOUND = 5.0  # no single verification in this file may take longer than this
VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
SL2021 = "https://w3id.org/vc/status-list/2021/v1"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CREDENTIAL_ID = "urn:uuid:5a7e0c1e-0000-4000-8000-000000000001"



class ListServer(LocalServer):
    """A real HTTP server on 127.0.0.1 serving what each test registers, counting requests per path."""

    not_found = "no such list"

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0  # bytes a streaming handler managed to write

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def serve_body(self, path: str, body: bytes, *, status: int = 200, content_type: str = "application/vc+ld+json",
                   headers: dict[str, str] | None = None, delay: float = 0.0) -> str:
        async def handler(_: web.Request) -> web.Response:
            if delay:
                await asyncio.sleep(delay)
            return web.Response(body=body, status=status, content_type=content_type, headers=headers)

        return self.serve(path, handler)

    def serve_json(self, path: str, document: Any, **options: Any) -> str:
        return self.serve_body(path, orjson.dumps(document), **options)


class Issuer:
    """Another issuer (did:key): credentials with status entries, and its signed status lists."""

    def __init__(self, key: SigningKey | None = None) -> None:
        self.key = key or did_key_signer()
        self.did = self.key.verification_method.split("#", 1)[0]

    def credential(self, list_url: str, index: int | str = 7, *, purpose: str = "revocation",
                   credential_id: str = CREDENTIAL_ID, kind: str = "BitstringStatusListEntry",
                   **entry: Any) -> dict[str, Any]:
        """A signed OB 3.0 credential whose status is entry ``index`` of the list at ``list_url``."""
        status = {"id": f"{list_url}#{index}", "type": kind, "statusPurpose": purpose,
                  "statusListIndex": str(index), "statusListCredential": list_url, **entry}
        return issue_credential({**badge(self.did, credential_id), "credentialStatus": status}, self.key)

    def status_list(self, url: str, values: tuple[int, ...] | dict[int, int] = (), *,
                    purpose: str | list[str] = "revocation",
                    entries: int = MIN_ENTRIES, size: int = 1, ttl: int | None = None,
                    valid_until: datetime | None = None, list_id: str | None = None) -> dict[str, Any]:
        """A signed BitstringStatusListCredential: ``values`` maps indexes to values (a tuple: indexes set to 1)."""
        bits = new_bitstring(entries, size)
        for index, value in (values.items() if isinstance(values, dict) else ((i, 1) for i in values)):
            set_entry(bits, index, value, size)
        now = datetime.now(UTC).replace(microsecond=0)
        until = valid_until or now + timedelta(days=30)
        subject: dict[str, Any] = {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": purpose,
                                   "encodedList": encode_list(bits)}
        if ttl is not None:
            subject["ttl"] = ttl
        document = {"@context": [VC_V2], "id": list_id or url,
                    "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": self.did,
                    "validFrom": stamp(now - timedelta(days=1)), "validUntil": stamp(until),
                    "credentialSubject": subject}
        return issue_credential(document, self.key)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def make_node(home: Path, env: dict[str, str], **overrides: Any) -> Node:
    config = load_config(home, environ=env, overrides={
        "domain": "example.edu", "allow_http_hosts": ["127.0.0.1"], "fetch_timeout": FETCH_TIMEOUT,
        "fetch_max_bytes": MAX_BYTES, "keystore": "plaintext", **overrides})  # plaintext: no Argon2 per test
    return await initialise(config, did_method="web", environ=env)


@pytest.fixture
async def web_node(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[Node]:
    """The verifier: a did:web node with a small fetch timeout and body cap (``client`` serves this one)."""
    node = await make_node(tmp_path / "verifier", node_env)
    try:
        yield node
    finally:
        await node.close()


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


async def verify_in_process(node: Node, credential: Any) -> Report:
    return await asyncio.wait_for(node.credentials.verify_credential(credential), BOUND)


async def verify_over_http(client: TestClient, credential: Any) -> tuple[int, dict[str, Any]]:
    response = await asyncio.wait_for(client.post("/credentials/verify", json={"verifiableCredential": credential}),
                                      BOUND)
    if response.status == 200:
        return 200, await expect_json(response, 200)
    return response.status, await expect_problem(response, 400)


async def expect_status(node: Node, client: TestClient, credential: dict[str, Any], code: str | None
                        ) -> dict[str, Any]:
    """Verify in-process and over HTTP; ``code`` None means verified, else the one error (check ``status``).
    Returns the HTTP body."""
    report = await verify_in_process(node, credential)
    codes = [(e.check, e.code) for e in report.errors]
    assert codes == ([] if code is None else [("status", code)]), report.to_json()
    assert report.verified is (code is None)
    status, body = await verify_over_http(client, credential)
    if code is None:
        assert status == 200 and body["verified"] is True, body
    else:
        assert status == 400 and body["code"] == code and body["verified"] is False, body
        assert body["results"]["status"]["verified"] is False and body["errors"][0]["check"] == "status"
    assert body["results"]["proof"]["verified"] is True  # only the status check failed
    return body


# --- one issuer's list, served over HTTP ------------------------------------------------------------------------


async def test_a_valid_list_verifies_and_reports_each_entry(web_node: Node, client: TestClient, server: ListServer,
                                                            issuer: Issuer) -> None:
    url = server.url("/lists/1")
    server.serve_json("/lists/1", issuer.status_list(url, (3,)))
    body = await expect_status(web_node, client, issuer.credential(url, 7), None)
    [entry] = body["results"]["status"]["entries"]
    assert entry == {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListCredential": url,
                     "statusListIndex": "7", "status": 0, "source": "issuer"}
    assert body["warnings"] == []


@pytest.mark.parametrize(("purpose", "code"), [("revocation", "revoked"), ("suspension", "suspended")])
async def test_a_set_bit_fails_the_credential(web_node: Node, client: TestClient, server: ListServer,
                                              issuer: Issuer, purpose: str, code: str) -> None:
    url = server.url("/lists/1")
    server.serve_json("/lists/1", issuer.status_list(url, (7,), purpose=purpose))
    body = await expect_status(web_node, client, issuer.credential(url, 7, purpose=purpose), code)
    assert body["results"]["status"]["entries"][0]["status"] == 1


async def test_a_list_may_carry_several_purposes(web_node: Node, client: TestClient, server: ListServer,
                                                 issuer: Issuer) -> None:
    url = server.url("/lists/both")
    server.serve_json("/lists/both", issuer.status_list(url, (9,), purpose=["revocation", "suspension"]))
    await expect_status(web_node, client, issuer.credential(url, 9, purpose="suspension"), "suspended")


async def test_the_list_id_need_not_be_the_url_it_was_fetched_from(web_node: Node, client: TestClient,
                                                                   server: ListServer, issuer: Issuer) -> None:
    # Bitstring Status List v1.0 §3.2 dereferences statusListCredential and verifies the proofs, purpose and
    # length; it does not compare the list's id with the URL (the 1EdTech sample list does not match either).
    url = server.url("/mirror/list")
    server.serve_json("/mirror/list", issuer.status_list(url, (7,), list_id="https://issuer.example/status/1"))
    await expect_status(web_node, client, issuer.credential(url, 7), "revoked")


async def test_a_message_list_reports_the_message_and_does_not_fail(web_node: Node, client: TestClient,
                                                                    server: ListServer, issuer: Issuer) -> None:
    url = server.url("/lists/messages")
    server.serve_json("/lists/messages", issuer.status_list(url, {5: 2}, purpose="message", size=2))
    messages = [{"status": f"0x{n}", "message": m} for n, m in enumerate(["ok", "pending", "withdrawn", "other"])]
    credential = issuer.credential(url, 5, purpose="message", statusSize=2, statusMessage=messages)
    body = await expect_status(web_node, client, credential, None)
    [entry] = body["results"]["status"]["entries"]
    assert (entry["status"], entry["message"]) == (2, "withdrawn")


def html(server: ListServer, issuer: Issuer) -> str:
    return server.serve_body("/x", b"<!doctype html><title>Status</title><p>Nothing here", content_type="text/html")


def server_error(server: ListServer, issuer: Issuer) -> str:
    return server.serve_body("/x", b'{"error": "database down"}', status=500, content_type="application/json")


def not_found(server: ListServer, issuer: Issuer) -> str:
    return server.url("/nothing-registered-here")


def json_array(server: ListServer, issuer: Issuer) -> str:
    return server.serve_json("/x", [1, 2, 3])


def other_issuer(server: ListServer, issuer: Issuer) -> str:
    return server.serve_json("/x", Issuer().status_list(server.url("/x"), (7,)))


def tampered_proof(server: ListServer, issuer: Issuer) -> str:
    document = issuer.status_list(server.url("/x"))
    document["credentialSubject"]["encodedList"] = encode_list(new_bitstring(MIN_ENTRIES + 8))  # after signing
    return server.serve_json("/x", document)


def unsigned(server: ListServer, issuer: Issuer) -> str:
    document = issuer.status_list(server.url("/x"))
    del document["proof"]
    return server.serve_json("/x", document)


def short_list(server: ListServer, issuer: Issuer) -> str:
    return server.serve_json("/x", issuer.status_list(server.url("/x"), entries=MIN_ENTRIES - 8))


def purpose_mismatch(server: ListServer, issuer: Issuer) -> str:
    return server.serve_json("/x", issuer.status_list(server.url("/x"), (7,), purpose="suspension"))


def expired(server: ListServer, issuer: Issuer) -> str:
    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return server.serve_json("/x", issuer.status_list(server.url("/x"), valid_until=until))


def wrong_type(server: ListServer, issuer: Issuer) -> str:
    document = issuer.status_list(server.url("/x"))
    document.pop("proof")
    document["type"] = ["VerifiableCredential"]
    return server.serve_json("/x", issue_credential(document, issuer.key))


def bad_encoded_list(server: ListServer, issuer: Issuer) -> str:
    document = issuer.status_list(server.url("/x"))
    document.pop("proof")
    document["credentialSubject"]["encodedList"] = "uNotGzipAtAll"
    return server.serve_json("/x", issue_credential(document, issuer.key))


@pytest.mark.parametrize(("setup", "code"), [
    (html, "statusInvalid"), (json_array, "statusInvalid"), (server_error, "statusUnavailable"),
    (not_found, "statusUnavailable"), (other_issuer, "statusInvalid"), (tampered_proof, "statusInvalid"),
    (unsigned, "statusInvalid"), (short_list, "statusInvalid"), (purpose_mismatch, "statusInvalid"),
    (expired, "statusInvalid"), (wrong_type, "statusInvalid"), (bad_encoded_list, "statusInvalid"),
], ids=lambda value: getattr(value, "__name__", value))
async def test_a_list_that_cannot_be_used_fails_the_status_check(
        web_node: Node, client: TestClient, server: ListServer, issuer: Issuer,
        setup: Callable[[ListServer, Issuer], str], code: str) -> None:
    url = setup(server, issuer)
    await expect_status(web_node, client, issuer.credential(url, 7), code)


@pytest.mark.parametrize("index", [MIN_ENTRIES, MIN_ENTRIES + 1, 10**10])
async def test_an_index_outside_the_list_is_invalid(web_node: Node, client: TestClient, server: ListServer,
                                                    issuer: Issuer, index: int) -> None:
    url = server.serve_json("/x", issuer.status_list(server.url("/x")))
    await expect_status(web_node, client, issuer.credential(url, index), "statusInvalid")


async def test_a_list_too_short_for_its_status_size_is_invalid(web_node: Node, client: TestClient,
                                                               server: ListServer, issuer: Issuer) -> None:
    # §3.2 step 9: the bitstring's length divided by statusSize must reach 131,072 entries.
    url = server.serve_json("/x", issuer.status_list(server.url("/x"), purpose="message", entries=MIN_ENTRIES))
    messages = [{"status": f"0x{n}", "message": str(n)} for n in range(4)]
    credential = issuer.credential(url, 5, purpose="message", statusSize=2, statusMessage=messages)
    body = await expect_status(web_node, client, credential, "statusInvalid")
    assert "entries" in body["detail"]


async def test_a_list_larger_than_the_cap_is_refused_without_reading_it_all(
        web_node: Node, client: TestClient, server: ListServer, issuer: Issuer) -> None:
    chunk = b" " * 65536  # whitespace: were the cap not applied, 50 MB of it would be "not JSON", statusInvalid
    total = 50 * 1024 * 1024

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for _ in range(total // len(chunk)):
            await response.write(chunk)
            server.sent += len(chunk)
        return response

    url = server.serve("/huge", endless)
    started = time.monotonic()
    await expect_status(web_node, client, issuer.credential(url, 7), "statusUnavailable")
    assert time.monotonic() - started < 2.0
    await asyncio.sleep(0.05)  # let the server notice the closed connection
    assert server.sent < 16 * 1024 * 1024, server.sent  # the cap plus socket buffers, not 50 MB


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
        web_node: Node, client: TestClient, server: ListServer, issuer: Issuer) -> None:
    async def declared(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 50 * 1024 * 1024
        await response.prepare(request)
        for _ in range(800):
            await response.write(b" " * 65536)
            server.sent += 65536
        return response

    report = await verify_in_process(web_node, issuer.credential(server.serve("/declared", declared), 7))
    assert [e.code for e in report.errors] == ["statusUnavailable"]
    assert "exceeds" in report.errors[0].message


async def test_a_compressed_response_is_capped_after_decompression(
        web_node: Node, client: TestClient, server: ListServer, issuer: Issuer) -> None:
    bomb = gzip.compress(b" " * (50 * 1024 * 1024), compresslevel=9)  # ~50 KB on the wire
    url = server.serve_body("/bomb", bomb, content_type="application/json", headers={"Content-Encoding": "gzip"})
    body = await expect_status(web_node, client, issuer.credential(url, 7), "statusUnavailable")
    assert "limit" in body["detail"]


async def test_a_list_server_that_hangs_times_out(web_node: Node, client: TestClient, server: ListServer,
                                                  issuer: Issuer) -> None:
    url = server.serve_json("/slow", issuer.status_list(server.url("/slow")), delay=FETCH_TIMEOUT * 6)
    started = time.monotonic()
    body = await expect_status(web_node, client, issuer.credential(url, 7), "statusUnavailable")
    assert "timed out" in body["detail"]
    assert time.monotonic() - started < FETCH_TIMEOUT * 4  # the second check reuses the cached failure


async def test_a_list_that_drips_slowly_times_out(web_node: Node, server: ListServer, issuer: Issuer) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for _ in range(100):
            await response.write(b" ")
            await asyncio.sleep(FETCH_TIMEOUT / 5)
        return response

    started = time.monotonic()
    report = await verify_in_process(web_node, issuer.credential(server.serve("/drip", drip), 7))
    assert [e.code for e in report.errors] == ["statusUnavailable"] and "timed out" in report.errors[0].message
    assert time.monotonic() - started < FETCH_TIMEOUT * 4


@pytest.mark.parametrize("url", [
    "https://10.0.0.1/status/1", "https://[::ffff:10.0.0.1]/status/1", "https://169.254.169.254/latest/meta-data",
    "https://192.168.1.1:8443/status/1", "https://[fd00::1]/status/1", "http://10.0.0.1/status/1",
    "http://example.org/status/1", "ftp://127.0.0.1/status/1",
])
async def test_a_list_at_a_private_address_or_over_plain_http_is_refused_before_connecting(
        web_node: Node, client: TestClient, issuer: Issuer, url: str) -> None:
    credential = issuer.credential(url, 7)
    started = time.monotonic()
    report = await verify_in_process(web_node, credential)
    assert time.monotonic() - started < FETCH_TIMEOUT * 0.8  # refused, not attempted and timed out
    assert [e.code for e in report.errors] == ["statusUnavailable"] and "refusing" in report.errors[0].message
    web_node.status_checker.invalidate()  # the HTTP check below is refused afresh, not read from the cache
    body = await expect_status(web_node, client, credential, "statusUnavailable")
    assert "refusing" in body["detail"], body["detail"]


async def test_a_name_resolving_to_loopback_is_refused_without_connecting(web_node: Node, client: TestClient,
                                                                         issuer: Issuer) -> None:
    listener = ConnectionCounter()
    await listener.start()
    try:
        url = f"https://localhost:{listener.port}/status/1"  # localhost is not in allow_http_hosts
        body = await expect_status(web_node, client, issuer.credential(url, 7), "statusUnavailable")
        assert "non-public" in body["detail"], body["detail"]
        assert listener.connections == 0
    finally:
        await listener.close()


async def test_malformed_entries_are_reported_not_crashed_on(web_node: Node, client: TestClient, server: ListServer,
                                                             issuer: Issuer) -> None:
    url = server.serve_json("/x", issuer.status_list(server.url("/x"), (7,)))
    good = issuer.credential(url, 7)
    cases: list[tuple[Any, str]] = [
        ({**good["credentialStatus"], "statusListIndex": "-1"}, "statusInvalid"),
        ({**good["credentialStatus"], "statusListIndex": "7.0"}, "statusInvalid"),
        ({**good["credentialStatus"], "statusListIndex": ["7"]}, "statusInvalid"),
        ({**good["credentialStatus"], "statusListCredential": ["x"]}, "statusInvalid"),
        ({**good["credentialStatus"], "statusPurpose": {"a": 1}}, "statusInvalid"),
        ({**good["credentialStatus"], "statusSize": 9}, "statusInvalid"),
        ({**good["credentialStatus"], "statusSize": True}, "statusInvalid"),
        ({**good["credentialStatus"], "type": "NoSuchStatusEntry"}, "statusUnsupported"),
        ({**good["credentialStatus"], "type": ["NoSuchStatusEntry", {"x": 1}]}, "statusUnsupported"),
        ({"id": ["x"], "type": "1EdTechRevocationList"}, "statusInvalid"),
    ]
    for status, code in cases:
        try:  # signed when the entry is still a valid credential's; else the proof fails too
            credential = issue_credential({**badge(issuer.did), "credentialStatus": status}, issuer.key)
        except VcnodeError:
            credential = {**good, "credentialStatus": status}
        report = await verify_in_process(web_node, credential)
        assert ("status", code) in [(e.check, e.code) for e in report.errors], (status, report.to_json())
        http_status, body = await verify_over_http(client, credential)
        assert http_status == 400 and any(e["code"] == code for e in body["errors"]), body


async def test_an_entry_type_given_as_an_array_is_read(web_node: Node, client: TestClient, server: ListServer,
                                                      issuer: Issuer) -> None:
    # JSON-LD allows a type array; the unsigned, tampered credential also has a bad proof: the status check
    # must still run (and not crash on an unhashable type) and find the set bit.
    url = server.serve_json("/x", issuer.status_list(server.url("/x"), (7,)))
    credential = issuer.credential(url, 7)
    credential["credentialStatus"]["type"] = ["BitstringStatusListEntry"]
    report = await verify_in_process(web_node, credential)
    assert ("status", "revoked") in [(e.check, e.code) for e in report.errors], report.to_json()
    status, _ = await verify_over_http(client, credential)
    assert status == 400


# --- caching -----------------------------------------------------------------------------------------------------


async def test_two_checks_within_the_ttl_fetch_the_list_once(web_node: Node, client: TestClient,
                                                             server: ListServer, issuer: Issuer) -> None:
    url = server.serve_json("/lists/1", issuer.status_list(server.url("/lists/1"), (3,)))
    await expect_status(web_node, client, issuer.credential(url, 7), None)
    await expect_status(web_node, client, issuer.credential(url, 3, credential_id="urn:uuid:x-3"), "revoked")
    assert server.hits["/lists/1"] == 1


async def test_concurrent_checks_share_one_fetch(web_node: Node, server: ListServer, issuer: Issuer) -> None:
    url = server.serve_json("/lists/1", issuer.status_list(server.url("/lists/1"), (4,)), delay=0.2)
    credentials = [issuer.credential(url, n, credential_id=f"urn:uuid:c-{n}") for n in range(8)]
    reports = await asyncio.gather(*(verify_in_process(web_node, c) for c in credentials))
    assert [r.verified for r in reports] == [n != 4 for n in range(8)]
    assert server.hits["/lists/1"] == 1


async def test_an_expired_ttl_refetches_and_sees_a_revocation(web_node: Node, client: TestClient,
                                                              server: ListServer, issuer: Issuer) -> None:
    url = server.url("/lists/1")
    server.serve_json("/lists/1", issuer.status_list(url, ttl=150))  # milliseconds
    credential = issuer.credential(url, 7)
    await expect_status(web_node, client, credential, None)
    server.serve_json("/lists/1", issuer.status_list(url, (7,), ttl=150))  # the issuer revokes
    assert server.hits["/lists/1"] == 1  # both checks above read one fetch
    await asyncio.sleep(0.2)
    await expect_status(web_node, client, credential, "revoked")
    assert server.hits["/lists/1"] == 2


async def test_cache_control_max_age_zero_refetches(web_node: Node, server: ListServer, issuer: Issuer) -> None:
    url = server.url("/lists/1")
    server.serve_json("/lists/1", issuer.status_list(url), headers={"Cache-Control": "max-age=0"})
    credential = issuer.credential(url, 7)
    for _ in range(3):
        assert (await verify_in_process(web_node, credential)).verified
    assert server.hits["/lists/1"] == 3


async def test_a_failed_fetch_is_not_retried_on_every_check(web_node: Node, server: ListServer,
                                                            issuer: Issuer) -> None:
    url = server.serve_body("/down", b"busy", status=503, content_type="text/plain")
    credential = issuer.credential(url, 7)
    for _ in range(3):
        assert [e.code for e in (await verify_in_process(web_node, credential)).errors] == ["statusUnavailable"]
    assert server.hits["/down"] == 1


# --- fail open ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def lenient(tmp_path: Path, node_env: dict[str, str]) -> AsyncIterator[tuple[Node, TestClient]]:
    """A verifier configured with status_fail_open = true, and a client of its HTTP API."""
    node = await make_node(tmp_path / "lenient", node_env, status_fail_open=True)
    test_server = TestServer(build_app(node), host="127.0.0.1")
    try:
        await test_server.start_server(**SERVER_LIMITS)
        async with TestClient(test_server) as test_client:
            yield node, test_client
    finally:
        await node.close()


async def test_fail_open_turns_an_unreachable_list_into_a_warning(lenient: tuple[Node, TestClient],
                                                                  server: ListServer, issuer: Issuer) -> None:
    node, client = lenient
    listener = ConnectionCounter()  # a port that was open and is closed now: connection refused
    await listener.start()
    await listener.close()
    for url in [server.serve_body("/down", b"", status=500), server.url("/missing"),
                f"http://127.0.0.1:{listener.port}/list", server.serve_json("/slow", {}, delay=FETCH_TIMEOUT * 6)]:
        credential = issuer.credential(url, 7)
        report = await verify_in_process(node, credential)
        assert report.verified and report.errors == [], report.to_json()
        assert [(w.check, w.code) for w in report.warnings] == [("status", "statusUnavailable")]
        assert "fail open" in report.warnings[0].message
        status, body = await verify_over_http(client, credential)
        assert status == 200 and body["verified"] and body["warnings"][0]["code"] == "statusUnavailable", body
        assert body["results"]["status"]["entries"] == [{"type": "BitstringStatusListEntry",
                                                         "error": "statusUnavailable"}]


async def test_fail_open_still_fails_an_invalid_or_revoking_list(lenient: tuple[Node, TestClient],
                                                                 server: ListServer, issuer: Issuer) -> None:
    node, client = lenient
    for setup in (html, other_issuer, tampered_proof, short_list):
        url = setup(server, issuer)
        await expect_status(node, client, issuer.credential(url, 7), "statusInvalid")
        node.status_checker.invalidate()  # every setup serves /x
    url = server.serve_json("/revoked", issuer.status_list(server.url("/revoked"), (7,)))
    await expect_status(node, client, issuer.credential(url, 7), "revoked")


# --- StatusList2021 and 1EdTech revocation lists -----------------------------------------------------------------


def status_list_2021(issuer: Issuer, url: str, set_indexes: tuple[int, ...]) -> dict[str, Any]:
    bits = new_bitstring(MIN_ENTRIES)
    for index in set_indexes:
        set_entry(bits, index, 1)
    plain = base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")  # no 'u'
    document = {"@context": [VC_V1, SL2021], "id": url, "type": ["VerifiableCredential", "StatusList2021Credential"],
                "issuer": issuer.did, "issuanceDate": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": f"{url}#list", "type": "StatusList2021", "statusPurpose": "revocation",
                                      "encodedList": plain}}
    return issue_credential(document, issuer.key)


def credential_2021(issuer: Issuer, url: str, index: int) -> dict[str, Any]:
    return issue_credential({
        "@context": [VC_V1, SL2021], "id": f"urn:uuid:2021-{index}", "type": ["VerifiableCredential"],
        "issuer": issuer.did, "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner-7"},
        "credentialStatus": {"id": f"{url}#{index}", "type": "StatusList2021Entry", "statusPurpose": "revocation",
                             "statusListIndex": str(index), "statusListCredential": url}}, issuer.key)


async def test_status_list_2021(web_node: Node, client: TestClient, server: ListServer, issuer: Issuer) -> None:
    url = server.serve_json("/sl2021", status_list_2021(issuer, server.url("/sl2021"), (12,)))
    await expect_status(web_node, client, credential_2021(issuer, url, 12), "revoked")
    body = await expect_status(web_node, client, credential_2021(issuer, url, 13), None)
    assert body["results"]["status"]["entries"][0]["type"] == "StatusList2021Entry"
    assert server.hits["/sl2021"] == 1


async def test_a_bitstring_entry_pointing_at_a_2021_list_is_invalid(web_node: Node, client: TestClient,
                                                                    server: ListServer, issuer: Issuer) -> None:
    url = server.serve_json("/sl2021", status_list_2021(issuer, server.url("/sl2021"), (12,)))
    await expect_status(web_node, client, issuer.credential(url, 12), "statusInvalid")


def revocation_credential(issuer: Issuer, url: str, credential_id: str) -> dict[str, Any]:
    credential = badge(issuer.did, credential_id)
    credential["@context"] = [*credential["@context"], OB_EXTENSIONS]
    credential["credentialStatus"] = {"id": url, "type": "1EdTechRevocationList"}
    return issue_credential(credential, issuer.key)


async def test_1edtech_revocation_list(web_node: Node, client: TestClient, server: ListServer,
                                       issuer: Issuer) -> None:
    url = server.url("/revocations")
    server.serve_json("/revocations", {"id": url, "issuer": issuer.did, "revokedCredential": [
        {"id": "urn:uuid:revoked-1", "revocationReason": "issued in error"}, {"id": "urn:uuid:restored", "revoked":
                                                                              False}]})
    body = await expect_status(web_node, client, revocation_credential(issuer, url, "urn:uuid:revoked-1"), "revoked")
    assert body["results"]["status"]["entries"] == [{"type": "1EdTechRevocationList", "statusPurpose": "revocation",
                                                     "id": url, "status": 1}]
    await expect_status(web_node, client, revocation_credential(issuer, url, "urn:uuid:fine"), None)
    await expect_status(web_node, client, revocation_credential(issuer, url, "urn:uuid:restored"), None)
    assert server.hits["/revocations"] == 1


@pytest.mark.parametrize(("document", "code"), [
    ({"revokedCredential": [{"id": ["urn:uuid:a"]}, {"id": {"x": 1}}, 5, None, "urn:uuid:b"]}, None),
    ({"revokedCredential": [{"id": ["urn:uuid:x"]}, "urn:uuid:a"]}, "revoked"),
    ({"issuer": {"id": 5}, "revokedCredential": []}, "statusInvalid"),
    ({"issuer": ["did:key:z6Mk"], "revokedCredential": []}, "statusInvalid"),
    ({"revokedCredential": {"id": "urn:uuid:a"}}, "statusInvalid"),
    ({"revokedCredentials": "urn:uuid:a"}, "statusInvalid"),
    ({"revokedCredentials": ["urn:uuid:a"]}, "revoked"),
], ids=["unhashable-ids", "string-item", "issuer-id-number", "issuer-list", "not-a-list", "plural-string",
        "plural-list"])
async def test_a_malformed_revocation_list_is_never_a_crash(web_node: Node, client: TestClient, server: ListServer,
                                                            issuer: Issuer, document: dict[str, Any],
                                                            code: str | None) -> None:
    url = server.serve_json("/revocations", document)
    await expect_status(web_node, client, revocation_credential(issuer, url, "urn:uuid:a"), code)


async def test_a_revocation_list_naming_another_issuer_is_invalid(web_node: Node, client: TestClient,
                                                                  server: ListServer, issuer: Issuer) -> None:
    url = server.serve_json("/revocations", {"issuer": {"id": Issuer().did}, "revokedCredential": []})
    await expect_status(web_node, client, revocation_credential(issuer, url, "urn:uuid:a"), "statusInvalid")


async def test_a_credential_id_that_is_not_a_string_is_never_a_crash(web_node: Node, client: TestClient,
                                                                     server: ListServer, issuer: Issuer) -> None:
    url = server.serve_json("/revocations", {"revokedCredential": ["urn:uuid:a"]})
    credential = copy.deepcopy(revocation_credential(issuer, url, "urn:uuid:a"))
    credential["id"] = ["urn:uuid:a"]  # a structure error, and an unhashable id for the revocation lookup
    report = await verify_in_process(web_node, credential)
    assert not report.verified and "invalidId" in [e.code for e in report.errors]
    status, _ = await verify_over_http(client, credential)
    assert status == 400
