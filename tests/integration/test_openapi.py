"""The OpenAPI document and the API documentation page, as the node serves them.

- Every route of the application (method and path pattern) is an operation of the document, and every
  operation of the document is a route (HEAD and OPTIONS aside).
- ``GET /openapi.yaml`` serves the one copy of the document (docs/openapi.yaml links to it).
- ``GET /docs`` and its files: right content types, a strict Content-Security-Policy, only same-origin URLs,
  no inline script or style, and the vendored Swagger UI files are the ones its README names.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from aiohttp.test_utils import TestClient

import vcnode
from vcnode.http.docs_routes import STATIC_FILES
from vcnode.node import Node
from vcnode.serve.app import build_app
from vcnode.web.pages import is_page

ROOT = Path(__file__).resolve().parents[2]
WEB = Path(vcnode.__file__).resolve().parent / "web"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def document() -> dict:
    return yaml.safe_load((WEB / "openapi.yaml").read_text())


def test_every_route_is_documented_and_every_operation_is_routed(web_node: Node) -> None:
    app = build_app(web_node)
    routed = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS") or is_page(route.handler):
            continue  # pages are for people (docs/pages.md), not part of the API
        # /1.0/identifiers/{did:.+} is documented as /1.0/identifiers/{did}: the pattern without its regex
        routed.add((route.method, route.resource.canonical))
    documented = {(method.upper(), path) for path, item in document()["paths"].items()
                  for method in item if method in HTTP_METHODS - {"head", "options"}}
    assert routed - documented == set(), "routes missing from docs/openapi.yaml"
    assert documented - routed == set(), "operations in docs/openapi.yaml that no route serves"


def test_the_document_is_openapi_3_1_of_this_version_with_unique_operation_ids() -> None:
    spec = document()
    assert re.fullmatch(r"3\.1\.\d+", spec["openapi"])
    assert spec["info"]["version"] == vcnode.__version__
    ids = [op["operationId"] for item in spec["paths"].values() for method, op in item.items()
           if method in HTTP_METHODS]
    assert len(ids) == len(set(ids))


def test_docs_openapi_yaml_is_the_served_document() -> None:
    """One copy: docs/openapi.yaml is a link to the package's file (which the Docker image and wheels carry)."""
    linked = ROOT / "docs" / "openapi.yaml"
    assert linked.is_symlink() and linked.resolve() == (ROOT / "src" / "vcnode" / "web" / "openapi.yaml").resolve()
    assert resources.files("vcnode").joinpath("web", "openapi.yaml").read_bytes() == linked.read_bytes()


async def test_openapi_yaml_is_served_as_yaml_with_an_etag(client: TestClient) -> None:
    response = await client.get("/openapi.yaml")
    assert response.status == 200 and response.headers["Content-Type"] == "application/yaml"
    assert await response.read() == (WEB / "openapi.yaml").read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = await client.get("/openapi.yaml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304 and not await again.read()


class _Page(HTMLParser):
    """The URLs, scripts and styles of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.styles: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href", "action", "srcset") and value]
        if "style" in values or tag == "style":
            self.styles.append(tag)
        if any(name.startswith("on") for name in values):
            self.inline_scripts.append(f"{tag} event handler")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


async def test_docs_page_loads_only_same_origin_files_under_a_strict_policy(client: TestClient) -> None:
    response = await client.get("/docs")
    assert response.status == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data:" and policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = _Page()
    page.feed(await response.text())
    assert page.inline_scripts == [] and page.styles == []
    base = str(client.make_url("/docs"))
    scripts = []
    for url in page.urls:
        if url.startswith("data:"):
            continue
        absolute = urljoin(base, url)
        assert urlsplit(absolute)[:2] == urlsplit(base)[:2], url  # same scheme, host and port
        asset = await client.get(urlsplit(absolute).path)
        assert asset.status == 200, url
        kind = asset.headers["Content-Type"]
        assert kind in ("text/css; charset=utf-8", "text/javascript; charset=utf-8"), (url, kind)
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        if kind.startswith("text/javascript"):
            scripts.append(urlsplit(absolute).path)
    assert scripts == ["/docs/static/swagger-ui-bundle.js", "/docs/static/docs.js"]
    start = await (await client.get("/docs/static/docs.js")).text()
    # the page's own script: this node's document, no validator badge (it would send the document away)
    assert 'new URL("openapi.yaml", document.baseURI)' in start and "validatorUrl: null" in start


@pytest.mark.parametrize("name", sorted(STATIC_FILES))
async def test_each_docs_file_is_served_with_its_type(client: TestClient, name: str) -> None:
    path, content_type = STATIC_FILES[name]
    response = await client.get(f"/docs/static/{name}")
    assert response.status == 200 and response.headers["Content-Type"] == content_type
    assert await response.read() == (WEB / path).read_bytes()


@pytest.mark.parametrize("name", ["README.md", "..%2Fopenapi.yaml", "swagger-ui.js", "index.html"])
async def test_other_names_under_docs_static_are_404_problems(client: TestClient, name: str) -> None:
    response = await client.get(f"/docs/static/{name}")
    assert response.status == 404 and response.headers["Content-Type"] == "application/problem+json"


def test_vendored_swagger_ui_is_what_its_readme_says() -> None:
    folder = WEB / "static" / "swagger-ui"
    readme = (folder / "README.md").read_text()
    assert "swagger-ui-dist 5." in readme
    listed = dict(reversed(line.split()) for line in readme.splitlines() if re.fullmatch(r"[0-9a-f]{64}  \S+", line))
    assert set(listed) == {path.name for path in folder.iterdir() if path.name != "README.md"}
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "SwaggerUIBundle" in (folder / "swagger-ui-bundle.js").read_text()[:4000]
