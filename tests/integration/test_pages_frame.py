"""What every page shares, over HTTP: security headers, language negotiation, the session cookie, static
files, HTML errors and the desk's login."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from vcnode.node import Node
from vcnode.web.pages import CONTENT_SECURITY_POLICY
from vcnode.web.session import SESSION_COOKIE


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


async def test_pages_carry_the_security_headers_and_the_language(client: TestClient) -> None:
    response = await client.get("/", headers={"Accept-Language": "zh-HK,en;q=0.5"})
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY
    for name, value in {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                        "X-Frame-Options": "DENY", "Cache-Control": "no-store"}.items():
        assert response.headers[name] == value
    assert response.headers["Content-Language"] == "zh-Hant-HK" and '<html lang="zh-Hant-HK">' in page
    # Nothing on the page comes from elsewhere: every src and href is this node's, or a fragment.
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith(("/", "#", "?")), url
    # ?lang= wins and is remembered.
    response = await client.get("/?lang=en", headers={"Accept-Language": "zh-HK"})
    assert '<html lang="en">' in await response.text()
    response = await client.get("/", headers={"Accept-Language": "zh-HK"})
    assert '<html lang="en">' in await response.text()


async def test_a_forged_session_cookie_is_replaced(client: TestClient) -> None:
    response = await client.get("/desk/login")
    cookie = response.cookies[SESSION_COOKIE].value
    version, payload, mac = cookie.split(".")
    client.session.cookie_jar.clear()
    response = await client.get("/desk/login", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert SESSION_COOKIE not in response.cookies  # a good session is kept
    tail = "AA" if mac[-2:] != "AA" else "BA"  # never the MAC itself (1 in 1,024 signatures ends in "AA")
    forged = f"{version}.{payload}.{mac[:-2]}{tail}"
    response = await client.get("/desk/login", headers={"Cookie": f"{SESSION_COOKIE}={forged}"})
    assert response.cookies[SESSION_COOKIE].value not in (cookie, forged)  # refused: a new anonymous session
    client.session.cookie_jar.clear()
    response = await client.get("/desk", headers={"Cookie": f"{SESSION_COOKIE}=v1.e30.{'A' * 43}"},
                                allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/desk/login")


async def test_the_desk_needs_a_login_and_a_valid_token(client: TestClient, web_node: Node) -> None:
    response = await client.get("/desk", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/desk/login?next=%2Fdesk"
    page = await (await client.get("/desk/login")).text()
    csrf = csrf_of(page)
    response = await client.post("/desk/login", data={"csrf_token": csrf, "token": "vcn_" + "x" * 43})
    assert response.status == 401 and 'role="alert"' in await response.text()
    _, metrics_only = await web_node.tokens.create(["metrics"])
    response = await client.post("/desk/login", data={"csrf_token": csrf, "token": metrics_only})
    assert response.status == 401
    _, token = await web_node.tokens.create(["read"])
    response = await client.post("/desk/login", data={"token": token})  # no CSRF token: refused
    assert response.status == 403
    response = await client.post("/desk/login", data={"csrf_token": csrf, "token": token, "next": "//evil.example"},
                                 allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/desk"  # never to another site
    response = await client.get("/desk")
    assert response.status == 200 and web_node.identities.default_did in await response.text()


async def test_static_files_are_the_packages_own(client: TestClient) -> None:
    response = await client.get("/static/css/site.css")
    assert response.status == 200 and response.content_type == "text/css"
    etag = response.headers["ETag"]
    assert (await client.get("/static/css/site.css", headers={"If-None-Match": etag})).status == 304
    response = await client.get("/static/vendor/jsqr/jsQR.js")
    assert response.status == 200 and "jsQR" in await response.text()
    for path in ("/static/css/missing.css",
                 "/static/templates/base.html", "/static/%2e%2e/web/openapi.yaml", "/static/locale/x.po"):
        assert (await client.get(path)).status == 404, path


async def test_errors_on_pages_are_html(client: TestClient) -> None:
    response = await client.post("/desk/logout", data={"csrf_token": "forged"})
    page = await response.text()
    assert response.status == 403 and response.content_type == "text/html"
    assert 'role="alert"' in page and "not sent from this node" in page
