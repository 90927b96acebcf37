"""The node's web pages: the public verify page and the institution desk.

Server-rendered with aiohttp-jinja2 (autoescaped), translated with Babel catalogues, served with a strict
Content-Security-Policy; every asset is package data under ``vcnode/web/static``. Modules:

- :mod:`vcnode.web.i18n`: languages, catalogues and negotiation (``?lang=``, cookie, ``Accept-Language``).
- :mod:`vcnode.web.session`: the signed session cookie and CSRF tokens.
- :mod:`vcnode.web.pages`: rendering, security headers, HTML error pages, static files.
"""
