"""The served OpenAPI document is true of a real ``vcnode serve`` on 127.0.0.1.

- schemathesis generates requests from the document the node serves and checks every answer (no 5xx, a
  documented status code, content type, headers and schema, every error ``application/problem+json``…):
  tests/integration/schemathesis_run.py, bounded to a few seconds.
- A walk through the API's success paths (issue, verify, revoke, status lists, trust statements, gossip…),
  which generated data cannot reach, is checked against the same document with the same checks.
- Answers the first schemathesis run found wrong stay fixed: requests aiohttp refuses itself are problems,
  and the VC API's POST-only paths answer other methods with 405 and ``Allow: POST``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.builders import badge, did_key_signer
from tests.conftest import PASSPHRASE
from tests.integration.schemathesis_hooks import errors_are_problems
from tests.integration.test_serve import free_port, wait_for
from vcnode.anchor.entries import now_stamp
from vcnode.credentials import create_presentation
from vcnode.credentials.issue import sign
from vcnode.trust.examples import example_documents

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, errors_are_problems]
PROBLEM = "application/problem+json"


def _isolated() -> bool:
    """Whether this machine lets us make a user and network namespace (schemathesis_run.py runs in one)."""
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    """``schemathesis run`` against the served document (see schemathesis_run.py for the checks and bounds).
    The node and schemathesis share a network namespace with only loopback: generated DIDs and URLs cannot
    make the node send anything off this machine."""
    if not _isolated():
        reason = "needs `unshare --user --map-root-user --net` (the run must not reach any network)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # never skipped in CI
        pytest.skip(reason)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    result = subprocess.run(["unshare", "--user", "--map-root-user", "--net", sys.executable, "-m",
                             "tests.integration.schemathesis_run", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-30_000:]
    assert "generated" in output and " passed" in output, output[-5000:]
    assert time.monotonic() - started < 120, "keep the schemathesis run bounded (MAX_EXAMPLES)"


@dataclass
class ServedNode:
    """A did:web node serving on 127.0.0.1, with a token of every scope and the document it serves."""

    url: str
    did: str
    token: str
    schema: schemathesis.BaseSchema

    def call(self, method: str, path: str, status: int, *, body: Any = None, auth: bool = False,
             headers: dict[str, str] | None = None, path_parameters: dict[str, str] | None = None,
             formatted: str | None = None, documented_5xx: bool = False) -> Any:
        """Send one request as the document describes it, check the answer with :data:`CHECKS`, and return
        it (``formatted``: the path as sent when it is not ``path`` with ``path_parameters``;
        ``documented_5xx``: the 5xx expected is a documented answer, see schemathesis.toml)."""
        operation = self.schema[path][method]
        sent = {**(headers or {}), **({"Authorization": f"Bearer {self.token}"} if auth else {})}
        kwargs: dict[str, Any] = {"headers": sent, "path_parameters": path_parameters or {}}
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        case = operation.Case(**kwargs)
        if formatted is not None:
            case.path = formatted
        response = case.call(base_url=self.url, timeout=30)
        checks = [check for check in CHECKS if not (documented_5xx and check is not_a_server_error)]
        case.validate_response(response, checks=checks)
        assert response.status_code == status, (path, response.status_code, response.text[:1000])
        return response


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    """``vcnode init`` (did:web on its own address), a token, then ``vcnode serve``; stopped with SIGTERM and
    its log checked for errors. Nothing here names a host other than 127.0.0.1."""
    root, port = tmp_path_factory.mktemp("openapi"), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env.update({"VCNODE_PASSPHRASE": PASSPHRASE, "VCNODE_LOG_LEVEL": "WARNING", "VCNODE_FETCH_TIMEOUT": "2",
                "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1"})
    home = root / "node"

    def cli(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "vcnode", "--home", str(home), *args], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    cli("init", "--domain", f"127.0.0.1:{port}", "--port", str(port))
    did = json.loads(cli("identity", "list", "--json"))[0]["did"]
    token = cli("token", "create", "--scope", "admin").strip()
    log = root / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "vcnode", "--home", str(home), "serve"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/health")
        yield ServedNode(url, did, token, schemathesis.openapi.from_url(url + "/openapi.yaml"))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    logged = log.read_text(errors="replace")
    assert "Traceback" not in logged and "ERROR" not in logged, logged[-4000:]


PEER = did_key_signer()


def _signed_message(kind: str, **members: Any) -> dict[str, Any]:
    """A gossip message as a peer (a did:key at 127.0.0.1:1, where nothing listens) sends it."""
    key = PEER
    sender = key.verification_method.split("#")[0]
    return sign({"type": kind, "from": sender, "url": "http://127.0.0.1:1", "time": now_stamp(), **members}, key,
                suite="eddsa-jcs-2022")


def test_the_api_walkthrough_matches_the_document(served: ServedNode) -> None:
    node = served
    # operations and DIDs
    node.call("GET", "/health", 200)
    node.call("GET", "/ready", 200)
    node.call("GET", "/.well-known/did.json", 200)
    node.call("GET", "/.well-known/did.jsonl", 404)
    node.call("GET", "/{path}/did.json", 404, path_parameters={"path": "identities/nobody"})
    for accept in ("", "application/ld+json", "application/did-resolution", "application/json",
                   "application/did+ld+json", "application/did+json"):
        node.call("GET", "/1.0/identifiers/{did}", 200, path_parameters={"did": node.did},
                  headers={"Accept": accept} if accept else None)
    node.call("GET", "/1.0/identifiers/{did}", 406, path_parameters={"did": node.did},
              headers={"Accept": "application/cbor"})
    node.call("GET", "/1.0/identifiers/{did}", 501, path_parameters={"did": "did:example:123"},
              documented_5xx=True)

    # issue, read back, verify, revoke
    credential = badge(node.did, "urn:uuid:0a1b2c3d-0000-4000-8000-000000000012")
    issued = node.call("POST", "/credentials/issue", 201, auth=True, body={
        "credential": credential, "options": {"statusPurpose": ["revocation", "suspension"]}}).json()
    signed = issued["verifiableCredential"]
    node.call("GET", "/credentials/{id}", 200, auth=True, path_parameters={"id": signed["id"]},
              formatted="/credentials/" + quote(signed["id"], safe=""))
    node.call("POST", "/credentials/verify", 200, body={"verifiableCredential": signed})
    node.call("POST", "/credentials/verify", 200, body={"verifiableCredential": signed,
                                                        "options": {"recognition": True}})
    tampered = {**signed, "name": "Something else"}
    report = node.call("POST", "/credentials/verify", 400, body={"verifiableCredential": tampered}).json()
    assert report["verified"] is False and report["code"] == report["errors"][0]["code"]
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "verifiableCredential": [signed]}
    # Unsigned, so its holder is not proven to be the learner: refused unless the verifier allows that.
    node.call("POST", "/presentations/verify", 400, body={"verifiablePresentation": presentation})
    node.call("POST", "/presentations/verify", 200, body={"verifiablePresentation": presentation,
                                                          "options": {"recognition": True,
                                                                      "holderBinding": "allowMismatch"}})
    change = node.call("POST", "/credentials/status", 200, auth=True, body={
        "credentialId": signed["id"], "credentialStatus": {"type": "BitstringStatusListEntry",
                                                           "statusPurpose": "revocation"},
        "status": True, "reason": "walkthrough"}).json()
    node.call("POST", "/credentials/verify", 400, body={"verifiableCredential": signed})

    # the status list, and its ETag
    list_id = urlsplit(change["statusListCredential"]).path.rsplit("/", 1)[1]
    listed = node.call("GET", "/status/{id}", 200, path_parameters={"id": list_id})
    node.call("GET", "/status/{id}", 304, path_parameters={"id": list_id},
              headers={"If-None-Match": listed.headers["etag"][0]})
    node.call("GET", "/status/{id}", 404, path_parameters={"id": "no-such-list"})

    # trust statements
    [framework] = example_documents({"hk-regulator": node.did}, ("frameworks",))
    published = node.call("POST", "/trust/statements", 201, auth=True, body={"statement": framework}).json()
    statement_id = published["verifiableCredential"]["id"]
    statements = node.call("GET", "/trust/statements", 200).json()["statements"]
    assert [s["id"] for s in statements] == [statement_id]
    node.call("GET", "/trust/statements/{id}", 200, path_parameters={"id": statement_id},
              formatted="/trust/statements/" + quote(statement_id, safe=""))
    node.call("GET", "/trust/anchors", 200)

    # challenges and pathways: an unsigned presentation is refused with its report
    challenge = node.call("POST", "/challenges", 201).json()["challenge"]
    node.call("POST", "/pathways/evaluate", 400, body={"verifiablePresentation": presentation,
                                                       "options": {"challenge": challenge}})

    # peer to peer: the three messages a peer sends, and the node's state
    heads = node.call("GET", "/p2p/v1/status", 200).json()["heads"]
    assert heads, "publishing anchored entries"
    log = heads[0]["log"]
    node.call("POST", "/p2p/v1/message", 200, body=_signed_message("announce", heads=heads))
    pulled = node.call("POST", "/p2p/v1/message", 200, body=_signed_message("pull", log=log, fromSeq=1)).json()
    assert pulled["entries"]
    node.call("POST", "/p2p/v1/message", 200, body=_signed_message("exchange", heads=[], peers=[]))
    node.call("POST", "/p2p/v1/message", 400, body={**_signed_message("exchange"), "time": "2000-01-01T00:00:00Z"})

    # this document and its page
    spec = node.call("GET", "/openapi.yaml", 200)
    node.call("GET", "/openapi.yaml", 304, headers={"If-None-Match": spec.headers["etag"][0]})
    node.call("GET", "/docs", 200)
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "docs.js", "swagger-ui-LICENSE"):
        node.call("GET", "/docs/static/{name}", 200, path_parameters={"name": name})


def _unsigned_claim(issuer: str) -> dict[str, Any]:
    credential = badge(issuer)
    del credential["id"]
    credential["credentialSubject"].pop("id")
    return credential


def test_the_exchange_walkthrough_matches_the_document(served: ServedNode) -> None:
    """A learner claims a badge (VC API exchange and LCW's legacy credential request), presents it to a
    ``present`` exchange, and an exchange is cancelled: every answer as the document describes it."""
    node = served
    learner = did_key_signer()

    def exchange(workflow: str, variables: dict[str, Any], status: int = 201) -> dict[str, Any]:
        return node.call("POST", "/workflows/{workflow}/exchanges", status, auth=True,
                         path_parameters={"workflow": workflow}, body={"variables": variables}).json()

    def ids(created: dict[str, Any]) -> dict[str, str]:
        return {"workflow": created["workflow"], "exchange": created["id"]}

    def signed(created: dict[str, Any], credentials: list[Any], *, legacy: bool = False) -> dict[str, Any]:
        request = node.call("GET", "/workflows/{workflow}/exchanges/{exchange}/request", 200,
                            path_parameters=ids(created)).json()["verifiablePresentationRequest"]
        return create_presentation(credentials, learner, challenge=request["challenge"],
                                   domain=None if legacy else request["domain"], suite="Ed25519Signature2020")

    def answer(created: dict[str, Any], presentation: dict[str, Any], status: int = 200, *,
               legacy: bool = False) -> Any:
        if legacy:
            return node.call("POST", "/workflows/claim/exchanges/{exchange}/credential-request", status,
                             path_parameters={"exchange": created["id"]}, body=presentation).json()
        return node.call("POST", "/workflows/{workflow}/exchanges/{exchange}", status, path_parameters=ids(created),
                         body={"verifiablePresentation": presentation}).json()

    claim = exchange("claim", {"credential": _unsigned_claim(node.did), "redirectUrl": "https://hcp.example/done"})
    node.call("GET", "/interactions/{exchange}", 200, path_parameters={"exchange": claim["id"]},
              headers={"Accept": "application/json"})
    node.call("GET", "/workflows/{workflow}/exchanges/{exchange}/protocols", 200, path_parameters=ids(claim))
    started = node.call("POST", "/workflows/{workflow}/exchanges/{exchange}", 200, path_parameters=ids(claim),
                        body={}).json()
    assert started["verifiablePresentationRequest"]["query"][0]["type"] == "DIDAuthentication"
    node.call("POST", "/workflows/{workflow}/exchanges/{exchange}", 400, path_parameters=ids(claim),
              body={"verifiablePresentation": {"@context": ["https://www.w3.org/ns/credentials/v2"]}})
    presentation = signed(claim, [])
    request = node.call("GET", "/workflows/{workflow}/exchanges/{exchange}/request", 200,
                        path_parameters=ids(claim)).json()["verifiablePresentationRequest"]
    someone_else = create_presentation([], did_key_signer(), challenge=request["challenge"],
                                       domain=request["domain"], suite="Ed25519Signature2020")
    issued = answer(claim, presentation)
    [credential] = issued["verifiablePresentation"]["verifiableCredential"]
    assert issued["redirectUrl"] == "https://hcp.example/done"
    answer(claim, someone_else, 409)  # a claim link is used once…
    assert answer(claim, presentation) == issued  # …but its holder's retry gets the same badge again
    node.call("GET", "/workflows/{workflow}/exchanges/{exchange}/request", 409, path_parameters=ids(claim))
    assert node.call("GET", "/workflows/{workflow}/exchanges/{exchange}", 200, auth=True,
                     path_parameters=ids(claim)).json()["state"] == "complete"

    legacy = exchange("claim", {"credential": _unsigned_claim(node.did)})
    bare = answer(legacy, signed(legacy, [], legacy=True), legacy=True)
    assert bare["credentialSubject"]["id"] == learner.verification_method.split("#")[0]

    present = exchange("present", {"query": {"issuer": node.did}, "recognition": True, "pathways": []})
    assert answer(present, signed(present, [credential])) == {}
    result = node.call("GET", "/workflows/{workflow}/exchanges/{exchange}", 200, auth=True,
                       path_parameters=ids(present)).json()["result"]
    assert result["verified"] is True, result

    cancelled = exchange("present", {})
    node.call("DELETE", "/workflows/{workflow}/exchanges/{exchange}", 200, auth=True, path_parameters=ids(cancelled))
    node.call("DELETE", "/workflows/{workflow}/exchanges/{exchange}", 409, auth=True, path_parameters=ids(cancelled))
    node.call("POST", "/workflows/{workflow}/exchanges/{exchange}", 409, path_parameters=ids(cancelled), body={})
    exchange("claim", {"credential": _unsigned_claim("did:web:elsewhere.example")}, 422)
    node.call("GET", "/workflows/{workflow}/exchanges/{exchange}", 404, auth=True,
              path_parameters={"workflow": "present", "exchange": claim["id"]})
    node.call("GET", "/interactions/{exchange}", 404, path_parameters={"exchange": "nothing-here"})


@pytest.mark.parametrize("path", ["/credentials/issue", "/credentials/verify", "/credentials/derive",
                                  "/credentials/status"])
@pytest.mark.parametrize("method", ["GET", "OPTIONS", "DELETE"])
def test_post_only_paths_answer_other_methods_with_405_and_allow(served: ServedNode, method: str,
                                                                  path: str) -> None:
    """They used to be matched by ``GET /credentials/{id}`` (``Allow: GET,HEAD,POST``, and a GET looked up a
    credential with the id ``issue``)."""
    response = requests.request(method, served.url + path, timeout=10,
                                headers={"Authorization": f"Bearer {served.token}"})
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert response.headers["Content-Type"] == PROBLEM and response.json()["code"] == "methodNotAllowed"


def _raw(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("request_bytes", [
    b"GET /1.0/identifiers/did:key:" + b"z" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # over 16 KiB
    b"GET /health HTTP/1.1\r\nHost: x\r\nX-Probe: a\x00b\r\n\r\n",  # a NUL byte in a header
    b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n",  # a header over 16 KiB
], ids=["long-request-line", "nul-in-header", "long-header"])
def test_requests_aiohttp_refuses_are_problems_and_not_logged_as_errors(served: ServedNode,
                                                                       request_bytes: bytes) -> None:
    status, headers, body = _raw(served.url, request_bytes)
    assert status == 400 and headers["content-type"] == PROBLEM, (status, headers, body[:300])
    problem = json.loads(body)
    assert problem["status"] == 400 and problem["code"] == "badRequest" and problem["type"].endswith(":badRequest")
    # _raw read until the node closed the connection; the node's log is checked for errors when it stops
