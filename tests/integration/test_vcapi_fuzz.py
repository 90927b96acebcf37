"""Arbitrary requests never make the HTTP API fail: every answer is < 500 and every 4xx is problem+json.

One node and one server serve the whole run. The server runs on its own event loop in a background thread
(Hypothesis drives synchronous tests, which do not mix with async fixtures), and the tests talk to it over
real sockets with :mod:`http.client`.
"""

from __future__ import annotations

import asyncio
import copy
import http.client
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.builders import badge
from vcnode.config import load_config
from vcnode.credentials import create_presentation
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.keys.signer import SigningKey
from vcnode.node import Node, initialise
from vcnode.serve.app import SERVER_LIMITS, build_app
from vcnode.status.entries import status_requests
from vcnode.trust.examples import example_documents

NODE_DID = "did:web:example.edu"
FOREIGN_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
PROBLEM = "application/problem+json"
PASSPHRASE = "correct horse battery staple"
# VCNODE_FUZZ_EXAMPLES=1500 for a longer hunt than CI's.
FUZZ = settings(max_examples=int(os.environ.get("VCNODE_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])




class ServerThread:
    """A did:web node behind a real aiohttp server, on an event loop in a background thread."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="vcapi-fuzz-server", daemon=True)
        self.node: Node | None = None
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.token = ""
        self.status_token = ""
        self.with_status: dict[str, Any] = {}
        self.signed: list[dict[str, Any]] = []
        self.presentation: dict[str, Any] = {}

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._setup(), self.loop).result(timeout=120)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._teardown(), self.loop).result(timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()

    async def _setup(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
        env["VCNODE_PASSPHRASE"] = PASSPHRASE
        # A short fetch timeout bounds the few did:web resolutions that leave the node (to 127.0.0.1:1).
        config = load_config(self.home, environ=env, overrides={"domain": "example.edu", "fetch_timeout": 2.0,
                                                                 "allow_http_hosts": ["127.0.0.1"]})
        self.node = await initialise(config, did_method="web", environ=env)
        _, self.token = await self.node.tokens.create(["issue"])
        _, self.status_token = await self.node.tokens.create(["status"])
        self.with_status = (await self.node.credentials.issue(
            badge(NODE_DID, "urn:uuid:5a5a5a5a-0000-4000-8000-000000000001"),
            status=status_requests({"statusPurpose": ["revocation", "suspension"]}))).credential
        for n, suite in enumerate(("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")):
            credential = badge(NODE_DID, f"urn:uuid:5a5a5a5a-0000-4000-8000-00000000001{n}")
            self.signed.append((await self.node.credentials.issue(credential, suite=suite)).credential)
        pair = Ed25519KeyPair.generate()
        holder = SigningKey(f"did:key:{pair.public_multikey}#{pair.public_multikey}", pair)
        self.presentation = create_presentation(self.signed[:1], holder, challenge="abc", domain="employer.example")
        self.runner = web.AppRunner(build_app(self.node), access_log=None, handle_signals=False, **SERVER_LIMITS)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def _teardown(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.node is not None:
            await self.node.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        """One request on a fresh connection: status, Content-Type and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def check(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
              *, allowed_5xx: frozenset[int] = frozenset()) -> dict[str, Any] | None:
        """Send a request and assert the invariants every answer keeps; the problem body of an error."""
        status, content_type, payload = self.request(method, path, body, headers)
        return self.assert_answer(f"{method} {path[:200]}", body, status, content_type, payload,
                                  allowed_5xx=allowed_5xx)

    @staticmethod
    def assert_answer(request: str, body: bytes | None, status: int, content_type: str, payload: bytes,
                      *, allowed_5xx: frozenset[int] = frozenset()) -> dict[str, Any] | None:
        """The invariants: no 5xx (unless documented), every error problem+json; the problem body if any."""
        shown = f"{request} {(body or b'')[:300]!r} -> {status} {payload[:500]!r}"
        assert status < 500 or status in allowed_5xx, shown
        event(f"status {status}")  # --hypothesis-show-statistics: how far the inputs get
        if status < 400:
            return None
        assert content_type == PROBLEM, shown
        problem = json.loads(payload)
        assert problem["status"] == status, shown
        assert all(isinstance(problem.get(m), str) and problem[m] for m in ("type", "title", "detail", "code")), shown
        event(f"code {problem['code']}")
        return problem


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    running = ServerThread(tmp_path_factory.mktemp("fuzz") / "node")
    running.start()
    try:
        yield running
    finally:
        running.stop()


# --- strategies -------------------------------------------------------------------------------------------------

KEYS = ["@context", "id", "type", "issuer", "credentialSubject", "proof", "validFrom", "validUntil", "name",
        "description", "holder", "verifiableCredential", "cryptosuite", "proofValue", "verificationMethod",
        "proofPurpose", "created", "expires", "challenge", "domain", "achievement", "criteria", "credentialStatus",
        "credentialSchema", "evidence", "termsOfUse", "refreshService", "@id", "@type", "@vocab", "@value",
        "@language", "@graph", "@list", "@set", "@index", "@reverse", "@nest", "@protected", "@direction",
        "issuanceDate", "expirationDate", "result", "endorsement", "previousProof", "controller", "nonce",
        "publicKeyMultibase"]
STRINGS = ["", NODE_DID, f"{NODE_DID}#key-1", FOREIGN_DID,
           "did:web:127.0.0.1%3A1", "https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "VerifiableCredential",
           "OpenBadgeCredential", "VerifiablePresentation", "DataIntegrityProof", "Ed25519Signature2020",
           "eddsa-rdfc-2022", "eddsa-jcs-2022", "assertionMethod", "authentication", "2026-01-01T00:00:00Z",
           "-99999-01-01T00:00:00Z", "9999-99-99T99:99:99Z", "z", "u", "zzzz", "urn:uuid:x", "_:b0", "@context"]

keys = st.sampled_from(KEYS) | st.text(max_size=20)
# Values orjson parses (finite floats, 64-bit integers): they reach the checks behind the parser.
scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(STRINGS) | st.text(max_size=40))
json_values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(keys, children, max_size=5), max_leaves=25)
# Values the parser must refuse cleanly: huge integers, NaN and infinities, lone surrogates.
wild_scalars = scalars | st.sampled_from([10**400, -(10**400), 1e308 * 10, float("nan"), "\ud800", "\udfff x"])
wild_values = st.recursive(wild_scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(keys, children, max_size=5), max_leaves=25)
suite_names = st.sampled_from([None, "DataIntegrityProof", "Ed25519Signature2020", "eddsa-rdfc-2022",
                               "eddsa-jcs-2022", "ecdsa-jcs-2019", "ecdsa-rdfc-2019", ""])
purposes = st.sampled_from(["revocation", "suspension", "message", ["revocation", "suspension"], ""])
status_request = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["BitstringStatusListEntry", "StatusList2021Entry"]) | json_values,
    "statusPurpose": purposes | json_values, "statusSize": st.integers(-2, 10) | json_values,
    "statusMessage": st.just([{"status": "0x0", "message": "a"}, {"status": "0x1", "message": "b"}]) | json_values})
options = st.one_of(
    st.fixed_dictionaries({}, optional={"type": suite_names | json_values, "cryptosuite": suite_names | json_values,
                                        "challenge": st.just("abc") | json_values,
                                        "domain": st.just("employer.example") | json_values,
                                        "statusPurpose": purposes | json_values,
                                        "credentialStatus": status_request | st.lists(status_request, max_size=3),
                                        "recognition": st.booleans() | st.just({"framework": "NZQCF"})
                                        | json_values}),
    json_values)
content_types = st.one_of(
    st.sampled_from(["application/json", "application/ld+json", "application/vc+json",
                     "application/json; charset=utf-8", "application/json; charset=latin-1", "APPLICATION/JSON",
                     "text/plain", "text/json",
                     "application/+json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
                     "application/octet-stream", ";", "application/json;;;", "*/*"]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (the root included)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


_GONE = object()


def _child(container: Any, step: Any) -> Any:
    """``container[step]`` when the container (still) has it, else ``_GONE``."""
    if isinstance(container, dict) and step in container:
        return container[step]
    if isinstance(container, list) and isinstance(step, int) and step < len(container):
        return container[step]
    return _GONE


def _mutate(document: Any, edits: list[tuple[tuple[Any, ...], str, Any, Any]]) -> Any:
    """``document`` with each edit applied (replace, delete, add a member, wrap in a list); edits whose
    path an earlier edit removed are skipped."""
    document = copy.deepcopy(document)
    for path, action, key, value in edits:
        if not path:
            document = value if action != "wrap" else [document]
            continue
        parent = document
        for step in path[:-1]:
            parent = _child(parent, step)
        current = _child(parent, path[-1])
        if current is _GONE:
            continue
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(current, dict):
            current[key] = value
        elif action == "wrap":
            parent[path[-1]] = [current, value]
        else:
            parent[path[-1]] = value
    return document


def mutated(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with one to four random edits."""
    edit = st.tuples(st.sampled_from(list(_paths(document))), st.sampled_from(["replace", "delete", "add", "wrap"]),
                     keys, json_values)
    return st.builds(_mutate, st.just(document), st.lists(edit, min_size=1, max_size=4))


TEXT_KEYS = ("name", "description", "narrative")


def _retext(document: Any, texts: list[tuple[tuple[Any, ...], str]]) -> Any:
    """``document`` with the given free-text members replaced (the structure stays valid)."""
    document = copy.deepcopy(document)
    for path, text in texts:
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = text
    return document


def retexted(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with arbitrary Unicode (controls, combining marks, astral) in its free-text members:
    still a valid credential, so it reaches canonicalization and signing."""
    paths = [path for path in _paths(document) if path and path[-1] in TEXT_KEYS]
    return st.builds(_retext, st.just(document),
                     st.lists(st.tuples(st.sampled_from(paths), st.text(max_size=60)), min_size=1, max_size=4))


def nested(depth: int, opener: str, leaf: str = "1") -> str:
    """JSON text nested ``depth`` levels deep (``[`` or ``{"a":``)."""
    closer = "]" if opener == "[" else "}"
    return opener * depth + leaf + closer * depth


def encode(value: Any) -> bytes:
    """JSON as Python writes it: huge integers, NaN and lone surrogates go out as they are."""
    return json.dumps(value).encode()


def bodies(member: str, bases: list[Any]) -> st.SearchStrategy[bytes]:
    """Request bodies for an endpoint whose document goes in ``member``."""
    return st.one_of(
        st.builds(lambda d, o: encode({member: d, "options": o}), st.sampled_from(bases).flatmap(mutated), options),
        st.builds(lambda d: encode({member: d}), st.sampled_from(bases).flatmap(mutated)),
        st.builds(lambda d, o: encode({member: d, "options": o}), json_values, options),
        st.builds(encode, st.dictionaries(st.sampled_from([member, "options"]) | keys, wild_values, max_size=4)),
        st.builds(encode, wild_values),
        st.builds(lambda depth, opener: f'{{"{member}": {nested(depth, opener)}}}'.encode(),
                  st.integers(1, 5000), st.sampled_from(["[", '{"a":'])),
        st.builds(lambda depth: f'{{"{member}": {nested(depth, "[")[:-1]}}}'.encode(), st.integers(1, 500)),
    )


# --- one test per endpoint --------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_issue_never_fails(server: ServerThread, data: st.DataObject) -> None:
    body = data.draw(bodies("credential", [badge(NODE_DID), badge(FOREIGN_DID)])
                     | st.builds(lambda c, o: encode({"credential": c, "options": o}), retexted(badge(NODE_DID)),
                                 st.sampled_from([{}, {"cryptosuite": "eddsa-jcs-2022"},
                                                  {"type": "Ed25519Signature2020"}])))
    status, content_type, payload = server.request(
        "POST", "/credentials/issue", body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {server.token}"})
    server.assert_answer("POST /credentials/issue", body, status, content_type, payload)
    if status == 201:  # what the node signs, the node verifies
        signed = json.loads(payload)["verifiableCredential"]
        problem = server.check("POST", "/credentials/verify", encode({"verifiableCredential": signed}),
                               {"Content-Type": "application/json"})
        assert problem is None, problem


@FUZZ
@given(data=st.data())
def test_verify_never_fails(server: ServerThread, data: st.DataObject) -> None:
    body = data.draw(bodies("verifiableCredential", server.signed))
    server.check("POST", "/credentials/verify", body, {"Content-Type": "application/json"})


@FUZZ
@given(data=st.data())
def test_verify_presentation_never_fails(server: ServerThread, data: st.DataObject) -> None:
    body = data.draw(bodies("verifiablePresentation", [server.presentation]))
    server.check("POST", "/presentations/verify", body, {"Content-Type": "application/json"})


@FUZZ
@given(path=st.sampled_from(["/credentials/issue", "/credentials/verify", "/presentations/verify"]),
       body=st.binary(max_size=2000) | st.builds(encode, wild_values),
       content_type=st.none() | content_types,
       authorization=st.sampled_from([None, "token", "Bearer ", "Bearer vcn_x", "Basic eDp5"])
       | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80))
def test_raw_bodies_and_content_types_never_fail(server: ServerThread, path: str, body: bytes,
                                                 content_type: str | None, authorization: str | None) -> None:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if authorization == "token":
        headers["Authorization"] = f"Bearer {server.token}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    server.check("POST", path, body, headers)


# The resolver's documented server-side answers (tests/integration/test_http_api.py): 501 for a DID method
# or key type it does not implement, 502 when a did:web host cannot be reached. Generated DIDs keep did:web
# on 127.0.0.1:1 (refused at once) so the run never leaves the machine.
RESOLVER_5XX = frozenset({501, 502})
did_texts = st.builds(lambda prefix, rest: prefix + rest,
                      st.sampled_from(["", "did:", "did:key:", "did:key:z6Mk", "did:jwk:", "did:web:127.0.0.1%3A1",
                                       "did:example:", "DID:KEY:", FOREIGN_DID]),
                      st.text(max_size=200))


@FUZZ
@given(did=did_texts, safe=st.sampled_from(["", ":", ":/%", ":/%#?;=@"]),
       accept=st.none() | st.sampled_from(["*/*", "application/did+json", "application/did+ld+json", "text/html",
                                           "application/did-resolution", "application/ld+json;q=0", ",,;q=x"]))
def test_resolve_never_fails(server: ServerThread, did: str, safe: str, accept: str | None) -> None:
    problem = server.check("GET", "/1.0/identifiers/" + quote(did, safe=safe),
                           headers={"Accept": accept} if accept is not None else {}, allowed_5xx=RESOLVER_5XX)
    if problem is not None and problem["status"] >= 500:  # a resolution answer with its metadata, not a crash
        # resolution or dereferencing metadata, by the request; the error is the string code (older drafts) or
        # the current specification's error object, which carries the code
        metadata = next(problem[k] for k in ("didResolutionMetadata", "didDereferencingMetadata",
                                             "dereferencingMetadata") if k in problem)
        error = metadata["error"]
        assert (error if isinstance(error, str) else error["code"]) == problem["code"], problem


@FUZZ
@given(credential_id=st.text(max_size=300) | st.sampled_from(["urn:uuid:2f1a3c1e-5b8e-4c4f-9b0a-7f1e2d3c4b5a", "%",
                                                                  "%zz", "..", "../health", "issue", "verify"]),
       safe=st.sampled_from(["", "/", ":/%"]), with_token=st.booleans())
def test_get_credential_never_fails(server: ServerThread, credential_id: str, safe: str, with_token: bool) -> None:
    headers = {"Authorization": f"Bearer {server.token}"} if with_token else {}
    server.check("GET", "/credentials/" + quote(credential_id, safe=safe), headers=headers)


status_changes = st.fixed_dictionaries({}, optional={
    "credentialId": st.sampled_from(["urn:uuid:5a5a5a5a-0000-4000-8000-000000000001", "urn:uuid:x", ""]) | json_values,
    "credentialStatus": st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["BitstringStatusListEntry", "BitstringStatusList"]) | json_values,
        "statusPurpose": purposes | json_values}) | json_values,
    "status": st.booleans() | st.integers(-5, 300) | json_values, "reason": st.text(max_size=20) | json_values})


@FUZZ
@given(body=st.builds(encode, status_changes) | st.builds(encode, wild_values), with_token=st.booleans())
def test_status_changes_never_fail(server: ServerThread, body: bytes, with_token: bool) -> None:
    headers = {"Content-Type": "application/json"}
    if with_token:
        headers["Authorization"] = f"Bearer {server.status_token}"
    server.check("POST", "/credentials/status", body, headers)
    # Whatever was changed, the credential still verifies or fails with a status code, never a crash.
    server.check("POST", "/credentials/verify", encode({"verifiableCredential": server.with_status}),
                 {"Content-Type": "application/json"})


def _example_statements() -> list[dict[str, Any]]:
    """The example statements, stated by this node (the fuzz's starting points)."""
    roles = ("hk-regulator", "hk-provider", "nz-regulator", "eu-regulator", "eu-provider")
    dids = {role: NODE_DID if role == "hk-regulator" else FOREIGN_DID for role in roles}
    return [d for d in example_documents(dids) if (d["issuer"]["id"] if isinstance(d["issuer"], dict)
                                                   else d["issuer"]) == NODE_DID]


@FUZZ
@given(data=st.data(), with_token=st.booleans())
def test_publish_statement_never_fails(server: ServerThread, data: st.DataObject, with_token: bool) -> None:
    body = data.draw(bodies("statement", _example_statements()))
    headers = {"Content-Type": "application/json"}
    if with_token:
        headers["Authorization"] = f"Bearer {server.token}"
    status, content_type, payload = server.request("POST", "/trust/statements", body, headers)
    server.assert_answer("POST /trust/statements", body, status, content_type, payload)
    if status == 201:  # what the node publishes, it holds and serves
        signed = json.loads(payload)["verifiableCredential"]
        assert server.check("GET", "/trust/statements/" + quote(signed["id"], safe="")) is None


@FUZZ
@given(statement_id=st.text(max_size=200), safe=st.sampled_from(["", ":/%"]))
def test_get_statement_never_fails(server: ServerThread, statement_id: str, safe: str) -> None:
    server.check("GET", "/trust/statements/" + quote(statement_id, safe=safe))


@FUZZ
@given(list_id=st.text(max_size=100), safe=st.sampled_from(["", ":/%"]),
       etag=st.none() | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40))
def test_get_status_list_never_fails(server: ServerThread, list_id: str, safe: str, etag: str | None) -> None:
    server.check("GET", "/status/" + quote(list_id, safe=safe), headers={"If-None-Match": etag} if etag else {})


gossip_messages = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["announce", "pull", "exchange", "push", ""]) | json_values,
    "from": st.sampled_from([FOREIGN_DID, NODE_DID, "did:key:z6Mk"]) | json_values,
    "url": st.sampled_from(["http://127.0.0.1:1", "https://peer.example"]) | json_values,
    "time": st.sampled_from(["2026-11-23T00:00:00Z", "yesterday"]) | json_values,
    "heads": st.lists(st.fixed_dictionaries({"log": st.sampled_from([NODE_DID, FOREIGN_DID]) | json_values,
                                             "seq": st.integers(-1, 2**70) | json_values,
                                             "entry": st.sampled_from(["bafkrei", ""]) | json_values}), max_size=3)
    | json_values,
    "log": json_values, "fromSeq": st.integers(-5, 2**70) | json_values, "peers": json_values,
    "witnesses": json_values, "equivocations": json_values,
    "proof": st.fixed_dictionaries({"type": st.just("DataIntegrityProof"), "cryptosuite": st.just("eddsa-jcs-2022"),
                                    "verificationMethod": st.just(f"{FOREIGN_DID}#{FOREIGN_DID[8:]}"),
                                    "proofPurpose": st.just("assertionMethod"),
                                    "proofValue": st.just("z" + "1" * 87)}) | json_values})


@FUZZ
@given(body=st.builds(encode, gossip_messages) | st.builds(encode, wild_values))
def test_gossip_messages_never_fail(server: ServerThread, body: bytes) -> None:
    server.check("POST", "/p2p/v1/message", body, {"Content-Type": "application/json"})
