"""did:webvh 1.0 — fetch ``did.jsonl`` (and ``did-witness.json`` when witnesses are configured) from the web
server the DID names, verify the whole log, and answer with the version asked for.

``did:webvh:<SCID>:example.com`` → ``https://example.com/.well-known/did.jsonl``;
``did:webvh:<SCID>:example.com:dids:issuer`` → ``https://example.com/dids/issuer/did.jsonl``.
``versionId``, ``versionTime`` and ``versionNumber`` DID parameters select an earlier version.
The verification itself is pure and lives in :mod:`vcnode.webvh`; this module does the fetching.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from vcnode.did.cache import TtlLruCache
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import INTERNAL_ERROR, INVALID_DID, NOT_FOUND, DriverResult, ResolutionError
from vcnode.did.syntax import DidUrl, did_parameters
from vcnode.errors import FetchError
from vcnode.net.fetch import MAX_CACHE_SECONDS, FetchResponse, SafeFetcher, parse_max_age
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.identifier import WebvhDid, parse_webvh_did
from vcnode.webvh.log import VerifiedLog, apply_witnesses, verify_log
from vcnode.webvh.versions import QUERY_PARAMETERS, resolve_version

LOG_ACCEPT = "text/jsonl, application/jsonl, application/json;q=0.5, */*;q=0.1"
VERIFIED_LOGS = 1000  # fully verified logs kept, so each version query does not fetch and verify again


class WebvhDriver:
    """Resolves did:webvh through the node's guarded fetcher, verifying every entry of the log."""

    method: ClassVar[str] = "webvh"
    offline: ClassVar[bool] = False
    did_parameters: ClassVar[frozenset[str]] = QUERY_PARAMETERS

    def __init__(self, context: DriverContext) -> None:
        if context.fetcher is None:
            raise ValueError("the did:webvh driver needs a fetcher")
        self._fetcher: SafeFetcher = context.fetcher
        self._replicas = context.replicas
        # Verifying a credential signed before a rotation resolves <did>?versionTime=<created>: every
        # credential brings another time, so the log itself is cached, not only each result.
        self._logs: TtlLruCache[tuple[VerifiedLog, float]] = TtlLruCache(VERIFIED_LOGS)

    async def resolve(self, did: DidUrl) -> DriverResult:
        """Fetch and verify the log, then select the version the query names (the latest without one)."""
        allow = self._fetcher.allowed_hosts
        try:
            parsed = parse_webvh_did(did.did, allow_hosts=allow)
        except WebvhError as exc:  # a fact about the string: the resolver may cache it
            raise ResolutionError(INVALID_DID, exc.message) from None
        try:
            log, expires = await self._log(parsed)
            selected = resolve_version(log, did_parameters(did.query or "") or {}, allow_hosts=allow)
        except WebvhError as exc:
            # A log that fails verification may be repaired by its controller: never cached.
            raise ResolutionError(exc.resolution_error, exc.message, permanent=False) from None
        return DriverResult(selected.document, selected.metadata, cache_ttl=max(0.0, expires - time.monotonic()))

    async def _log(self, did: WebvhDid) -> tuple[VerifiedLog, float]:
        """The verified log (witness approvals applied) and when it expires (monotonic clock)."""
        cached = self._logs.get(did.did)
        if cached is not None:
            return cached
        allow = self._fetcher.allowed_hosts
        plain_http = did.host in allow
        url = did.log_url(plain_http=plain_http)
        try:
            response = await self._get(url, LOG_ACCEPT)
        except ResolutionError:
            # The DID's server is unreachable: a copy peers replicated (they act as watchers) is as good,
            # since the log verifies by itself — hash chain, SCID and proofs — wherever it comes from.
            replica = await self._replicas(url) if self._replicas is not None else None
            if replica is None:
                raise
            response = FetchResponse(url, 200, {}, replica)
        if response.status in (404, 410):
            raise ResolutionError(NOT_FOUND, f"{response.url} answered {response.status}: no DID log")
        log = verify_log(response.body, did, now=datetime.now(UTC), allow_hosts=allow)
        if log.needs_witnesses:
            log = apply_witnesses(log, await self._witness_file(did.witness_url(plain_http=plain_http)))
        # The controller's ttl parameter, but never longer than the server's Cache-Control or one day.
        max_age = parse_max_age(response.headers)
        ttl = min(float(log.versions[-1].parameters.ttl) if log.versions else 0.0, MAX_CACHE_SECONDS,
                  math.inf if max_age is None else max_age)
        result = (log, time.monotonic() + ttl)
        if log.error is None:  # the spec: do not cache a DID that fails verification
            self._logs.put(did.did, result, ttl)
        return result

    async def _get(self, url: str, accept: str) -> FetchResponse:
        try:
            response = await self._fetcher.get(url, accept=accept)
        except FetchError as exc:
            raise ResolutionError(INTERNAL_ERROR, f"{exc.code}: {exc.detail}") from None
        if response.status not in (200, 404, 410):
            raise ResolutionError(INTERNAL_ERROR, f"{url} answered HTTP {response.status}")
        return response

    async def _witness_file(self, url: str) -> Any:
        """The parsed ``did-witness.json``; None when not published (then no version needing witnesses
        verifies); a non-JSON body is passed on as is, to be reported as an invalid witness file."""
        response = await self._get(url, "application/json")
        if response.status != 200:
            return None
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError:
            return response.body
