"""Claim links in bulk over HTTP (``POST /workflows/claim/batches``): an institution posts its learners and gets
a claim link per learner (JSON or the CSV manifest); a learner's wallet claims the badge with its DID; the same
request again gives back the same links; a changed learner, too many learners, bad rows and the wrong token are
refused with named codes and nothing created. The node's real app, keys and store; the wallet signs with the
project's presentation code."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.builders import did_key_signer
from tests.integration.test_exchanges_http import BASE, NODE_DID, claim, did_of, path, problem
from vcnode.node import Node

ACHIEVEMENT = {"id": "https://hcp.example/achievements/daf", "name": "Data Analytics Fundamentals",
               "description": "Descriptive statistics and dashboards.",
               "criteria": {"narrative": "Pass the assessed project."}, "creditsAvailable": 5}
LEARNERS = [{"email": "aoife@example.org", "name": "Aoife Byrne"},
            {"email": "sean.murphy@example.org", "name": "Seán Murphy"},
            {"email": "niamh@example.org"}]
DAY = (datetime.now(UTC) + timedelta(days=100)).date().isoformat()  # a bare date: the links work to its end
MANIFEST = ["row", "id", "email", "name", "exchangeId", "state", "expires", "interactionUrl", "lcwLink",
            "lcwLegacyLink", "exchangeUrl", "oid4vciOffer", "oid4vciTxCode"]


@pytest.fixture
async def token(web_node: Node) -> str:
    return (await web_node.tokens.create(["exchange"]))[1]


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def stored(node: Node, table: str = "exchanges") -> int:
    """Rows of a table of the node's database, read as another process would."""
    with sqlite3.connect(node.config.home / "vcnode.sqlite3") as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def post_batch(client: TestClient, token: str, body: dict[str, Any], **headers: str) -> Any:
    return await client.post("/workflows/claim/batches", headers=auth(token, **headers), json=body)


async def test_a_batch_gives_each_learner_a_link_that_claims_their_badge(client: TestClient, web_node: Node,
                                                                        token: str) -> None:
    body = {"achievement": ACHIEVEMENT, "learners": LEARNERS, "issuer": {"id": NODE_DID, "name": "Harbour City"},
            "expires": DAY}
    response = await post_batch(client, token, body)
    answer = await response.json()
    assert response.status == 201, answer
    assert answer["count"] == 3 and [e["row"] for e in answer["exchanges"]] == [1, 2, 3]
    assert len({e["exchangeId"] for e in answer["exchanges"]}) == 3
    second = answer["exchanges"][1]
    assert second["state"] == "pending" and second["expires"] == f"{DAY}T23:59:59Z"
    assert second["interactionUrl"] == f"{BASE}/interactions/{second['exchangeId']}?iuv=1"
    assert second["exchangeUrl"] == f"{BASE}/workflows/claim/exchanges/{second['exchangeId']}"
    assert set(second["links"]) == {"interaction", "lcw", "lcwLegacy", "oid4vci"}
    assert second["email"] == "sean.murphy@example.org" and second["name"] == "Seán Murphy"

    # Nothing was signed: the exchange holds the unsigned badge, with no subject id, id or validFrom yet.
    state = await client.get(path(second["exchangeUrl"]), headers=auth(token))
    template = (await state.json())["variables"]["credential"]
    assert "proof" not in template and "id" not in template and "validFrom" not in template
    assert "id" not in template["credentialSubject"]
    assert stored(web_node, "credentials") == 0

    learner = did_key_signer()
    credential = await claim(client, second, learner)
    subject = credential["credentialSubject"]
    assert subject["id"] == did_of(learner) and subject["name"] == "Seán Murphy"
    assert subject["achievement"]["id"] == ACHIEVEMENT["id"]
    assert credential["issuer"] == {"type": ["Profile"], "name": "Harbour City", "id": NODE_DID}
    [identifier] = subject["identifier"]
    assert identifier["identityHash"] == "sha256$" + hashlib.sha256(
        ("sean.murphy@example.org" + identifier["salt"]).encode()).hexdigest()
    assert credential["validFrom"] and credential["credentialStatus"]["statusPurpose"] == "revocation"
    report = await web_node.credentials.verify_credential(credential)
    assert report.verified, report.to_json()
    assert stored(web_node, "credentials") == 1

    # The same request again: the same links, nothing new; the claimed one says so and who claimed it.
    again = await post_batch(client, token, body)
    assert again.status == 201
    replay = (await again.json())["exchanges"]
    assert [e["exchangeId"] for e in replay] == [e["exchangeId"] for e in answer["exchanges"]]
    assert replay[1]["state"] == "complete" and replay[1]["holder"] == did_of(learner)
    assert stored(web_node) == 3

    # A changed learner is refused, naming the row; nothing is created.
    changed = {**body, "learners": [LEARNERS[0], {**LEARNERS[1], "name": "Sean Murphy"}, LEARNERS[2]]}
    refused = await problem(await post_batch(client, token, changed), 409, "exchangeIdInUse")
    assert refused["detail"].startswith("row 2 (learners[1]): ") and second["exchangeId"] in refused["detail"]
    assert stored(web_node) == 3


async def test_the_manifest_as_csv(client: TestClient, token: str) -> None:
    body = {"achievement": ACHIEVEMENT, "learners": LEARNERS}
    response = await post_batch(client, token, body, Accept="text/csv")
    assert response.status == 201 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == MANIFEST and len(rows) == 4
    as_json = (await (await post_batch(client, token, body)).json())["exchanges"]
    for line, exchange in zip(rows[1:], as_json, strict=True):
        record = dict(zip(MANIFEST, line, strict=True))
        assert record["row"] == str(exchange["row"]) and record["exchangeId"] == exchange["exchangeId"]
        assert record["id"] == "" and record["state"] == "pending" and record["email"] == exchange["email"]
        assert record["interactionUrl"] == exchange["interactionUrl"]
        assert record["lcwLink"] == exchange["links"]["lcw"]
        assert record["lcwLegacyLink"] == exchange["links"]["lcwLegacy"]
        # Every link resolves: the interaction URL answers the exchange URL a wallet continues at.
        protocols = await client.get(path(record["interactionUrl"]), headers={"Accept": "application/json"})
        assert (await protocols.json())["protocols"]["vcapi"] == record["exchangeUrl"]
    response = await post_batch(client, token, body, Accept="application/xml")
    await problem(response, 406, "notAcceptable")


async def test_too_many_learners_bad_rows_and_the_wrong_token_create_nothing(client: TestClient, web_node: Node,
                                                                             token: str) -> None:
    web_node.config.exchange_batch_max = 2
    body = {"achievement": ACHIEVEMENT, "learners": LEARNERS}
    detail = (await problem(await post_batch(client, token, body), 413, "batchTooLarge"))["detail"]
    assert "at most 2" in detail and "exchange_batch_max" in detail

    async def bad(learners: list[Any], fragment: str, status: int = 400, code: str = "invalidInput",
                  **extra: Any) -> None:
        response = await post_batch(client, token, {"achievement": ACHIEVEMENT, "learners": learners, **extra})
        assert fragment in (await problem(response, status, code))["detail"]

    await bad([LEARNERS[0], {"email": "not an address"}], "row 2 (learners[1]), column 'email': 'not an address' "
              "is not an email address")
    await bad([{"id": "did:example:123", "email": "a@example.org"}], "row 1 (learners[0]), column 'id': a claim "
              "link issues the badge to the DID the learner's wallet proves")
    await bad([{"name": "No Email"}], "row 1 (learners[0]), column 'email': each learner needs an email")
    await bad([{"email": "a@example.org", "grade": "A"}], "row 1 (learners[0]), column 'grade': unknown")
    await bad([{"email": 7}], "row 1 (learners[0]), column 'email': must be a string")
    await bad([], "learners must be a non-empty list")
    await bad(LEARNERS[:1], "the achievement needs 'criteria'", achievement={"id": "urn:x", "name": "n",
                                                                              "description": "d"})
    await bad(LEARNERS[:1], "favouriteColour", 422, "undefinedTerm",
              achievement={**ACHIEVEMENT, "favouriteColour": "teal"})  # the signing would refuse every claim
    await bad(LEARNERS[:1], "expires is in the past", expires="2001-01-01")
    await bad(LEARNERS[:1], "unsupported cryptosuite", options={"cryptosuite": "rot13"})
    await bad(LEARNERS[:1], "holds no identity", 422, "unknownIssuer", issuer="did:web:elsewhere.example")
    await bad(LEARNERS[:1], "unknown members: colour", colour="teal")

    await problem(await client.post("/workflows/claim/batches", json=body), 401, "unauthorized")
    _, reader = await web_node.tokens.create(["read"])
    await problem(await post_batch(client, reader, body), 403, "forbidden")
    other = (await web_node.identities.create("key", name="faculty")).did
    _, bound = await web_node.tokens.create(["exchange"], identity=other)
    await problem(await post_batch(client, bound, {**body, "learners": LEARNERS[:1], "issuer": NODE_DID}), 403,
                  "forbidden")
    assert stored(web_node) == 0
    # A token bound to an identity prepares claims as that identity by default.
    response = await post_batch(client, bound, {**body, "learners": LEARNERS[:1]})
    assert response.status == 201, await response.text()
    [exchange] = (await response.json())["exchanges"]
    state = await (await client.get(path(exchange["exchangeUrl"]), headers=auth(bound))).json()
    assert state["variables"]["credential"]["issuer"]["id"] == other


async def test_the_same_batch_twice_at_once_makes_each_link_once(client: TestClient, web_node: Node,
                                                                 token: str) -> None:
    body = {"achievement": ACHIEVEMENT, "learners": LEARNERS}
    first, second = await asyncio.gather(post_batch(client, token, body), post_batch(client, token, body))
    assert first.status == second.status == 201
    ids = [[e["exchangeId"] for e in (await response.json())["exchanges"]] for response in (first, second)]
    assert ids[0] == ids[1] and stored(web_node) == 3
