"""The public verify page ``/`` (issue 15): filled in by the verify page's work."""

from __future__ import annotations

from aiohttp import web

from vcnode.http.ratelimit import rate_limited
from vcnode.web.pages import Page, page


@rate_limited("pages")
@page
async def index(request: web.Request, current: Page) -> web.StreamResponse:
    """``GET /``: the verify page."""
    return current.render("placeholder.html")


def add_routes(app: web.Application) -> None:
    """Register the verify page's routes."""
    app.router.add_get("/", index)
