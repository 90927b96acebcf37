"""The verify page over a real node's HTTP app, as a visitor's browser would use it: the form, a verified
badge, XSS attempts in every field the page shows, oversized input, URLs the guarded client refuses, the
CSRF check and the image route's guards."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from html import unescape
from typing import Any

import orjson
import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from tests.builders import badge, did_key_signer
from vcnode.credentials import create_presentation
from vcnode.node import Node
from vcnode.sdjwt import issue_learning_credential
from vcnode.trust.examples import example_badge, example_documents
from vcnode.web.verify_routes import IMAGE_PATH

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


class ImageServer:
    """A site on 127.0.0.1 serving a real PNG, an SVG, HTML that claims to be a PNG, a page and a huge PNG."""

    def __init__(self, server: TestServer) -> None:
        self.server = server

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def image_server() -> AsyncIterator[ImageServer]:
    answers = {"/badge.png": (PNG, "image/png"), "/badge.svg": (b"<svg onload='alert(1)'/>", "image/svg+xml"),
               "/lying.png": (b"<script>alert(1)</script>", "image/png"), "/page.html": (b"<p>hi</p>", "text/html"),
               "/huge.png": (PNG + b"\0" * (300 * 1024), "image/png")}

    async def answer(request: web.Request) -> web.Response:
        body, kind = answers[request.path]
        return web.Response(body=body, content_type=kind)

    app = web.Application()
    for path in answers:
        app.router.add_get(path, answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield ImageServer(server)
    finally:
        await server.close()


async def csrf_token(client: TestClient) -> str:
    """Open the verify page (which starts a session) and read its form's CSRF token."""
    response = await client.get("/")
    assert response.status == 200
    found = CSRF.search(await response.text())
    assert found is not None
    return found.group(1)


async def post_form(client: TestClient, *, token: str | None = None, **fields: Any) -> tuple[int, str]:
    """POST the verify form (multipart, as the page does) and return (status, HTML)."""
    form = FormData()
    if token is not None:
        form.add_field("csrf_token", token)
    for name, value in fields.items():
        if isinstance(value, tuple):
            form.add_field(name, value[1], filename=value[0], content_type="application/json")
        else:
            form.add_field(name, value)
    response = await client.post("/verify", data=form)
    assert response.headers["Content-Type"].startswith("text/html"), response.headers["Content-Type"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    return response.status, await response.text()


async def issued(client: TestClient, node: Node, credential: dict[str, Any]) -> dict[str, Any]:
    """``credential`` issued by the node (its default identity) through the VC API."""
    _, token = await node.tokens.create(["issue"])
    response = await client.post("/credentials/issue", json={"credential": credential},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201, await response.text()
    return (await response.json())["verifiableCredential"]


def attributes(html: str, name: str) -> list[str]:
    return [unescape(value) for value in re.findall(rf'\b{name}="([^"]*)"', html)]


async def test_a_pasted_badge_is_shown_in_human_terms(web_node: Node, client: TestClient) -> None:
    signed = await issued(client, web_node, badge(web_node.identities.default_did))
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(signed).decode(),
                                   way="paste")
    assert status == 200, html
    verdict = re.search(r'<div class="verdict[^"]*" role="status"[^>]*data-state="(\w+)"', html)
    assert verdict is not None and verdict.group(1) == "passed", html
    assert "Data Analytics Fundamentals" in html and "Harbour City Polytechnic" in html
    assert "Pass the assessed project." in html and "did:example:learner-7" in html
    assert web_node.identities.default_did in html  # the DID in small type beside the name
    assert "&#34;verified&#34;: true" in html or "&quot;verified&quot;: true" in html  # the JSON report


async def test_a_tampered_file_is_not_verified_and_says_why(web_node: Node, client: TestClient) -> None:
    signed = await issued(client, web_node, badge(web_node.identities.default_did))
    signed["credentialSubject"]["achievement"]["name"] = "Advanced Data Analytics"
    status, html = await post_form(client, token=await csrf_token(client), way="file",
                                   file=("badge.json", orjson.dumps(signed)))
    assert status == 200
    assert 'data-state="failed"' in html and "Not verified" in html
    assert "The signature does not match" in html
    assert "File: badge.json" in html


async def test_every_displayed_field_is_escaped(web_node: Node, client: TestClient) -> None:
    credential = badge(web_node.identities.default_did)
    credential["issuer"]["name"] = "Issuer " + XSS
    credential["name"] = "Credential " + XSS
    subject = credential["credentialSubject"]
    subject["name"] = "Learner " + XSS
    subject["email"] = "learner@example.org" + XSS
    achievement = subject["achievement"]
    achievement.update(name="Badge " + XSS, description="Description " + XSS, achievementType="Type" + XSS,
                       criteria={"narrative": "Criteria " + XSS, "id": "javascript:alert(1)"},
                       image={"id": "javascript:alert(1)", "type": "Image", "caption": "Caption " + XSS})
    subject["identifier"] = [{"type": "IdentityObject", "identityType": "studentId " + XSS, "hashed": False,
                              "identityHash": "S-1 " + XSS}]
    # What an attacker pastes need not be signed: the page shows it (as not verified) all the same.
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(credential).decode())
    assert status == 200, html
    assert 'data-state="failed"' in html
    for label in ("Issuer", "Credential", "Learner", "Badge", "Description", "Criteria", "studentId", "S-1"):
        assert f"{label} &lt;script&gt;alert(" in html, label
    assert "<script>alert" not in html and "<img src=x" not in html and "onerror=alert" not in html.replace(
        "onerror=alert(1)&gt;", "")
    # Only this node's own script; no javascript: URL in any link or image; the javascript: image is not shown.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/verify.js" defer>']
    assert not any(value.strip().lower().startswith("javascript:") for value in
                   attributes(html, "src") + attributes(html, "href"))
    assert 'class="badge-image"' not in html


@pytest.mark.parametrize("image", ["http://example.org/badge.png", "data:text/html;base64,PHNjcmlwdD4=",
                                   "data:image/svg+xml,<svg onload=alert(1)>", "vbscript:msgbox", "//evil.example/x"])
async def test_images_only_from_data_or_https(web_node: Node, client: TestClient, image: str) -> None:
    credential = badge(web_node.identities.default_did)
    credential["credentialSubject"]["achievement"]["image"] = {"id": image, "type": "Image"}
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(credential).decode())
    assert status == 200
    assert 'class="badge-image"' not in html and "See the badge image" not in html
    assert image not in attributes(html, "src") + attributes(html, "href")


async def test_data_and_https_images(web_node: Node, client: TestClient) -> None:
    data_url = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0g"
                "AAAABJRU5ErkJggg==")
    credential = badge(web_node.identities.default_did)
    credential["credentialSubject"]["achievement"]["image"] = {"id": data_url, "type": "Image"}
    signed = await issued(client, web_node, credential)
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(signed).decode())
    assert status == 200 and f'<img class="badge-image" src="{data_url}"' in html

    credential["id"] = "urn:uuid:00000000-0000-4000-8000-00000000aa01"
    credential["credentialSubject"]["achievement"]["image"] = "https://images.example/badge.png"
    signed = await issued(client, web_node, credential)
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(signed).decode())
    [src] = [s for s in attributes(html, "src") if s.startswith(IMAGE_PATH)]
    assert "url=https%3A%2F%2Fimages.example%2Fbadge.png" in src and "&mac=" in src
    # The image route fetches only what this node showed: a made-up URL or a changed MAC is refused.
    response = await client.get(IMAGE_PATH, params={"url": "https://other.example/x.png", "mac": "x"})
    assert response.status == 403
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_image_route_serves_only_raster_images_sandboxed(web_node: Node, client: TestClient,
                                                                    image_server: Any) -> None:
    token_page = await client.get("/")  # a session, so the route can sign
    assert token_page.status == 200
    from vcnode.web.pages import PAGES_KEY

    signer = client.app[PAGES_KEY].signer
    assert signer is not None

    async def fetch(path: str) -> Any:
        url = image_server.url(path)
        return await client.get(IMAGE_PATH, params={"url": url, "mac": signer.mac("verify-image", url)})

    response = await fetch("/badge.png")
    assert response.status == 200 and await response.read() == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/badge.svg", "/lying.png", "/page.html", "/huge.png"):
        response = await fetch(path)
        assert response.status == 502, path
        assert response.headers["Content-Type"].startswith("text/plain"), path


async def test_oversized_input_gets_a_clear_error_page(web_node: Node, client: TestClient) -> None:
    token = await csrf_token(client)
    status, html = await post_form(client, token=token, document="{" + " " * (1024 * 1024 + 10) + "}")
    assert status == 413, html
    assert 'role="alert"' in html and "larger than this node accepts" in html

    web_node.config.verify_page_max_bytes = 2048
    status, html = await post_form(client, token=token, document='{"a": "' + "x" * 4000 + '"}')
    assert status == 413 and 'role="alert"' in html and "larger than the 2 KiB this page verifies" in html


@pytest.mark.parametrize("url", ["https://10.1.2.3/badge.json", "https://[::1]/badge.json",
                                 "https://localhost/badge.json", "http://example.org/badge.json",
                                 "file:///etc/passwd"])
async def test_urls_the_guarded_client_refuses(web_node: Node, client: TestClient, url: str) -> None:
    status, html = await post_form(client, token=await csrf_token(client), url=url, way="url")
    assert status == 400, html
    assert 'role="alert"' in html and "does not fetch from that address" in html
    assert f'value="{url}"' in html  # the form keeps what was typed


async def test_nothing_junk_and_jwt(web_node: Node, client: TestClient) -> None:
    token = await csrf_token(client)
    status, html = await post_form(client, token=token, document="  ")
    assert status == 400 and "Paste a credential, choose a file or give a URL" in html
    status, html = await post_form(client, token=token, document="not json at all")
    assert status == 400 and "not a credential this page reads" in html
    status, html = await post_form(client, token=token, document="[1, 2]")
    assert status == 400 and "not a list" in html
    status, html = await post_form(client, token=token, document="eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln")
    assert status == 422 and "carries no credential or presentation" in html  # no vc claim: not VC-JWT
    status, html = await post_form(client, token=token, document="[" * 100 + "]" * 100)
    assert status == 400


async def test_the_form_needs_its_csrf_token(web_node: Node, client: TestClient) -> None:
    signed = await issued(client, web_node, badge(web_node.identities.default_did))
    await csrf_token(client)
    status, html = await post_form(client, document=orjson.dumps(signed).decode())
    assert status == 403 and "Verified" not in html
    status, html = await post_form(client, token="forged", document=orjson.dumps(signed).decode())
    assert status == 403


async def recognition_world(node: Node, client: TestClient) -> tuple[dict[str, str], str]:
    """One node playing the four parties of the recognition story (examples, not official): its default identity
    is the New Zealand regulator and its trust anchor; the Hong Kong regulator and provider are its other
    identities. Returns the roles' DIDs and an issuing token."""
    dids = {"nz-regulator": node.identities.default_did or "",
            "hk-regulator": (await node.identities.create("key", name="hk-regulator")).did,
            "hk-provider": (await node.identities.create("key", name="hk-provider")).did}
    node.trust.settings = replace(node.trust.settings, anchors=(dids["nz-regulator"],))
    _, token = await node.tokens.create(["issue"])
    for document in example_documents(dids, ("frameworks", "accreditations", "agreements")):
        response = await client.post("/trust/statements", json={"statement": document},
                                     headers={"Authorization": f"Bearer {token}"})
        assert response.status == 201, await response.text()
    return dids, token


async def test_a_recognised_badge_shows_its_path_in_words(web_node: Node, client: TestClient) -> None:
    dids, token = await recognition_world(web_node, client)
    unsigned = example_badge("hk-cloud-data", issuer=dids["hk-provider"], learner_id="did:example:learner-aroha",
                             credential_id="urn:uuid:7a1e0000-0000-4000-8000-00000000f001")
    response = await client.post("/credentials/issue", json={"credential": unsigned},
                                 headers={"Authorization": f"Bearer {token}"})
    signed = (await response.json())["verifiableCredential"]
    status, html = await post_form(client, token=await csrf_token(client), document=orjson.dumps(signed).decode())
    assert status == 200, html
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    text = re.sub(r"\s+", " ", text)
    assert ("Recognised by Example New Zealand qualifications authority's agreement with Example Hong Kong "
            "qualifications authority, which accredits Victoria Harbour Institute (example) for HKQF ≤ 4.") in text
    assert "HKQF 4 ↔ NZQCF 6" in text
    # Names first, each DID beside its name in small type, never alone.
    for did in dids.values():
        assert f'<code class="did">{did}</code>' in html
    assert "did:key" not in re.sub(r'<code class="did">[^<]*</code>|<pre class="json">.*?</pre>|href="[^"]*"', "",
                                   html, flags=re.S)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (tags removed, whitespace collapsed)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


async def test_a_presentation_gets_one_card_per_credential_and_its_pathways(web_node: Node,
                                                                            client: TestClient) -> None:
    learner = did_key_signer()
    learner_did = learner.verification_method.split("#", 1)[0]
    first = badge(web_node.identities.default_did, "urn:uuid:00000000-0000-4000-8000-00000000c001")
    first["credentialSubject"]["id"] = learner_did
    second = badge(web_node.identities.default_did, "urn:uuid:00000000-0000-4000-8000-00000000c002")
    second["credentialSubject"]["achievement"]["name"] = "Someone else's badge"
    presentation = create_presentation([await issued(client, web_node, first), await issued(client, web_node, second)],
                                       learner)
    status, html = await post_form(client, token=await csrf_token(client), pathways="on",
                                   document=orjson.dumps(presentation).decode())
    assert status == 200, html
    assert html.count('<article class="card credential') == 2
    text = visible_text(html)
    assert "Yes: the person who presented it is the learner it was awarded to." in text
    assert "The credential is about someone other than the person who presented it." in text
    assert 'data-state="failed"' in html  # one of them is someone else's: not a pass
    assert learner_did in html and "may be a copy" in text
    # The pathways asked for: evaluated for the proven holder, and the page says how far that goes.
    assert "Evaluated without a challenge from this node" in text
    assert "This node knows no pathway these credentials count towards." in text

    # A presentation that proves no holder: its pathways are not evaluated, and the page says why.
    unsigned = {**presentation}
    unsigned.pop("proof")
    status, html = await post_form(client, token=await csrf_token(client), pathways="on",
                                   document=orjson.dumps(unsigned).decode())
    assert status == 200 and "Pathways were not evaluated" in visible_text(html)


async def test_an_sd_jwt_vc_is_verified_from_its_disclosed_claims(web_node: Node, client: TestClient) -> None:
    issuer = did_key_signer()
    did = issuer.verification_method.split("#", 1)[0]
    token = issue_learning_credential(badge(did), issuer.signer, issuer=did, kid=issuer.verification_method,
                                      holder_jwk=None, given_name="Aroha", family_name="Ngata")
    status, html = await post_form(client, token=await csrf_token(client), document=token)
    assert status == 200, html
    assert 'data-state="passed"' in html
    text = visible_text(html)
    assert "Data Analytics Fundamentals" in text and "Aroha Ngata" in text and "Harbour City Polytechnic" in text
    # One disclosure changed after issuance: not verified.
    jwt, *disclosures = token.split("~")
    forged = "~".join([jwt, disclosures[0][:-2] + ("A" if disclosures[0][-2] != "A" else "B") + disclosures[0][-1],
                       *disclosures[1:]])
    status, html = await post_form(client, token=await csrf_token(client), document=forged)
    assert status in (200, 400) and 'data-state="passed"' not in html
