"""The verify page's "Ask the learner's wallet" routes over HTTP (the node's real app on 127.0.0.1, a real store
and keys): an anonymous visitor's form creates a ``present`` exchange whose request is fixed (an Open Badge with
DID Authentication, a short lifetime) whatever the form says; it needs the CSRF token; the page and its state
route answer only with the key the visitor was given; a wallet's answer is shown, an expired request says so.
The whole flow in a browser with the independent LCW client is tests/browser/test_verify_wallet.py."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient, TestServer

from tests.builders import did_key_signer
from tests.integration.test_exchanges_http import Institution, claim, did_of, path, start, unsigned_badge
from vcnode.credentials import create_presentation
from vcnode.http.exchange_routes import EXCHANGES_KEY
from vcnode.node import Node
from vcnode.serve.app import SERVER_LIMITS, build_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_token(client: TestClient) -> str:
    """The CSRF token of this client's session, read from a page's form (the session cookie is kept)."""
    response = await client.get("/desk/login")
    match = CSRF.search(await response.text())
    assert match is not None
    return match.group(1)


async def ask(client: TestClient, **extra: str) -> tuple[str, str]:
    """Press "Ask the learner's wallet": the new exchange's id and the page's key."""
    response = await client.post("/verify/wallet", data={"csrf_token": await csrf_token(client), **extra},
                                 allow_redirects=False)
    assert response.status == 303, await response.text()
    location = urlsplit(response.headers["Location"])
    match = re.fullmatch(r"/verify/wallet/([A-Za-z0-9_-]{22})", location.path)
    assert match is not None, location
    [key] = parse_qs(location.query)["key"]
    return match.group(1), key


async def test_the_form_makes_a_fixed_short_lived_present_exchange(client: TestClient, web_node: Node) -> None:
    # A visitor who adds fields of their own gets the same fixed request: no other workflow, query or lifetime.
    exchange_id, key = await ask(client, workflow="claim", expires="2030-01-01T00:00:00Z",
                                 query='{"issuer": "did:example:x"}', variables='{"pathways": []}')
    record = await web_node.store.get_exchange(exchange_id)
    assert record is not None and record.workflow == "present" and record.owner is None
    exchange = await client.app[EXCHANGES_KEY].get("present", exchange_id)
    assert set(exchange.variables) == {"query", "keepPresentation"}
    assert exchange.variables["query"]["type"] == "OpenBadgeCredential"
    assert set(exchange.variables["query"]) == {"type", "reason"}
    assert 0 < record.expires - time.time() <= web_node.config.verify_wallet_ttl
    # What the wallet gets: an Open Badge by example, and DID Authentication.
    request = await client.post(f"/workflows/present/exchanges/{exchange_id}", json={})
    query = (await request.json())["verifiablePresentationRequest"]["query"]
    assert {q["type"] for q in query} == {"QueryByExample", "DIDAuthentication"}
    page = await client.get(f"/verify/wallet/{exchange_id}", params={"key": key})
    text = await page.text()
    assert page.status == 200 and f"/interactions/{exchange_id}/qr.svg" in text
    assert "https://lcw.app/request?request=" in text


async def test_asking_needs_the_csrf_token(client: TestClient) -> None:
    await csrf_token(client)  # a session, but no token in the form
    response = await client.post("/verify/wallet", data={"x": "1"}, allow_redirects=False)
    assert response.status == 403
    response = await client.post("/verify/wallet", data={"csrf_token": "A" * 43}, allow_redirects=False)
    assert response.status == 403


async def test_only_the_key_opens_the_page_and_its_state(client: TestClient) -> None:
    exchange_id, key = await ask(client)
    other_id, other_key = await ask(client)
    for where in (f"/verify/wallet/{exchange_id}", f"/verify/wallet/{exchange_id}/state"):
        for params in ({}, {"key": ""}, {"key": other_key}, {"key": key[:-1] + ("A" if key[-1] != "A" else "B")}):
            response = await client.get(where, params=params)
            assert response.status == 404, (where, params)
            assert "qr.svg" not in await response.text()
        assert (await client.get(where, params={"key": key})).status == 200
    # An exchange made through the API has no page key: guessing one gets the same 404.
    unknown = await client.get("/verify/wallet/" + "x" * 22, params={"key": key})
    assert unknown.status == 404
    state = await (await client.get(f"/verify/wallet/{other_id}/state", params={"key": other_key})).json()
    assert state["state"] == "pending" and state["finished"] is False


async def test_the_wallets_answer_is_shown(client: TestClient, web_node: Node) -> None:
    _, token = await web_node.tokens.create(["exchange"])
    learner = did_key_signer()
    badge = await claim(client, await Institution(client, token).create("claim", {"credential": unsigned_badge()}),
                        learner)
    exchange_id, key = await ask(client)
    base = str(web_node.config.base_url).rstrip("/")
    exchange: dict[str, Any] = {"interactionUrl": f"{base}/interactions/{exchange_id}?iuv=1",
                                "exchangeUrl": f"{base}/workflows/present/exchanges/{exchange_id}"}
    request = await start(client, exchange)
    state = await (await client.get(f"/verify/wallet/{exchange_id}/state", params={"key": key})).json()
    assert state["state"] == "active"
    presentation = create_presentation([badge], learner, challenge=request["challenge"], domain=request["domain"])
    answer = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
    assert answer.status == 200, await answer.text()
    state = await (await client.get(f"/verify/wallet/{exchange_id}/state", params={"key": key})).json()
    assert state["state"] == "complete" and state["finished"] is True
    page = await client.get(f"/verify/wallet/{exchange_id}", params={"key": key})
    text = await page.text()
    assert page.status == 200 and "Data Analytics Fundamentals" in text
    # Verified again, as full as a pasted presentation, and bound to this request: not "may be a copy".
    assert 'id="verdict" data-state="passed"' in text and "Harbour City Polytechnic" in text
    assert did_of(learner) in text and "Presented by the learner" in text
    assert "may be a copy" not in text


async def test_an_expired_request_says_so(client: TestClient) -> None:
    exchange_id, key = await ask(client)
    service = client.app[EXCHANGES_KEY]
    clock = service.clock
    service.clock = lambda: clock() + 3600
    try:
        state = await (await client.get(f"/verify/wallet/{exchange_id}/state", params={"key": key})).json()
        assert state == {"state": "expired", "finished": True, "refused": None,
                         "message": "The request expired before the learner's wallet answered."}
        page = await client.get(f"/verify/wallet/{exchange_id}", params={"key": key})
        text = await page.text()
        assert page.status == 200 and "expired" in text and 'action="/verify/wallet"' in text
    finally:
        service.clock = clock


async def test_present_exchanges_keep_the_presentation_only_when_asked(client: TestClient, web_node: Node) -> None:
    _, token = await web_node.tokens.create(["exchange"])
    institution = Institution(client, token)
    learner = did_key_signer()
    badge = await claim(client, await institution.create("claim", {"credential": unsigned_badge()}), learner)
    refused = await client.post("/workflows/present/exchanges", headers=institution.auth(),
                                json={"variables": {"keepPresentation": "yes"}})
    assert refused.status == 400 and "keepPresentation" in (await refused.json())["detail"]
    for keep in (True, False, None):
        exchange = await institution.create("present", {} if keep is None else {"keepPresentation": keep})
        request = await start(client, exchange)
        presentation = create_presentation([badge], learner, challenge=request["challenge"],
                                           domain=request["domain"])
        answer = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": presentation})
        assert answer.status == 200, await answer.text()
        result = (await institution.state(exchange))["result"]
        assert result["verified"] is True
        assert result.get("presentation") == (presentation if keep else None)


async def test_asking_counts_against_the_exchanges_rate_limit(web_node: Node) -> None:
    # A node where 127.0.0.1 is not exempt and a client may create two exchanges at once.
    web_node.config.rate_limit_exempt = []
    web_node.config.rate_limit_exchanges, web_node.config.rate_limit_exchanges_burst = 0.01, 2
    server = TestServer(build_app(web_node), host="127.0.0.1")
    await server.start_server(**SERVER_LIMITS)
    async with TestClient(server) as client:
        token = await csrf_token(client)
        statuses = [(await client.post("/verify/wallet", data={"csrf_token": token}, allow_redirects=False)).status
                    for _ in range(3)]
        assert statuses == [303, 303, 429]
        # Reading the page is not an exchange: still served.
        assert (await client.get("/")).status == 200


async def test_a_refused_answer_and_a_cancelled_request_are_said(client: TestClient) -> None:
    exchange_id, key = await ask(client)
    base = "http://127.0.0.1:8080"
    exchange = {"interactionUrl": f"{base}/interactions/{exchange_id}?iuv=1",
                "exchangeUrl": f"{base}/workflows/present/exchanges/{exchange_id}"}
    request = await start(client, exchange)
    wrong = create_presentation([], did_key_signer(), challenge="not-this-one", domain=request["domain"])
    answer = await client.post(path(exchange["exchangeUrl"]), json={"verifiablePresentation": wrong})
    assert answer.status == 400
    state = await (await client.get(f"/verify/wallet/{exchange_id}/state", params={"key": key})).json()
    assert state["state"] == "active" and "challengeMismatch" in state["refused"]
    page = await (await client.get(f"/verify/wallet/{exchange_id}", params={"key": key})).text()
    assert "challengeMismatch" in page
    await client.app[EXCHANGES_KEY].cancel("present", exchange_id)
    state = await (await client.get(f"/verify/wallet/{exchange_id}/state", params={"key": key})).json()
    assert state["state"] == "invalid" and state["finished"] and "cancelled" in state["message"]
