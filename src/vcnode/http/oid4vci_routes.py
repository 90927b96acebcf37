"""OpenID4VCI issuer routes (thin; the logic is in :mod:`vcnode.oid4vci`).

The metadata, token, nonce and credential endpoints speak OAuth: their errors are ``{"error",
"error_description"}`` with 400 (401 ``invalid_token`` with ``WWW-Authenticate`` for a bad access token), never
problem+json, whatever refused the request (a body too large, the wrong media type). The credential offer is
part of the claim exchange and answers its problems like the other exchange routes. The wallet's routes are
public and count against the ``exchanges`` rate limit.
"""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web

from vcnode import i18n
from vcnode.errors import NotFound, VcnodeError
from vcnode.http.body import BODY_TIMEOUT_KEY, DEFAULT_BODY_TIMEOUT, read_json_object
from vcnode.http.exchange_routes import EXCHANGES_KEY
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import json_response
from vcnode.http.ratelimit import rate_limited
from vcnode.oid4vci import login_page
from vcnode.oid4vci.authorize import CSRF_COOKIE, PARAMETERS, AuthorizationRequest, LoginRefused, Redirect
from vcnode.oid4vci.errors import INVALID_CREDENTIAL_REQUEST, INVALID_REQUEST, OAuthError
from vcnode.oid4vci.issuer import OpenIdIssuer
from vcnode.oid4vci.sd_jwt_vc import VCT_PATH
from vcnode.sdjwt.metadata import LEARNING_CREDENTIAL_VCT, learning_credential_type_metadata

OPENID_ISSUER_KEY = web.AppKey("openid_issuer", OpenIdIssuer)
_NO_STORE = {"Cache-Control": "no-store"}
#: Largest token request body read (a code, a PIN and the grant type fit in a few hundred bytes).
MAX_FORM_BYTES = 16 * 1024
FORM = "application/x-www-form-urlencoded"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def oauth_errors(default: str) -> Callable[[Handler], Handler]:
    """Answer any refusal of the handler as an OAuth error: :class:`OAuthError` as it is, a 4xx node error or
    HTTP error (a body too large) as ``default`` with its status. 5xx (a full disk) stay problems."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def oauth(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except OAuthError as exc:
                return json_response(exc.body(), status=exc.status, headers={**_NO_STORE, **exc.headers})
            except VcnodeError as exc:
                if exc.status >= 500:
                    raise
                return json_response({"error": default, "error_description": f"{exc.code}: {exc.detail}"[:300]},
                                     status=400 if exc.status in (404, 409, 410) else exc.status,
                                     headers=_NO_STORE)
            except web.HTTPException as exc:
                if not 400 <= exc.status < 500:
                    raise
                return json_response({"error": default, "error_description": exc.reason}, status=exc.status,
                                     headers=_NO_STORE)
        return oauth

    return wrap


def _issuer(request: web.Request) -> OpenIdIssuer:
    return request.app[OPENID_ISSUER_KEY]


async def credential_issuer_metadata(request: web.Request) -> web.Response:
    """``GET /.well-known/openid-credential-issuer``: the credential issuer metadata."""
    return json_response(_issuer(request).issuer_metadata(), headers={"Cache-Control": "max-age=300"})


async def authorization_server_metadata(request: web.Request) -> web.Response:
    """``GET /.well-known/oauth-authorization-server``: the authorisation server metadata (RFC 8414)."""
    return json_response(_issuer(request).authorization_server_metadata(),
                         headers={"Cache-Control": "max-age=300"})


async def jwt_vc_issuer_metadata(request: web.Request) -> web.Response:
    """``GET /.well-known/jwt-vc-issuer``: the SD-JWT VC issuer's keys (JWT VC Issuer Metadata)."""
    return json_response(_issuer(request).jwt_vc_issuer_metadata(), headers={"Cache-Control": "max-age=300"})


async def type_metadata(request: web.Request) -> web.Response:
    """``GET /.well-known/vct/{vct}``: the SD-JWT VC type metadata vcnode issues ``vct`` with (404 for a type
    it does not issue)."""
    vct = request.match_info["vct"]
    if vct != LEARNING_CREDENTIAL_VCT:
        raise NotFound(f"this node issues no SD-JWT VC of type {vct[:120]!r}")
    return json_response(learning_credential_type_metadata().document, headers={"Cache-Control": "max-age=3600"})


@rate_limited("exchanges")
async def credential_offer(request: web.Request) -> web.Response:
    """``GET /workflows/claim/exchanges/{exchange}/credential-offer`` (public): the claim's credential offer
    with a fresh pre-authorised code (the ``credential_offer_uri`` of ``links.oid4vci``)."""
    return json_response(await _issuer(request).offer(request.match_info["exchange"]), headers=_NO_STORE)


async def _read_form(request: web.Request, max_bytes: int = MAX_FORM_BYTES) -> dict[str, str]:
    """A URL-encoded form of at most ``max_bytes``, each parameter once (OpenID4VP's response endpoint reads
    its form with this too)."""
    if request.content_type != FORM:
        raise OAuthError(INVALID_REQUEST, f"send the request as {FORM}")
    if request.content_length is not None and request.content_length > max_bytes:
        raise OAuthError(INVALID_REQUEST, f"the request is over {max_bytes} bytes")
    timeout = request.app.get(BODY_TIMEOUT_KEY, DEFAULT_BODY_TIMEOUT)
    try:
        async with asyncio.timeout(timeout):
            raw = await request.content.read(max_bytes + 1)
    except TimeoutError:
        raise OAuthError(INVALID_REQUEST, "the request body did not arrive in time") from None
    if len(raw) > max_bytes:
        raise OAuthError(INVALID_REQUEST, f"the request is over {max_bytes} bytes")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          errors="strict", max_num_fields=32)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(INVALID_REQUEST, "the body is not a URL-encoded UTF-8 form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # RFC 6749 section 3.2: parameters must not be included more than once
            raise OAuthError(INVALID_REQUEST, f"{name[:40]} is given more than once")
        form[name] = value
    return form


@rate_limited("exchanges")
@oauth_errors(INVALID_REQUEST)
async def token(request: web.Request) -> web.Response:
    """``POST /token`` (form): the pre-authorised code and tx_code for an access token."""
    form = await _read_form(request)
    return json_response(await _issuer(request).token(form, request.headers.get("Authorization")),
                         headers={**_NO_STORE, "Pragma": "no-cache"})


@rate_limited("exchanges")
@oauth_errors(INVALID_REQUEST)
async def nonce(request: web.Request) -> web.Response:
    """``POST /nonce``: a fresh c_nonce for a key proof."""
    return json_response(await _issuer(request).nonce(), headers=_NO_STORE)


@rate_limited("exchanges")
@oauth_errors(INVALID_CREDENTIAL_REQUEST)
async def credential(request: web.Request) -> web.Response:
    """``POST /credential`` (Bearer access token): the credential, bound to the proof's key."""
    issuer = _issuer(request)
    authorization = request.headers.get("Authorization")
    await issuer.check_token(authorization)  # a bad token is invalid_token before the body is read
    body = await read_json_object(request)
    return json_response(await issuer.credential(authorization, body), headers=_NO_STORE)


_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{32}")


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers=login_page.HEADERS)


def _redirect(location: str, status: int) -> web.Response:
    return web.Response(status=status, headers={"Location": location, **login_page.HEADERS})


def _parameters(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The authorisation request's parameters from the query or form, each at most once."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise LoginRefused("bad_client", f"{name[:40]} is given more than once")
        params[name] = value
    return params


def _language(request: web.Request, chosen: object = None) -> i18n.Language:
    """The login page's language: the one its form was shown in, else the wallet's ``ui_locales``, the pages'
    language cookie, ``Accept-Language``."""
    return (i18n.language(chosen) if isinstance(chosen, str) else None) or login_page.language(
        request.query.get("ui_locales"), request.cookies.get(i18n.LANG_COOKIE), request.headers.get("Accept-Language"))


async def _login_form(request: web.Request, checked: AuthorizationRequest, error: login_page.Message | None = None,
                      status: int = 200, lang: i18n.Language | None = None) -> web.Response:
    """The login page for a checked request, with this browser's CSRF cookie (set if it has none)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    fresh = not _COOKIE_VALUE.fullmatch(cookie)
    if fresh:
        cookie = secrets.token_urlsafe(24)
    fields = {**checked.params,
              "csrf_token": await _issuer(request).authorization.csrf_token(cookie, checked)}
    response = _html(login_page.login_form("authorize", fields, error, lang=lang or _language(request)), status)
    if fresh:
        response.set_cookie(CSRF_COOKIE, cookie, path="/authorize", httponly=True, samesite="Strict",
                            secure=_issuer(request).issuer_url.startswith("https:"))
    return response


@rate_limited("exchanges")
async def authorize_page(request: web.Request) -> web.Response:
    """``GET /authorize``: check the wallet's authorisation request, then show the learner the login form."""
    flow = _issuer(request).authorization
    try:
        checked = await flow.check(_parameters(list(request.query.items())))
    except LoginRefused as exc:
        return _html(login_page.error_page(exc.message, lang=_language(request)), exc.status)
    except Redirect as exc:
        return _redirect(exc.location, 302)
    return await _login_form(request, checked)


@rate_limited("exchanges")
async def authorize_login(request: web.Request) -> web.Response:
    """``POST /authorize`` (the login form): CSRF token, then the learner's code; a redirect to the wallet
    with an authorisation code, or the form again."""
    flow = _issuer(request).authorization
    lang = _language(request)
    try:
        try:
            form = await _read_form(request)
            lang = _language(request, form.get(login_page.LANGUAGE_FIELD))
        except OAuthError as exc:
            raise LoginRefused("bad_client", exc.description) from None
        checked = await flow.check(_parameters([(name, form[name]) for name in PARAMETERS if name in form]))
        if not await flow.csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf_token"), checked):
            raise LoginRefused("forbidden", status=403)
        outcome = await flow.login(checked, form.get("login_code", ""))
    except LoginRefused as exc:
        return _html(login_page.error_page(exc.message, lang=lang), exc.status)
    except Redirect as exc:
        return _redirect(exc.location, 303)
    if outcome.location is not None:
        return _redirect(outcome.location, 303)
    return await _login_form(request, checked, outcome.error, status=400, lang=lang)


def add_routes(app: web.Application) -> None:
    """Register the OpenID4VCI routes (after the exchange routes: the issuer works on their service)."""
    app[OPENID_ISSUER_KEY] = OpenIdIssuer(app[NODE_KEY], app[EXCHANGES_KEY])
    app.router.add_get("/.well-known/openid-credential-issuer", credential_issuer_metadata)
    app.router.add_get("/.well-known/oauth-authorization-server", authorization_server_metadata)
    app.router.add_get("/.well-known/jwt-vc-issuer", jwt_vc_issuer_metadata)
    app.router.add_get(VCT_PATH + "{vct}", type_metadata)
    app.router.add_get("/workflows/claim/exchanges/{exchange}/credential-offer", credential_offer)
    app.router.add_get("/authorize", authorize_page)
    app.router.add_post("/authorize", authorize_login)
    app.router.add_post("/token", token)
    app.router.add_post("/nonce", nonce)
    app.router.add_post("/credential", credential)
