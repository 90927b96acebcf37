"""Status lists over HTTP: issue with status, revoke, suspend and unsuspend, the published lists, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.builders import badge
from tests.integration.test_vcapi import NODE_DID, bearer, expect_json, expect_problem, issue
from vcnode.credentials.model import as_list
from vcnode.node import Node
from vcnode.status.bitstring import MIN_ENTRIES, decode_list, get_entry


@pytest.fixture
async def tokens(web_node: Node) -> dict[str, str]:
    _, issue_token = await web_node.tokens.create(["issue"])
    _, status_token = await web_node.tokens.create(["status"])
    return {"issue": issue_token, "status": status_token}


async def issue_with_status(client: TestClient, token: str, credential_id: str,
                            purposes: Any = ("revocation", "suspension")) -> dict[str, Any]:
    response = await issue(client, token, badge(NODE_DID, credential_id), {"statusPurpose": list(purposes)})
    return (await expect_json(response, 201))["verifiableCredential"]


async def verify(client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/credentials/verify", json={"verifiableCredential": credential})
    return orjson.loads(await response.text())


async def change(client: TestClient, token: str, credential_id: str, purpose: str, status: Any,
                 **extra: Any) -> Any:
    body = {"credentialId": credential_id, "credentialStatus": {"type": "BitstringStatusListEntry",
                                                                "statusPurpose": purpose}, "status": status, **extra}
    return await client.post("/credentials/status", json=body, headers=bearer(token))


def entries(credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["statusPurpose"]: entry for entry in as_list(credential["credentialStatus"])}


async def test_revoke_then_verify_fails(client: TestClient, tokens: dict[str, str], web_node: Node) -> None:
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:11111111-0000-4000-8000-000000000001")
    revocation = entries(credential)["revocation"]
    assert revocation["type"] == "BitstringStatusListEntry" and revocation["statusListIndex"].isdigit()
    assert revocation["statusListCredential"].startswith(web_node.config.base_url + "/status/")
    report = await verify(client, credential)
    assert report["verified"], report
    assert [e["status"] for e in report["results"]["status"]["entries"]] == [0, 0]
    response = await change(client, tokens["status"], credential["id"], "revocation", True, reason="plagiarism")
    update = await expect_json(response, 200)
    assert (update["before"], update["after"]) == (0, 1)
    report = await verify(client, credential)
    assert not report["verified"] and [e["code"] for e in report["errors"]] == ["revoked"]


async def test_suspend_then_unsuspend(client: TestClient, tokens: dict[str, str]) -> None:
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:11111111-0000-4000-8000-000000000002")
    await expect_json(await change(client, tokens["status"], credential["id"], "suspension", True), 200)
    report = await verify(client, credential)
    assert [e["code"] for e in report["errors"]] == ["suspended"]
    await expect_json(await change(client, tokens["status"], credential["id"], "suspension", False), 200)
    assert (await verify(client, credential))["verified"]


async def test_the_published_list_is_signed_cacheable_and_carries_the_bit(client: TestClient,
                                                                          tokens: dict[str, str]) -> None:
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:11111111-0000-4000-8000-000000000003",
                                         ["revocation"])
    entry = entries(credential)["revocation"]
    path = entry["statusListCredential"].split("://", 1)[1].split("/", 1)[1]
    first = await client.get("/" + path)
    assert first.status == 200 and "json" in first.headers["Content-Type"]
    assert first.headers["Cache-Control"].startswith("public, max-age=") and first.headers["ETag"]
    listed = orjson.loads(await first.read())
    assert "BitstringStatusListCredential" in listed["type"] and listed["issuer"] == NODE_DID
    assert (await verify(client, listed))["verified"]
    bits = decode_list(listed["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == MIN_ENTRIES and get_entry(bits, int(entry["statusListIndex"])) == 0
    unchanged = await client.get("/" + path, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status == 304
    await expect_json(await change(client, tokens["status"], credential["id"], "revocation", True), 200)
    second = await client.get("/" + path, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status == 200 and second.headers["ETag"] != first.headers["ETag"]
    bits = decode_list(orjson.loads(await second.read())["credentialSubject"]["encodedList"])
    assert get_entry(bits, int(entry["statusListIndex"])) == 1


async def test_many_changes_re_sign_the_list_once(client: TestClient, tokens: dict[str, str],
                                                  web_node: Node) -> None:
    ids = [f"urn:uuid:22222222-0000-4000-8000-{n:012d}" for n in range(5)]
    credentials = [await issue_with_status(client, tokens["issue"], i, ["revocation"]) for i in ids]
    url = entries(credentials[0])["revocation"]["statusListCredential"]
    list_id = url.rsplit("/", 1)[1]
    before = await web_node.status.published(list_id)
    for credential_id in ids:
        await web_node.status.update(credential_id, "revocation", 1, actor="test")
    record = await web_node.store.get_status_list(list_id)
    assert record.version == before.version + 5 and record.published_version == before.version
    after = await web_node.status.published(list_id)
    record = await web_node.store.get_status_list(list_id)
    assert record.published_version == after.version == before.version + 5
    bits = decode_list(orjson.loads(after.document)["credentialSubject"]["encodedList"])
    assert all(get_entry(bits, int(entries(c)["revocation"]["statusListIndex"])) for c in credentials)


async def test_every_change_is_in_the_audit_log(client: TestClient, tokens: dict[str, str], web_node: Node) -> None:
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:11111111-0000-4000-8000-000000000004")
    await expect_json(await change(client, tokens["status"], credential["id"], "suspension", True,
                                   reason="under review"), 200)
    await expect_json(await change(client, tokens["status"], credential["id"], "suspension", False), 200)
    log = await web_node.status.log(credential["id"])
    assert [(e["before"], e["after"], e["reason"]) for e in log] == [(1, 0, None), (0, 1, "under review")]
    assert log[0]["actor"].startswith("token:")


async def test_status_changes_need_a_status_token(client: TestClient, tokens: dict[str, str]) -> None:
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:11111111-0000-4000-8000-000000000005")
    await expect_problem(await change(client, "", credential["id"], "revocation", True), 401)
    await expect_problem(await change(client, tokens["issue"], credential["id"], "revocation", True), 403)


async def test_status_of_an_unknown_credential_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    await expect_problem(await change(client, tokens["status"], "urn:uuid:nope", "revocation", True), 404)


async def test_status_of_a_credential_issued_without_status_is_409(client: TestClient,
                                                                   tokens: dict[str, str]) -> None:
    credential_id = "urn:uuid:11111111-0000-4000-8000-000000000006"
    await expect_json(await issue(client, tokens["issue"], badge(NODE_DID, credential_id)), 201)
    await expect_problem(await change(client, tokens["status"], credential_id, "revocation", True), 409)


@pytest.mark.parametrize("body", [
    {}, {"credentialId": 5}, {"credentialId": "urn:x", "status": True},
    {"credentialId": "urn:x", "credentialStatus": {"type": "Other", "statusPurpose": "revocation"}, "status": True},
    {"credentialId": "urn:x", "credentialStatus": {"type": "BitstringStatusListEntry"}, "status": True},
    {"credentialId": "urn:x", "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
     "status": "yes"},
])
async def test_malformed_status_changes_are_400(client: TestClient, tokens: dict[str, str], body: Any) -> None:
    response = await client.post("/credentials/status", json=body, headers=bearer(tokens["status"]))
    await expect_problem(response, 400)


@pytest.mark.parametrize("options", [{"statusPurpose": 7}, {"credentialStatus": {"type": "StatusList2021Entry"}},
                                     {"statusPurpose": ["revocation", "revocation"]},
                                     {"credentialStatus": {"statusPurpose": "message", "statusSize": 2}}])
async def test_malformed_status_requests_on_issue_are_400(client: TestClient, tokens: dict[str, str],
                                                          options: Any) -> None:
    await expect_problem(await issue(client, tokens["issue"], badge(NODE_DID), options), 400)


async def test_an_unknown_list_is_404(client: TestClient) -> None:
    await expect_problem(await client.get("/status/no-such-list"), 404)


async def test_message_lists_report_the_message(client: TestClient, tokens: dict[str, str]) -> None:
    messages = [{"status": "0x0", "message": "valid"}, {"status": "0x1", "message": "pending review"},
                {"status": "0x2", "message": "withdrawn by the learner"}, {"status": "0x3", "message": "other"}]
    request = {"type": "BitstringStatusListEntry", "statusPurpose": "message", "statusSize": 2,
               "statusMessage": messages}
    credential_id = "urn:uuid:11111111-0000-4000-8000-000000000007"
    response = await issue(client, tokens["issue"], badge(NODE_DID, credential_id), {"credentialStatus": request})
    credential = (await expect_json(response, 201))["verifiableCredential"]
    await expect_json(await change(client, tokens["status"], credential_id, "message", 2), 200)
    report = await verify(client, credential)
    assert report["verified"]  # a message is information, not a failure
    [result] = report["results"]["status"]["entries"]
    assert (result["status"], result["message"]) == (2, "withdrawn by the learner")


@pytest.mark.parametrize("entry", [
    {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": True,
     "statusListCredential": "https://example.com/status/1"},
    {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "-1",
     "statusListCredential": "https://example.com/status/1"},
    {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "007",
     "statusListCredential": "https://example.com/status/1"},
    {"type": "BitstringStatusListEntry", "statusPurpose": "", "statusListIndex": "7",
     "statusListCredential": "https://example.com/status/1"},
    {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "7",
     "statusListCredential": "not a url"},
])
async def test_a_malformed_entry_written_by_the_caller_is_not_signed(client: TestClient, tokens: dict[str, str],
                                                                     entry: dict[str, Any]) -> None:
    credential = {**badge(NODE_DID), "credentialStatus": entry}
    problem = await expect_problem(await issue(client, tokens["issue"], credential), 422)
    assert "malformedValue" in [e["code"] for e in problem["errors"]]


async def test_a_message_list_needs_a_message_for_every_value(client: TestClient, tokens: dict[str, str]) -> None:
    request = {"statusPurpose": "message", "statusSize": 2,
               "statusMessage": [{"status": "0x0", "message": "valid"}, {"status": "0x1", "message": "pending"}]}
    await expect_problem(await issue(client, tokens["issue"], badge(NODE_DID), {"credentialStatus": request}), 400)


async def test_a_revocation_cannot_be_undone(client: TestClient, tokens: dict[str, str]) -> None:
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:11111111-0000-4000-8000-000000000008")
    await expect_json(await change(client, tokens["status"], credential["id"], "revocation", True), 200)
    await expect_problem(await change(client, tokens["status"], credential["id"], "revocation", False), 409,
                         "revocationIrreversible")
    assert [e["code"] for e in (await verify(client, credential))["errors"]] == ["revoked"]


async def test_a_vc_1_1_credential_gets_the_status_context(client: TestClient, tokens: dict[str, str]) -> None:
    credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                  "id": "urn:uuid:11111111-0000-4000-8000-0000000000aa", "type": ["VerifiableCredential"],
                  "issuer": NODE_DID, "issuanceDate": "2026-01-01T00:00:00Z",
                  "credentialSubject": {"id": "did:example:learner"}}
    response = await issue(client, tokens["issue"], credential, {"statusPurpose": "revocation"})
    signed = (await expect_json(response, 201))["verifiableCredential"]
    assert "https://www.w3.org/ns/credentials/status/v1" in signed["@context"]
    assert (await verify(client, signed))["verified"]


async def test_an_unchanged_list_is_re_signed_and_anchored_every_heartbeat(client: TestClient,
                                                                          tokens: dict[str, str],
                                                                          web_node: Node) -> None:
    # Peers let a replica vouch only while its anchored copy is young (replica_max_age), so an issuer keeps
    # anchoring fresh copies of lists that do not change, or its credentials would fail as statusStale
    # everywhere as soon as it went offline.
    credential = await issue_with_status(client, tokens["issue"], "urn:uuid:33333333-0000-4000-8000-000000000001",
                                         ["revocation"])
    list_id = entries(credential)["revocation"]["statusListCredential"].rsplit("/", 1)[1]
    await web_node.status.publish_changed()
    assert await web_node.status.publish_changed() == 0  # signed just now: nothing to do
    head = await web_node.anchors.store.head(NODE_DID)
    record = await web_node.store.get_status_list(list_id)
    # As if seven hours had passed: the copy was signed longer ago than the six-hour heartbeat.
    signed = datetime.now(UTC) - timedelta(hours=7)
    until = signed + timedelta(seconds=web_node.config.status_list_validity)
    await web_node.store.publish_status_list(list_id, record.published_version, record.published, until.isoformat())
    assert await web_node.status.publish_changed() == 1
    assert (await web_node.anchors.store.head(NODE_DID))["seq"] == head["seq"] + 1
    assert await web_node.status.publish_changed() == 0
