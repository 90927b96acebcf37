"""The node's web pages: the public verify page and the institution desk.

Server-rendered with aiohttp-jinja2 (autoescaped), translated with Babel catalogues, served with a strict
Content-Security-Policy; every asset is package data under ``vcnode/web/static``. Modules:

- languages and catalogues live in :mod:`vcnode.i18n` (shared with the OpenID4VCI login page).
- :mod:`vcnode.web.session`: the signed session cookie and CSRF tokens.
- :mod:`vcnode.web.pages`: rendering, security headers, HTML error pages, static files.
"""
