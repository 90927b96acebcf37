"""The institution desk ``/desk``: login with an API token, then the institution's work.

Logging in checks the API token once (it must have one of the desk's scopes) and starts a signed session that
holds its hash (:mod:`vcnode.web.session`); each desk page then needs the scope of what it does, just as the
API would (``issue`` to issue, ``exchange`` for claim links, ``status`` to revoke, ``read`` to list), and a
token bound to one identity sees and acts for that identity only. The parts: the one-badge form
(:mod:`vcnode.web.desk_issue`), the issued credentials and their status (:mod:`vcnode.web.desk_credentials`),
the audit log (:mod:`vcnode.web.desk_audit`); CSV batches and trust statements have their own modules.
"""

from __future__ import annotations

from aiohttp import web

from vcnode.auth.tokens import Forbidden, Unauthorized, hash_token
from vcnode.http.ratelimit import rate_limited
from vcnode.web import desk_audit, desk_credentials, desk_issue
from vcnode.web.desk_common import DESK_SCOPES, SCOPE_LABELS, has_scope, identities
from vcnode.web.pages import Page, page

__all__ = ["DESK_SCOPES", "add_routes"]


def _next(value: object) -> str:
    """Where to go after logging in: a path on this node under /desk, else the desk's start page."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/desk") and not text.startswith("//") and "\\" not in text else "/desk"


@rate_limited("pages")
@page
async def login_form(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk/login``: the login form."""
    return current.render("desk/login.html", next=_next(request.query.get("next")), error=None)


@rate_limited("pages")
@page
async def login(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/login``: check the token, start a new session, go on to ``next``."""
    form = await current.form()
    token = form.get("token")
    target = _next(form.get("next"))
    error = None
    if not isinstance(token, str) or not token.strip():
        error = current.gettext("Enter an API token.")
    else:
        try:
            await current.node.tokens.authenticate("Bearer " + token.strip(), DESK_SCOPES)
        except Unauthorized:
            error = current.gettext("That token is not valid (mistyped, revoked, or from another node).")
        except Forbidden:
            error = current.gettext("That token cannot use the desk: it needs the issue, status, read or "
                                    "exchange scope.")
    if error is not None:
        return current.render("desk/login.html", status=401, next=target, error=error)
    current.start_session(hash_token(token.strip()))  # a new session id: no fixation
    return current.redirect(target)


@page
async def logout(request: web.Request, current: Page) -> web.StreamResponse:
    """``POST /desk/logout``: end the session."""
    await current.form()
    current.start_session(None)
    return current.redirect("/")


@page
async def home(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /desk``: what the logged-in token may do, and the identities it acts for."""
    token = await current.require_login(DESK_SCOPES)
    may = {scope: has_scope(token, scope) for scope in ("issue", "exchange", "status", "read")}
    abilities = [current.gettext(label) for scope, label in SCOPE_LABELS.items() if scope in token.scopes]
    return current.render("desk/home.html", identities=identities(current.node, token), abilities=abilities,
                          may=may, bound=token.identity)


def add_routes(app: web.Application) -> None:
    """Register the desk's routes."""
    app.router.add_get("/desk/login", login_form)
    app.router.add_post("/desk/login", login)
    app.router.add_post("/desk/logout", logout)
    app.router.add_get("/desk", home)
    desk_issue.add_routes(app)
    desk_credentials.add_routes(app)
    desk_audit.add_routes(app)
