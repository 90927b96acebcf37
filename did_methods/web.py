"""did:web — fetch ``did.json`` from the web server the DID names.

``did:web:example.edu`` → ``https://example.edu/.well-known/did.json``;
``did:web:example.edu:faculty:law`` → ``https://example.edu/faculty/law/did.json``;
``did:web:localhost%3A8443`` → ``https://localhost:8443/.well-known/did.json``.
Hosts named in ``allow_http_hosts`` are fetched over plain HTTP (test and development set-ups).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import orjson

from vcnode.did.driver import DriverContext
from vcnode.did.resolution import (
    INTERNAL_ERROR,
    INVALID_DID,
    INVALID_DID_DOCUMENT,
    NOT_FOUND,
    DriverResult,
    ResolutionError,
)
from vcnode.did.syntax import DidUrl
from vcnode.errors import FetchError
from vcnode.net.fetch import SafeFetcher, parse_max_age

# A decoded did:web domain: a host name (IDN letters allowed) or IPv4 address, or an IPv6 literal in brackets,
# with an optional numeric port. A decoded '/', '?', '#', '@', '\\' or space would make the URL name a
# resource other than the one the DID names (did:web:example.com%23 would fetch the home page).
_DOMAIN_RE = re.compile(r"(?:[\w.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def did_web_url(did: DidUrl, *, plain_http: bool = False) -> str:
    """The URL of the document of a did:web DID."""
    domain, *path = did.method_specific_id.split(":")
    host = unquote(domain)
    if not _DOMAIN_RE.fullmatch(host):
        raise ResolutionError(INVALID_DID, "did:web domain is empty or malformed")
    segments = [unquote(segment) for segment in path]
    if any(not segment or segment in (".", "..") or "/" in segment for segment in segments):
        raise ResolutionError(INVALID_DID, "did:web path segments must be non-empty and contain no '/'")
    scheme = "http" if plain_http else "https"
    tail = "/".join(quote(segment, safe="") for segment in segments) + "/did.json" if segments \
        else ".well-known/did.json"
    return f"{scheme}://{host}/{tail}"


def host_of(did: DidUrl) -> str:
    """The host (without port) a did:web DID points at."""
    domain = unquote(did.method_specific_id.split(":", 1)[0])
    if domain.startswith("["):
        return domain[1:].split("]", 1)[0]
    return domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain


class WebDriver:
    """Resolves did:web through the node's guarded fetcher."""

    method: ClassVar[str] = "web"
    offline: ClassVar[bool] = False

    def __init__(self, context: DriverContext) -> None:
        if context.fetcher is None:
            raise ValueError("the did:web driver needs a fetcher")
        self._fetcher: SafeFetcher = context.fetcher

    async def resolve(self, did: DidUrl) -> DriverResult:
        """Fetch, parse and check the document; its ``id`` must be the DID."""
        url = did_web_url(did, plain_http=self._fetcher.is_allowed_host(host_of(did)))
        try:
            response = await self._fetcher.get(url, accept="application/did+json, application/json")
        except FetchError as exc:
            raise ResolutionError(INTERNAL_ERROR, f"{exc.code}: {exc.detail}") from None
        if response.status in (404, 410):
            raise ResolutionError(NOT_FOUND, f"{url} answered {response.status}")
        if response.status != 200:
            raise ResolutionError(INTERNAL_ERROR, f"{url} answered HTTP {response.status}")
        try:
            document: Any = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise ResolutionError(INVALID_DID_DOCUMENT, f"{url} did not return JSON") from None
        if not isinstance(document, dict):
            raise ResolutionError(INVALID_DID_DOCUMENT, f"{url} returned JSON that is not an object")
        if document.get("id") != did.did:
            raise ResolutionError(INVALID_DID_DOCUMENT,
                                  f"document id {str(document.get('id'))[:200]!r} is not the DID {did.did}")
        return DriverResult(document, {}, cache_ttl=parse_max_age(response.headers))
