"""Arbitrary requests never make the exchange routes fail, and junk never completes an exchange.

Every route of issue 13 (``POST /workflows/{w}/exchanges``; ``GET``/``POST``/``DELETE`` of an exchange; its
``/protocols``, ``/request`` and ``/credential-request``; ``GET /interactions/{id}``) gets junk bodies, junk ids
and junk presentations (wrong types in every member, huge arrays, deep nesting, DIDs of every sort). Every
answer is < 500 and every 4xx is problem+json with a ``code``; an exchange a wallet sent junk to is never
``complete``; and the node signs nothing it was not asked to: creating exchanges issues nothing, a claim
issues exactly one credential exactly when it completes. Reuses the VC API fuzz server (a real node on
127.0.0.1 in a background thread); examples are bounded so the module runs in seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import badge, did_key_signer
from tests.integration.test_vcapi_fuzz import (
    FOREIGN_DID,
    FUZZ,
    NODE_DID,
    ServerThread,
    bodies,
    content_types,
    encode,
    json_values,
    keys,
    mutated,
    nested,
    options,
    wild_values,
)
from vcnode.credentials import create_presentation

# Forty examples a test keep the module to seconds; VCNODE_FUZZ_EXAMPLES=1500 for a longer hunt.
EXCHANGE_FUZZ = settings(FUZZ, max_examples=int(os.environ.get("VCNODE_FUZZ_EXAMPLES", "40")))
JSON = {"Content-Type": "application/json"}
VC_V2 = "https://www.w3.org/ns/credentials/v2"


def unsigned_badge(issuer: str = NODE_DID) -> dict[str, Any]:
    credential = badge(issuer)
    del credential["id"]
    credential["credentialSubject"].pop("id")
    return credential


class ExchangeServer(ServerThread):
    """The fuzz server, plus a token of the ``exchange`` scope and a learner holding one of the node's badges."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.exchange_token = ""
        self.learner = did_key_signer()
        self.held: dict[str, Any] = {}

    async def _exchange_setup(self) -> None:
        assert self.node is not None
        _, self.exchange_token = await self.node.tokens.create(["exchange"])
        held = badge(NODE_DID, "urn:uuid:5a5a5a5a-0000-4000-8000-0000000000e1")
        held["credentialSubject"]["id"] = self.learner_did
        self.held = (await self.node.credentials.issue(held, suite="eddsa-jcs-2022")).credential

    def start(self) -> None:
        super().start()
        asyncio.run_coroutine_threadsafe(self._exchange_setup(), self.loop).result(timeout=120)

    @property
    def learner_did(self) -> str:
        return self.learner.verification_method.split("#", 1)[0]

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.exchange_token}"}

    def issued(self) -> int:
        """How many credentials the node has stored (read from its database, as another process would)."""
        assert self.node is not None
        with sqlite3.connect(f"file:{self.node.config.database_path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM credentials").fetchone()[0])

    def create(self, workflow: str, variables: dict[str, Any]) -> dict[str, Any]:
        status, _, payload = self.request("POST", f"/workflows/{workflow}/exchanges",
                                          encode({"variables": variables}), {**JSON, **self.auth()})
        assert status == 201, payload
        return json.loads(payload)

    def state(self, exchange: dict[str, Any]) -> dict[str, Any]:
        status, _, payload = self.request("GET", path(exchange["exchangeUrl"]), headers=self.auth())
        assert status == 200, payload
        return json.loads(payload)

    def vp_request(self, exchange: dict[str, Any]) -> dict[str, Any]:
        status, _, payload = self.request("POST", path(exchange["exchangeUrl"]), b"{}", JSON)
        assert status == 200, payload
        return json.loads(payload)["verifiablePresentationRequest"]

    def prepare(self) -> None:
        """Make what a module's tests need once the server runs (nothing here; subclasses add theirs)."""

    def oauth(self, method: str, route: str, body: bytes | None, headers: dict[str, str]) -> None:
        """Send; assert no 5xx and an OAuth error for every 4xx but 429."""
        status, content_type, payload = self.request(method, route, body, headers)
        shown = f"{method} {route} {(body or b'')[:200]!r} -> {status} {payload[:300]!r}"
        assert status < 500, shown
        if 400 <= status < 500 and status != 429:
            assert content_type.startswith("application/json"), shown
            answer = json.loads(payload)
            assert isinstance(answer.get("error"), str) and isinstance(answer.get("error_description"), str), shown


def path(url: str) -> str:
    """The node-relative path of one of its URLs."""
    return urlsplit(url).path


Served = TypeVar("Served", bound="ExchangeServer")


def serving(server: type[Served], tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Served]:
    """A module's fuzzing server of class ``server``: started, prepared (its exchanges made), stopped at the end."""
    running = server(tmp_path_factory.mktemp(name) / "node")
    running.start()
    try:
        running.prepare()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeServer]:
    yield from serving(ExchangeServer, tmp_path_factory, "exchanges-fuzz")


# --- strategies -------------------------------------------------------------------------------------------------

WORKFLOWS = st.sampled_from(["claim", "present"])
# Ids: ours are 22 URL-safe characters; these are anything, long, Unicode, already percent-encoded, or dots.
exchange_ids = (st.text(max_size=60) | st.text(min_size=120, max_size=400)
                | st.sampled_from(["", ".", "..", "%", "%00", "%2F", "%252F", "a/b", "a?b", "a#b", "\u00e9t\u00e9",
                                   "\U0001f600", "x" * 129, "x" * 5000, "AAAAAAAAAAAAAAAAAAAAAA"]))
safe_sets = st.sampled_from(["", "/", ":/%", "%?#/"])
junk_dids = st.sampled_from([FOREIGN_DID, NODE_DID, "did:example:123", "did:web:127.0.0.1%3A1", "did:key:z6Mk",
                             "did:key:" + "z" * 300, "did:jwk:e30", "did:peer:2.Ez6Mk", "did:ion:x", "not a did",
                             "", "DID:KEY:Z6MK", "did:webvh:Qm:127.0.0.1%3A1"])
expires_values = st.sampled_from([
    "2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "2026-13-01T00:00:00Z",
    "2027-01-01T00:00:00", "2027-01-01", "tomorrow", "", "ZZ", "2027-01-01T00:00:00.123456789Z",
    "+10000-01-01T00:00:00Z", "2027-01-01T00:00:00+25:00", "2027-01-01T00:00:00Z\u0000"]) | json_values
redirects = st.sampled_from(["https://employer.example/thanks", "javascript:alert(1)", "ftp://x", "http://", "",
                             "https://" + "a" * 3000]) | json_values
claim_variables = st.fixed_dictionaries({"credential": st.just(unsigned_badge()).flatmap(mutated)
                                         | st.sampled_from([unsigned_badge(), unsigned_badge(FOREIGN_DID)])},
                                        optional={"options": options, "redirectUrl": redirects,
                                                  "extra": json_values})
present_variables = st.fixed_dictionaries({}, optional={
    "query": st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["OpenBadgeCredential", ""]) | json_values, "issuer": junk_dids | json_values,
        "achievement": st.text(max_size=3000) | json_values, "reason": st.text(max_size=40) | json_values})
    | json_values,
    "recognition": st.booleans() | st.just({"framework": "NZQCF"}) | json_values,
    "pathways": st.lists(st.text(max_size=40), max_size=120) | json_values, "redirectUrl": redirects,
    "credential": json_values})
create_bodies = st.one_of(
    st.builds(lambda v, e: encode({"variables": v, "expires": e}), claim_variables | present_variables,
              expires_values),
    st.builds(lambda v: encode({"variables": v}), claim_variables | present_variables | json_values),
    st.builds(encode, st.dictionaries(st.sampled_from(["variables", "expires", "openId"]) | keys, wild_values,
                                      max_size=4)),
    st.builds(encode, wild_values),
    st.builds(lambda depth: f'{{"variables": {{"credential": {nested(depth, "[")}}}}}'.encode(),
              st.integers(1, 3000)),
)

MEMBERS = ["@context", "type", "holder", "verifiableCredential", "proof", "id"]
PROOF_MEMBERS = ["type", "cryptosuite", "proofPurpose", "verificationMethod", "challenge", "domain", "created",
                 "proofValue"]


def presentation(server: ExchangeServer, request: dict[str, Any], credentials: list[Any],
                 challenge: str | None = None, domain: str | None = None) -> dict[str, Any]:
    """A presentation by the learner, signed for the request (or another challenge or domain)."""
    return create_presentation(credentials, server.learner, challenge=challenge or request["challenge"],
                               domain=domain or request["domain"], suite="Ed25519Signature2020")


def wrong_type(original: Any) -> st.SearchStrategy[Any]:
    """Values of another JSON type than ``original`` that do not hold it either: JSON-LD reads ``"x"``,
    ``["x"]`` and ``[["x"]]`` alike, and ``null`` as ``[]``, so those would be the same presentation, not junk."""
    kinds = (list, str) if isinstance(original, list) else (type(original),)
    return wild_values.filter(lambda v: not isinstance(v, kinds) and json.dumps(original) not in json.dumps(v)
                              and (bool(original) or v not in (None, {})))


def junk_presentation(server: ExchangeServer, request: dict[str, Any], data: st.DataObject) -> Any:
    """A presentation that must be refused: wrong types in its members or its proof's, huge arrays, deep
    nesting, holders of every kind, another exchange's challenge or domain, or no object at all."""
    kind = data.draw(st.sampled_from(["members", "proof", "huge", "deep", "holder", "challenge", "domain",
                                      "other"]))
    valid = presentation(server, request, [])
    if kind == "members":
        names = data.draw(st.sets(st.sampled_from(MEMBERS), min_size=1, max_size=4))
        return {**valid, **{name: data.draw(wrong_type(valid.get(name, []))) for name in names}}
    if kind == "proof":
        names = data.draw(st.sets(st.sampled_from(PROOF_MEMBERS), min_size=1, max_size=4))
        proof = valid["proof"]
        return {**valid, "proof": {**proof, **{name: data.draw(wrong_type(proof.get(name, ""))) for name in names}}}
    if kind == "huge":
        member = data.draw(st.sampled_from(["verifiableCredential", "@context", "type", "proof"]))
        item = data.draw(st.sampled_from([server.held, {}, 1, "x", None]))  # (the valid proof a thousand
        # times over is a valid proof set, and cheap: verifying one proof caches for the others)
        return {**valid, member: [item] * data.draw(st.integers(100, 3000))}
    if kind == "deep":
        member = data.draw(st.sampled_from(MEMBERS))
        deep = json.loads(nested(data.draw(st.integers(10, 62)), data.draw(st.sampled_from(["[", '{"a":'])), '"x"'))
        return {**valid, member: deep}
    if kind == "holder":
        holder = data.draw(junk_dids | st.builds(lambda d: {"id": d}, junk_dids) | json_values)
        signed = presentation(server, request, [])
        return {**signed, "holder": holder}
    if kind == "challenge":
        return presentation(server, request, [], challenge=data.draw(st.sampled_from(["x", "other-challenge"])))
    if kind == "domain":
        return presentation(server, request, [], domain=data.draw(st.sampled_from(["https://evil.example",
                                                                                   "http://127.0.0.1:8081"])))
    return data.draw(wild_values)


def participate(server: ExchangeServer, exchange: dict[str, Any], body: bytes, route: str = "") -> tuple[int, Any]:
    """Send ``body`` to the exchange (or one of its sub-routes), check the answer's invariants, and return
    its status and body."""
    url = path(exchange["exchangeUrl"]) + route
    status, content_type, payload = server.request("POST", url, body, JSON)
    server.assert_answer(f"POST {url}", body, status, content_type, payload)
    return status, json.loads(payload)


# --- creating ---------------------------------------------------------------------------------------------------


@EXCHANGE_FUZZ
@given(workflow=WORKFLOWS | st.text(max_size=20), body=create_bodies, with_token=st.booleans())
def test_create_never_fails_and_never_signs(server: ExchangeServer, workflow: str, body: bytes,
                                            with_token: bool) -> None:
    before = server.issued()
    url = f"/workflows/{quote(workflow, safe='')}/exchanges"
    status, content_type, payload = server.request("POST", url, body, {**JSON, **(server.auth() if with_token
                                                                                    else {})})
    server.assert_answer(f"POST {url}", body, status, content_type, payload)
    assert server.issued() == before, "creating an exchange signs nothing"
    if status == 201:
        created = json.loads(payload)
        assert created["state"] == "pending" and with_token
        assert server.state(created)["variables"] == json.loads(body).get("variables", {})


# --- ids --------------------------------------------------------------------------------------------------------

ROUTES = [("GET", "/workflows/{w}/exchanges/{x}"), ("POST", "/workflows/{w}/exchanges/{x}"),
          ("DELETE", "/workflows/{w}/exchanges/{x}"), ("GET", "/workflows/{w}/exchanges/{x}/protocols"),
          ("GET", "/workflows/{w}/exchanges/{x}/request"),
          ("POST", "/workflows/claim/exchanges/{x}/credential-request"), ("GET", "/interactions/{x}?iuv=1"),
          ("GET", "/interactions/{x}")]


@EXCHANGE_FUZZ
@given(route=st.sampled_from(ROUTES), workflow=WORKFLOWS | st.text(max_size=30), exchange_id=exchange_ids,
       safe=safe_sets, with_token=st.booleans())
def test_junk_ids_never_fail(server: ExchangeServer, route: tuple[str, str], workflow: str, exchange_id: str,
                             safe: str, with_token: bool) -> None:
    method, template = route
    url = template.replace("{w}", quote(workflow, safe=safe)).replace("{x}", quote(exchange_id, safe=safe))
    headers = {**JSON, **(server.auth() if with_token else {})}
    problem = server.check(method, url, b"{}" if method == "POST" else None, headers)
    assert problem is not None and problem["status"] in (400, 401, 404, 405), problem


# --- a wallet's messages ----------------------------------------------------------------------------------------


@EXCHANGE_FUZZ
@given(data=st.data(), workflow=WORKFLOWS, legacy=st.booleans())
def test_junk_presentations_never_complete_an_exchange(server: ExchangeServer, data: st.DataObject, workflow: str,
                                                       legacy: bool) -> None:
    variables = {"credential": unsigned_badge()} if workflow == "claim" else {"query": {"issuer": NODE_DID}}
    exchange = server.create(workflow, variables)
    request = server.vp_request(exchange)
    junk = junk_presentation(server, request, data)
    before = server.issued()
    legacy = legacy and workflow == "claim"
    body = encode(junk if legacy and data.draw(st.booleans()) else {"verifiablePresentation": junk})
    status, problem = participate(server, exchange, body, "/credential-request" if legacy else "")
    assert status in (400, 413), (status, problem)
    state = server.state(exchange)
    assert state["state"] == "active" and "result" not in state, state
    assert server.issued() == before, "junk issued a credential"


@EXCHANGE_FUZZ
@given(data=st.data(), workflow=WORKFLOWS)
def test_junk_messages_never_complete_an_exchange(server: ExchangeServer, data: st.DataObject,
                                                  workflow: str) -> None:
    variables = {"credential": unsigned_badge()} if workflow == "claim" else {}
    exchange = server.create(workflow, variables)
    request = server.vp_request(exchange)
    valid = {"verifiablePresentation": presentation(server, request, [])}
    body = data.draw(
        st.builds(encode, st.dictionaries(st.sampled_from(["verifiablePresentation", "referenceId",
                                                           "verifiablePresentationRequest", "redirectUrl"]) | keys,
                                          wild_values, min_size=1, max_size=4)
                  .filter(lambda m: set(m) - {"referenceId"}))
        | bodies("verifiablePresentation", [valid["verifiablePresentation"]]).filter(lambda b: b != encode(valid))
        | st.builds(lambda depth: f'{{"verifiablePresentation": {nested(depth, "[")}}}'.encode(),
                    st.integers(60, 5000))
        | st.binary(max_size=300))
    before = server.issued()
    status, reply = participate(server, exchange, body)
    state = server.state(exchange)
    if status == 200 and "verifiablePresentationRequest" in reply:  # {} or {"referenceId"}: started again
        assert state["state"] == "active" and server.issued() == before
    elif status == 200:  # an edit that leaves the signed presentation as it was (a JSON-LD keyword it ignores…)
        assert state["state"] == "complete" and state["holder"] == server.learner_did
        assert server.issued() == before + (workflow == "claim")
    else:
        assert state["state"] == "active" and "result" not in state, state
        assert server.issued() == before


@EXCHANGE_FUZZ
@given(data=st.data())
def test_present_reports_junk_credentials_and_issues_nothing(server: ExchangeServer, data: st.DataObject) -> None:
    """A presentation that verifies, carrying edited or junk credentials: the exchange completes (the report is
    the answer the employer asked for) and says the credentials did not verify."""
    exchange = server.create("present", {"query": {"issuer": NODE_DID}})
    request = server.vp_request(exchange)
    credentials = data.draw(st.lists(mutated(server.held) | json_values, min_size=1, max_size=3))
    try:
        signed = presentation(server, request, credentials)
    except Exception:  # values the suite cannot sign (huge integers, bad JSON-LD): nothing to present
        return
    before = server.issued()
    status, problem = participate(server, exchange, encode({"verifiablePresentation": signed}))
    assert server.issued() == before
    state = server.state(exchange)
    if status == 200:
        assert state["state"] == "complete"
        result = state["result"]
        for credential, line in zip(credentials, result["credentials"], strict=False):
            if credential == server.held:
                assert line["verified"], line
            if not isinstance(credential, dict):
                assert not line["verified"], line
            if line["verified"]:
                assert line["proofVerified"] and line["holderBinding"] == "passed" and line["matchesQuery"], line
        assert result["verified"] is (bool(result["credentials"]) and all(c["verified"] for c in result["credentials"]))
    else:
        assert state["state"] == "active" and problem["code"], state


@EXCHANGE_FUZZ
@given(route=st.sampled_from(["", "/credential-request"]),
       body=st.binary(max_size=500) | st.builds(encode, wild_values), content_type=st.none() | content_types)
def test_raw_bodies_and_content_types_never_fail(server: ExchangeServer, route: str, body: bytes,
                                                 content_type: str | None) -> None:
    exchange = server.create("claim", {"credential": unsigned_badge()})
    before = server.issued()
    url = path(exchange["exchangeUrl"]) + route
    headers = {"Content-Type": content_type} if content_type is not None else {}
    status, content_type_, payload = server.request("POST", url, body, headers)
    server.assert_answer(f"POST {url}", body, status, content_type_, payload)
    assert status != 200 or route == "", payload  # the legacy route takes only a signed presentation
    assert server.state(exchange)["state"] in ("pending", "active")
    assert server.issued() == before
