"""The API's own description: ``GET /openapi.yaml`` (the OpenAPI document) and ``GET /docs`` (Swagger UI).

Everything is package data under ``vcnode/web`` (the Swagger UI files are vendored, see
``vcnode/web/static/swagger-ui/README.md``), so the page loads nothing from outside the node, and its
Content-Security-Policy says so to the browser.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from aiohttp import web

from vcnode.errors import NotFound

OPENAPI_MEDIA_TYPE = "application/yaml"  # RFC 9512
# Same-origin only, no inline scripts or styles (the page's start-up code is docs.js); images: the data: URIs
# of swagger-ui.css. connect-src 'self' lets "Try it out" call this node and nothing else.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer"}
# Revalidated on each use (a 304 is cheap), so an upgraded node is never shown with an older page or spec.
CACHE_CONTROL = "no-cache"

_JS, _CSS, _TEXT = "text/javascript; charset=utf-8", "text/css; charset=utf-8", "text/plain; charset=utf-8"
#: ``/docs/static/{name}`` → (file under vcnode/web, content type). Only these are served.
STATIC_FILES = {
    "swagger-ui.css": ("static/swagger-ui/swagger-ui.css", _CSS),
    "swagger-ui-bundle.js": ("static/swagger-ui/swagger-ui-bundle.js", _JS),
    "swagger-ui-bundle.js.LICENSE.txt": ("static/swagger-ui/swagger-ui-bundle.js.LICENSE.txt", _TEXT),
    "swagger-ui-LICENSE": ("static/swagger-ui/LICENSE", _TEXT),
    "swagger-ui-NOTICE": ("static/swagger-ui/NOTICE", _TEXT),
    "docs.js": ("docs.js", _JS),
}


@dataclass(frozen=True)
class Asset:
    """A file served as is, with its entity tag."""

    body: bytes
    content_type: str
    etag: str


@cache
def asset(path: str, content_type: str) -> Asset:
    """The package file ``vcnode/web/<path>``, read once."""
    body = resources.files("vcnode").joinpath("web", *path.split("/")).read_bytes()
    return Asset(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def openapi_document() -> bytes:
    """The OpenAPI document the node serves (docs/openapi.yaml is a link to the same file)."""
    return asset("openapi.yaml", OPENAPI_MEDIA_TYPE).body


def _serve(request: web.Request, served: Asset) -> web.Response:
    headers = {"ETag": served.etag, "Cache-Control": CACHE_CONTROL, **SECURITY_HEADERS}
    if served.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=served.body, headers={"Content-Type": served.content_type, **headers})


async def get_openapi(request: web.Request) -> web.Response:
    """``GET /openapi.yaml``: the OpenAPI 3.1 description of this API."""
    return _serve(request, asset("openapi.yaml", OPENAPI_MEDIA_TYPE))


async def get_docs(request: web.Request) -> web.Response:
    """``GET /docs``: Swagger UI showing ``/openapi.yaml``."""
    return _serve(request, asset("docs.html", "text/html; charset=utf-8"))


async def get_static(request: web.Request) -> web.Response:
    """``GET /docs/static/{name}``: the page's script, Swagger UI's files and their licences."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise NotFound(f"no documentation file {name[:100]!r}")
    return _serve(request, asset(*STATIC_FILES[name]))


def add_routes(app: web.Application) -> None:
    """Register the documentation routes."""
    app.router.add_get("/openapi.yaml", get_openapi)
    app.router.add_get("/docs", get_docs)
    app.router.add_get("/docs/static/{name}", get_static)
