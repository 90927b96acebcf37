"""Rendering pages: one Jinja environment per language, security headers, sessions, CSRF and HTML errors.

A page handler is ``async def handler(request, page: Page) -> web.StreamResponse`` wrapped with :func:`page`;
``page`` gives it the language, the session, the logged-in token, the CSRF-checked form and ``render``.
Errors raised as :class:`vcnode.errors.VcnodeError` become an HTML error page with the same status (pages never
answer problem+json: people read them). Every page response gets :data:`PAGE_HEADERS`:

- a Content-Security-Policy that lets the page load only this node's own scripts, styles and images (plus
  ``data:`` images), talk only to this node and post forms only to it: no inline script or style, nothing from
  a CDN, no framing;
- ``no-store`` caching, ``nosniff``, ``no-referrer`` and a Permissions-Policy allowing the camera to this
  origin only (the verify page's QR scanner).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from vcnode import i18n
from vcnode.auth.records import TokenRecord
from vcnode.auth.tokens import Forbidden, Unauthorized
from vcnode.errors import VcnodeError
from vcnode.http.docs_routes import Asset, asset
from vcnode.http.health_routes import NODE_KEY
from vcnode.web.session import CSRF_FIELD, SECRET_META, SESSION_COOKIE, Session, SessionSigner

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; media-src 'self' blob:; form-action 'self'; base-uri 'none'; "
                           "frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
                "Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}
LOGIN_PATH = "/desk/login"
#: Set on every page handler: pages are for people, documented in docs/pages.md, not in the OpenAPI document.
PAGE_ATTRIBUTE = "vcnode_page"
#: Static files: ``/static/<folder>/<name>`` from vcnode/web/static, only these folders and plain names.
_STATIC_PATH = re.compile(r"(css|js|img|vendor/[a-z0-9-]+)/[A-Za-z0-9._-]+\.(css|js|svg|png|txt|md)|"
                          r"vendor/[a-z0-9-]+/LICENSE")
_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml",
          "png": "image/png", "txt": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8"}


class LoginRequired(VcnodeError):
    """A desk page opened without a session: the person is sent to the login page."""

    code = "loginRequired"
    status = 401
    title = "Login required"


@dataclass
class PageSettings:
    """What the pages share in one app: the environments per language, the session signer (made on first use
    from the store's secret)."""

    signer: SessionSigner | None = None
    secure_cookies: bool = False
    env_keys: dict[str, web.AppKey[jinja2.Environment]] = field(default_factory=dict)


PAGES_KEY = web.AppKey("vcnode_pages", PageSettings)
# App keys are made at import time: aiohttp names each after the module that creates it.
_ENV_KEYS = {language.locale: web.AppKey(f"vcnode_jinja_{language.locale}", jinja2.Environment)
             for language in i18n.LANGUAGES}


def setup(app: web.Application, *, secure_cookies: bool) -> None:
    """Make the Jinja environments (autoescaped, one per language with its translations installed)."""
    settings = PageSettings(secure_cookies=secure_cookies)
    for language in i18n.LANGUAGES:
        key = _ENV_KEYS[language.locale]
        env = aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("vcnode.web", "templates"), app_key=key,
                                   autoescape=True, extensions=["jinja2.ext.i18n"], trim_blocks=True,
                                   lstrip_blocks=True, undefined=jinja2.StrictUndefined, default_helpers=False)
        env.install_gettext_translations(i18n.translations(language.locale), newstyle=True)  # type: ignore[attr-defined]
        settings.env_keys[language.locale] = key
    app[PAGES_KEY] = settings


async def _signer(request: web.Request) -> SessionSigner:
    settings = request.app[PAGES_KEY]
    if settings.signer is None:  # the secret is insert-once in the store, so keeping it is safe
        secret = await request.app[NODE_KEY].store.ensure_meta(SECRET_META, secrets.token_hex(32))
        settings.signer = SessionSigner(bytes.fromhex(secret))
    return settings.signer


class Page:
    """One page request: its language, session and login, and how to answer it."""

    def __init__(self, request: web.Request, language: i18n.Language, signer: SessionSigner,
                 session: Session, *, new_session: bool) -> None:
        self.request = request
        self.language = language
        self.signer = signer
        self.session = session
        self._set_session = new_session
        self._set_language = request.query.get("lang") is not None and i18n.language(request.query["lang"])
        self.login: TokenRecord | None = None
        self.gettext = i18n.translations(language.locale).gettext
        self.ngettext = i18n.translations(language.locale).ngettext

    @property
    def node(self) -> Any:
        return self.request.app[NODE_KEY]

    @property
    def csrf_token(self) -> str:
        return self.signer.csrf_token(self.session)

    def start_session(self, token_hash: str | None) -> None:
        """Replace the session with a new one (a new id): on login with the token's hash, on logout without."""
        self.session = self.signer.new(token_hash)
        self._set_session = True

    async def require_login(self, scope: str | tuple[str, ...] = ("issue", "status", "read", "exchange")
                            ) -> TokenRecord:
        """The token of the logged-in person, which must have ``scope`` (or one of them); otherwise
        :class:`LoginRequired` (to the login page) or 403."""
        if self.session.token_hash is None:
            raise LoginRequired("log in with an API token to use the desk")
        try:
            self.login = await self.node.tokens.authenticate_hash(self.session.token_hash, scope)
        except Unauthorized:  # the token was revoked since: the session is over
            self.start_session(None)
            raise LoginRequired("the token of this session is no longer valid; log in again") from None
        return self.login

    async def form(self) -> MultiDictProxy[Any]:
        """The POSTed form, after checking it came from this node's own page: the right CSRF token for this
        session and no foreign ``Origin``."""
        origin = self.request.headers.get("Origin")
        if origin is not None and origin != "null" and urlsplit(origin).netloc != self.request.host:
            raise Forbidden("this form was sent from another site")
        data = await self.request.post()
        if not self.signer.csrf_ok(self.session, data.get(CSRF_FIELD) if isinstance(data.get(CSRF_FIELD), str)
                                   else None):
            raise Forbidden("this form is out of date or was not sent from this node's page; reload the page "
                            "and try again")
        return data

    def context(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """What every template gets, plus ``extra``."""
        return {"lang": self.language, "languages": i18n.LANGUAGES, "lang_url": self.lang_url,
                "csrf_field": CSRF_FIELD, "csrf_token": self.csrf_token, "logged_in": self.session.logged_in,
                "login": self.login, "path": self.request.path, **extra}

    def lang_url(self, tag: str) -> str:
        """This page's URL in another language (other query parameters kept)."""
        query = [(k, v) for k, v in self.request.query.items() if k != "lang"] + [("lang", tag)]
        return self.request.path + "?" + urlencode(query)

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        """The page ``template`` in this request's language."""
        key = self.request.app[PAGES_KEY].env_keys[self.language.locale]
        response = aiohttp_jinja2.render_template(template, self.request, self.context(context), app_key=key,
                                                  status=status)
        return response

    def redirect(self, location: str) -> web.Response:
        """303 to ``location`` on this node (a path: never to another site)."""
        if not location.startswith("/") or location.startswith("//") or "\\" in location:
            location = "/"
        return web.Response(status=303, headers={"Location": location})

    def finish(self, response: web.StreamResponse) -> web.StreamResponse:
        """Add the headers and cookies every page response carries."""
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Language", self.language.tag)
        secure = self.request.app[PAGES_KEY].secure_cookies
        if self._set_session:
            response.set_cookie(SESSION_COOKIE, self.signer.encode(self.session), path="/", httponly=True,
                                samesite="Strict", secure=secure, max_age=None)
        if self._set_language:
            response.set_cookie(i18n.LANG_COOKIE, self.language.tag, path="/", samesite="Lax", secure=secure,
                                max_age=365 * 86400)
        return response


PageHandler = Callable[[web.Request, Page], Awaitable[web.StreamResponse]]


def page(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a page handler: negotiate the language, read (or start) the session, answer errors with an HTML
    page, and add the headers and cookies."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        language = i18n.negotiate(request.query.get("lang"), request.cookies.get(i18n.LANG_COOKIE),
                                  request.headers.get("Accept-Language"))
        signer = await _signer(request)
        session = signer.decode(request.cookies.get(SESSION_COOKIE))
        current = Page(request, language, signer, session or signer.new(), new_session=session is None)
        try:
            response = await handler(request, current)
        except LoginRequired:
            target = request.path_qs if request.method == "GET" else request.path
            response = current.redirect(LOGIN_PATH + "?" + urlencode({"next": target}))
        except VcnodeError as exc:
            response = error_page(current, exc.status, exc.detail)
        return current.finish(response)

    setattr(wrapped, PAGE_ATTRIBUTE, True)
    return wrapped


def is_page(handler: object) -> bool:
    """Whether a route's handler serves a page (or a page's own files) rather than the API."""
    return bool(getattr(handler, PAGE_ATTRIBUTE, False))


def error_page(current: Page, status: int, detail: str) -> web.Response:
    """An HTML page saying why the request stopped, with its status."""
    return current.render("error.html", status=status, status_code=status, detail=detail)


async def get_static(request: web.Request) -> web.Response:
    """``GET /static/{path}``: the pages' stylesheets, scripts, images and vendored libraries."""
    path = request.match_info["path"]
    if not _STATIC_PATH.fullmatch(path) or ".." in path:
        raise web.HTTPNotFound()
    try:
        served: Asset = asset("static/" + path, _TYPES.get(path.rsplit(".", 1)[-1], "text/plain; charset=utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise web.HTTPNotFound() from None
    headers = {"ETag": served.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if served.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=served.body, headers={"Content-Type": served.content_type, **headers})


setattr(get_static, PAGE_ATTRIBUTE, True)


def static_hash(path: str) -> str:
    """A short hash of a static file (for cache-busting URLs in templates)."""
    return hashlib.sha256(resources.files("vcnode.web").joinpath("static", *path.split("/")).read_bytes()
                          ).hexdigest()[:12]


def add_routes(app: web.Application, *, secure_cookies: bool) -> None:
    """Set up rendering and the static files (the verify page and the desk add their own routes)."""
    setup(app, secure_cookies=secure_cookies)
    app.router.add_get("/static/{path:.+}", get_static)
