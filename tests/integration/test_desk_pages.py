"""The institution desk's pages over HTTP, on a real node (``vcnode serve`` on 127.0.0.1), driven as a browser
would (cookies, forms with their CSRF field): each page refuses a token without its scope (a 403 page), a token
bound to one identity sees and acts for that identity only, a form without the CSRF field changes nothing,
what a person types (achievement, learner) is escaped wherever it is shown, and a revocation is irreversible.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from tests.ops_node import OpsNode

XSS_NAME = "<script>alert('name')</script> Data Skills"
XSS_DESCRIPTION = "<img src=x onerror=alert('description')>"
XSS_LEARNER = "\"><svg onload=alert('learner')>"
XSS_CRITERIA = "</textarea><script>alert('criteria')</script>"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsNode]:
    """One node for the module, with a second identity ("other")."""
    served = OpsNode(tmp_path_factory.mktemp("desk"))
    served.cli("identity", "create", "--did-method", "key", "--name", "other")
    served.start()
    yield served
    served.stop()


def other_did(node: OpsNode) -> str:
    return next(i["did"] for i in json.loads(node.cli("identity", "list", "--json")) if i["did"] != node.did)


class Desk:
    """A browser's session on the desk: cookies, and forms sent with the CSRF field of the page they are on."""

    def __init__(self, node: OpsNode, session: aiohttp.ClientSession) -> None:
        self.node, self.session = node, session

    async def get(self, path: str) -> tuple[int, str, str]:
        async with self.session.get(self.node.url + path) as response:
            return response.status, await response.text(), str(response.url)

    async def csrf(self, path: str = "/desk/login") -> str:
        _, text, _ = await self.get(path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert found, text[-500:]
        return found.group(1)

    async def post(self, path: str, form: dict[str, str], *, csrf: bool = True) -> tuple[int, str, str]:
        data = {**form, **({"csrf_token": await self.csrf("/desk/login")} if csrf else {})}
        async with self.session.post(self.node.url + path, data=data) as response:
            return response.status, await response.text(), str(response.url)

    async def log_in(self, token: str) -> None:
        status, _, url = await self.post("/desk/login", {"token": token, "next": "/desk"})
        assert status == 200 and url.endswith("/desk"), (status, url)

    async def issue(self, *, issuer: str | None = None, delivery: str = "sign", **fields: str) -> tuple[int, str, str]:
        _, page, _ = await self.get("/desk/issue")
        request_id = re.search(r'name="request_id" value="([^"]+)"', page)
        form = {"request_id": fields.pop("request_id", request_id.group(1) if request_id else ""),
                "issuer": issuer or self.node.did,
                "achievement_choice": "new", "achievement_name": "Data Skills", "achievement_description": "Basics",
                "achievement_criteria": "Passed the test", "achievement_type": "Badge", "achievement_image": "",
                "learner_name": "Chan Tai Man", "learner_email": "tai.man@example.org", "learner_id": "",
                "delivery": delivery, **fields}
        return await self.post("/desk/issue", form)


@pytest.fixture
async def desk(node: OpsNode) -> AsyncIterator[Any]:
    """Make desks (each its own browser session) logged in with a token of the given scopes."""
    sessions: list[aiohttp.ClientSession] = []

    async def make(scopes: str, identity: str | None = None) -> Desk:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(session)
        made = Desk(node, session)
        args = ["token", "create", "--scope", scopes, *(["--identity", identity] if identity else [])]
        await made.log_in(node.cli(*args).strip())
        return made

    yield make
    for session in sessions:
        await session.close()


def credential_id(url: str) -> str:
    found = re.search(r"[?&]id=([^&]+)", url)
    assert found, url
    from urllib.parse import unquote
    return unquote(found.group(1))


async def test_each_part_refuses_a_token_without_its_scope(desk: Any, node: OpsNode) -> None:
    issuer = await desk("issue,read")
    _, _, url = await issuer.issue()
    issued = credential_id(url)
    reader = await desk("read")
    status, text, _ = await reader.get("/desk/issue")
    assert status == 403 and "issue scope" in text and "<h1>Not allowed</h1>" in text
    status, text, _ = await reader.issue()
    assert status == 403
    status, text, _ = await reader.post("/desk/credential/status", {"id": issued, "action": "suspend",
                                                                    "reason": "r"})
    assert status == 403 and "status scope" in text
    signer = await desk("issue")
    status, text, _ = await signer.get("/desk/audit")
    assert status == 403 and "read scope" in text
    status, _, _ = await signer.issue(delivery="claim")  # claim links need the exchange scope
    assert status == 403
    claimer = await desk("exchange")
    status, _, _ = await claimer.issue(delivery="sign")  # signing needs the issue scope
    assert status == 403
    status, _, _ = await claimer.get("/desk/credentials")
    assert status == 403
    # The refusals are pages in the person's language.
    status, text, _ = await reader.get("/desk/issue?lang=zh-Hant-HK")
    assert status == 403 and '<html lang="zh-Hant-HK">' in text and "issue scope" not in text
    # Nothing was suspended by the refused request.
    _, page, _ = await issuer.get("/desk/credential?id=" + issued)
    assert "No status change yet." in page


async def test_a_token_bound_to_one_identity_sees_and_acts_for_it_only(desk: Any, node: OpsNode) -> None:
    other = other_did(node)
    admin = await desk("issue,read,status")
    _, _, mine_url = await admin.issue(achievement_name="Bound Mine", learner_name="Mine Learner")
    _, _, theirs_url = await admin.issue(issuer=other, achievement_name="Bound Theirs", learner_name="Their Learner")
    mine, theirs = credential_id(mine_url), credential_id(theirs_url)
    for cid in (mine, theirs):
        status, _, _ = await admin.post("/desk/credential/status", {"id": cid, "action": "suspend",
                                                                    "reason": "check " + cid[-6:]})
        assert status == 200
    bound = await desk("issue,read,status", identity=node.did)
    _, listing, _ = await bound.get("/desk/credentials?q=bound")
    assert "Bound Mine" in listing and "Bound Theirs" not in listing and theirs not in listing
    _, form, _ = await bound.get("/desk/issue")
    assert node.did in form and other not in form
    assert (await bound.get("/desk/credential?id=" + theirs))[0] == 404
    assert (await bound.get("/desk/credential.json?id=" + theirs))[0] == 404
    assert (await bound.get("/desk/issued?id=" + theirs))[0] == 404
    status, _, _ = await bound.post("/desk/credential/status", {"id": theirs, "action": "revoke", "reason": "x",
                                                                "confirm": "yes"})
    assert status == 404
    status, _, _ = await bound.issue(issuer=other)
    assert status == 403
    _, audit, _ = await bound.get("/desk/audit")
    assert mine in audit and theirs not in audit
    # The other identity's credential was left as it was: suspended, not revoked.
    _, page, _ = await admin.get("/desk/credential?id=" + theirs)
    assert "Suspended" in page and "Revoked" not in page


async def test_forms_without_the_csrf_field_change_nothing(desk: Any, node: OpsNode) -> None:
    staff = await desk("issue,read,status")
    status, text, _ = await staff.post("/desk/issue", {"issuer": node.did, "achievement_choice": "new",
                                                       "achievement_name": "CSRF Badge", "achievement_description": "d",
                                                       "achievement_criteria": "c", "learner_email": "c@example.org",
                                                       "delivery": "sign"}, csrf=False)
    assert status == 403 and "<h1>Not allowed</h1>" in text
    _, after, _ = await staff.get("/desk/credentials?q=csrf")
    assert "No credential found" in after
    _, _, url = await staff.issue(achievement_name="CSRF Kept")
    cid = credential_id(url)
    status, _, _ = await staff.post("/desk/credential/status", {"id": cid, "action": "revoke", "reason": "x",
                                                                "confirm": "yes"}, csrf=False)
    assert status == 403
    # A CSRF token from another session is refused too.
    stranger = await desk("read")
    foreign = await stranger.csrf("/desk")
    async with staff.session.post(node.url + "/desk/credential/status", data={
            "id": cid, "action": "revoke", "reason": "x", "confirm": "yes", "csrf_token": foreign}) as response:
        assert response.status == 403
    _, page, _ = await staff.get("/desk/credential?id=" + cid)
    assert "Valid" in page and "No status change yet." in page


async def test_typed_fields_are_escaped_on_every_page(desk: Any, node: OpsNode) -> None:
    staff = await desk("issue,read,status")
    # A javascript: image is refused, and everything typed comes back escaped in the form.
    status, text, _ = await staff.issue(achievement_name=XSS_NAME, achievement_description=XSS_DESCRIPTION,
                                        achievement_criteria=XSS_CRITERIA, learner_name=XSS_LEARNER,
                                        achievement_image="javascript:alert(1)")
    assert status == 400 and "https://" in text
    for raw in (XSS_NAME, XSS_DESCRIPTION, XSS_LEARNER, XSS_CRITERIA, "<script>alert("):
        assert raw not in text
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; Data Skills" in text
    status, _, url = await staff.issue(achievement_name=XSS_NAME, achievement_description=XSS_DESCRIPTION,
                                       achievement_criteria=XSS_CRITERIA, learner_name=XSS_LEARNER,
                                       achievement_image="https://example.org/badge.png")
    assert status == 200, url
    cid = credential_id(url)
    await staff.post("/desk/credential/status", {"id": cid, "action": "suspend", "reason": XSS_NAME})
    pages = ["/desk/issued?id=" + cid, "/desk/credential?id=" + cid, "/desk/credentials?q=data+skills",
             "/desk/audit", "/desk/issue"]  # the form's chooser lists the achievement now
    for path in pages:
        status, text, _ = await staff.get(path)
        assert status == 200, path
        for raw in (XSS_NAME, XSS_DESCRIPTION, XSS_LEARNER, XSS_CRITERIA, "<script>alert(", "<svg onload"):
            assert raw not in text, (path, raw)
        assert "&lt;script&gt;" in text, path
    # And the https image is linked as text, never loaded (the pages' CSP allows only data: images).
    _, text, _ = await staff.get("/desk/credential?id=" + cid)
    assert 'src="https://example.org/badge.png"' not in text and "https://example.org/badge.png" in text


async def test_revocation_asks_first_and_cannot_be_undone(desk: Any, node: OpsNode) -> None:
    staff = await desk("issue,read,status")
    _, _, url = await staff.issue(achievement_name="Revocable")
    cid = credential_id(url)
    status, text, _ = await staff.post("/desk/credential/status", {"id": cid, "action": "revoke", "reason": ""})
    assert status == 400 and "Give a reason" in text
    status, text, _ = await staff.post("/desk/credential/status", {"id": cid, "action": "revoke",
                                                                   "reason": "issued in error"})
    assert status == 200 and "cannot be undone" in text and 'name="confirm" value="yes"' in text
    _, page, _ = await staff.get("/desk/credential?id=" + cid)
    assert "No status change yet." in page  # asking changed nothing
    status, text, url = await staff.post("/desk/credential/status", {"id": cid, "action": "revoke",
                                                                     "reason": "issued in error", "confirm": "yes"})
    assert status == 200 and "done=revoke" in url and "The credential is revoked." in text
    assert 'value="unsuspend"' not in text and 'value="suspend"' not in text and 'value="revoke"' not in text
    # No way back: not through the desk, not through the API.
    status, text, _ = await staff.post("/desk/credential/status", {"id": cid, "action": "unsuspend", "reason": "x"})
    assert "Revoked" in (await staff.get("/desk/credential?id=" + cid))[1]
    api_token = node.token("status")
    answer = node.call("POST", "/credentials/status", {
        "credentialId": cid, "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": False}, headers={"Authorization": f"Bearer {api_token}"})
    assert answer.status == 409 and answer.json()["code"] == "revocationIrreversible"
    _, download, _ = await staff.get("/desk/credential.json?id=" + cid)
    report = node.call("POST", "/credentials/verify", {"verifiableCredential": json.loads(download)}).json()
    assert not report["verified"] and [e["code"] for e in report["errors"]] == ["revoked"]
    _, audit, _ = await staff.get("/desk/audit?credential=" + cid)
    assert "issued in error" in audit and "Revoked" in audit


async def test_search_finds_by_learner_email_and_pages(desk: Any, node: OpsNode) -> None:
    staff = await desk("issue,read,status,exchange")
    for n in range(26):
        await staff.issue(achievement_name=f"Paged Badge {n}", learner_email=f"paged{n}@example.org",
                          learner_name=f"Paged Learner {n}")
    _, text, _ = await staff.get("/desk/credentials?q=PAGED1@example.org")
    assert "Paged Learner 1<" in text and "Paged Learner 0<" not in text and "Paged Learner 10<" not in text
    # 25 a page, newest first; the next page has the rest.
    _, first, _ = await staff.get("/desk/credentials?q=paged+badge")
    assert first.count("Paged Badge") == 25 and "Paged Badge 25" in first
    assert not re.search(r"Paged Badge 0\s*<", first)
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following
    _, second, _ = await staff.get(html.unescape(following.group(1)))
    assert second.count("Paged Badge") == 1 and re.search(r"Paged Badge 0\s*<", second)
    assert 'rel="next"' not in second
    # A claim link: the link, its QR code and PIN.
    status, text, url = await staff.issue(delivery="claim", achievement_name="Claimable")
    assert status == 200 and "/desk/claim?exchange=" in url
    assert re.search(r'id="tx-code">\d+<', text)
    qr = re.search(r'src="(/interactions/[^"]+/qr.svg)"', text)
    assert qr and (await staff.get(qr.group(1)))[0] == 200
    # Sent twice (the browser's "resend"), the same form issues once.
    _, page, _ = await staff.get("/desk/issue")
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    urls = {(await staff.issue(request_id=request_id, achievement_name="Once Only"))[2] for _ in range(2)}
    assert len(urls) == 1
    _, found, _ = await staff.get("/desk/credentials?q=once+only")
    assert found.count("Once Only") == 1
