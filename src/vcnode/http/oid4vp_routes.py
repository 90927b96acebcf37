"""OpenID4VP verifier routes on ``present`` exchanges (thin; the logic is in :mod:`vcnode.oid4vp`).

Both speak OAuth: errors are ``{"error", "error_description"}`` with 400, never problem+json (see
:func:`vcnode.http.oid4vci_routes.oauth_errors`). They are public (the wallet's) and count against the
``exchanges`` rate limit.
"""

from __future__ import annotations

from aiohttp import web

from vcnode.http.exchange_routes import EXCHANGES_KEY
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.oid4vci_routes import _read_form, oauth_errors
from vcnode.http.problem import json_response
from vcnode.http.ratelimit import rate_limited
from vcnode.oid4vci.errors import INVALID_REQUEST
from vcnode.oid4vp.request import REQUEST_TYP
from vcnode.oid4vp.verifier import INVALID_REQUEST_URI, MAX_VP_TOKEN, OpenIdVerifier

OPENID_VERIFIER_KEY = web.AppKey("openid_verifier", OpenIdVerifier)
_NO_STORE = {"Cache-Control": "no-store"}


@rate_limited("exchanges")
@oauth_errors(INVALID_REQUEST_URI)
async def request_object(request: web.Request) -> web.Response:
    """``GET|POST /workflows/present/exchanges/{exchange}/openid4vp/request``: the signed request object
    (``application/oauth-authz-req+jwt``). POST is OID4VP's ``request_uri_method=post``; its form (wallet
    metadata) is read and not needed."""
    if request.method == "POST":
        await _read_form(request)
    token = await request.app[OPENID_VERIFIER_KEY].request_object(request.match_info["exchange"])
    return web.Response(text=token, content_type=f"application/{REQUEST_TYP}", headers=_NO_STORE)


@rate_limited("exchanges")
@oauth_errors(INVALID_REQUEST)
async def response(request: web.Request) -> web.Response:
    """``POST /workflows/present/exchanges/{exchange}/openid4vp/response`` (form ``vp_token``, ``state``):
    verify, complete the exchange with the report → ``{}`` or ``{"redirect_uri"}``."""
    form = await _read_form(request, max_bytes=MAX_VP_TOKEN + 4096)
    body = await request.app[OPENID_VERIFIER_KEY].respond(request.match_info["exchange"], form)
    return json_response(body, headers=_NO_STORE)


def add_routes(app: web.Application) -> None:
    """Register the OpenID4VP routes (after the exchange routes: the verifier works on their service)."""
    app[OPENID_VERIFIER_KEY] = OpenIdVerifier(app[NODE_KEY], app[EXCHANGES_KEY])
    app.router.add_get("/workflows/present/exchanges/{exchange}/openid4vp/request", request_object)
    app.router.add_post("/workflows/present/exchanges/{exchange}/openid4vp/request", request_object)
    app.router.add_post("/workflows/present/exchanges/{exchange}/openid4vp/response", response)
