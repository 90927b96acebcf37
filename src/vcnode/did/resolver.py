"""The resolver core: syntax check, driver dispatch, caching, DID URL dereferencing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

from vcnode.did import resolution as r
from vcnode.did.cache import TtlLruCache
from vcnode.did.driver import ENTRY_POINT_GROUP, DidMethodDriver, DriverContext
from vcnode.did.resolution import DriverResult, Resolution, ResolutionError
from vcnode.did.syntax import DidUrl, did_parameters, parse_did_url

log = logging.getLogger(__name__)

# The node's own identities: an in-memory lookup, so synchronous. It gets the string being resolved: a bare
# DID, or a DID with a query of DID parameters (``…?versionTime=…``); None means "not one of ours".
LocalDocuments = Callable[[str], DriverResult | None]

_VERIFICATION_RELATIONSHIPS = ("authentication", "assertionMethod", "keyAgreement",
                               "capabilityInvocation", "capabilityDelegation")


def load_drivers(context: DriverContext) -> dict[str, DidMethodDriver]:
    """Instantiate every driver registered in the ``vcnode.did_methods`` entry-point group."""
    drivers: dict[str, DidMethodDriver] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            driver = ep.load()(context)
        except Exception:  # a broken plug-in must not stop the node; it is logged and skipped
            log.exception("DID method driver %s (%s) failed to load", ep.name, ep.value)
            continue
        drivers[driver.method] = driver
    return drivers


class Resolver:
    """Resolves DIDs through method drivers, with an LRU+TTL cache in front of every method.

    ``local`` is consulted first: the node answers for the identities it holds without a network trip.
    Concurrent resolutions of the same DID share one driver call.
    """

    def __init__(self, drivers: dict[str, DidMethodDriver] | Iterable[DidMethodDriver], *,
                 cache_size: int = 10_000, default_ttl: float = 300.0,
                 local: LocalDocuments | None = None) -> None:
        if not isinstance(drivers, dict):
            drivers = {driver.method: driver for driver in drivers}
        self._drivers = drivers
        self._cache: TtlLruCache[Resolution] = TtlLruCache(cache_size)
        self._default_ttl = default_ttl
        self._local = local
        self._inflight: dict[str, asyncio.Future[Resolution]] = {}

    @property
    def methods(self) -> list[str]:
        """The DID methods this resolver supports."""
        return sorted(self._drivers)

    def invalidate(self, did: str) -> None:
        """Drop the cached results of a DID, with or without DID parameters (e.g. after the node rotated one
        of its own keys)."""
        self._cache.discard(did)
        self._cache.discard_prefix(did + "?")

    async def resolve(self, did: str) -> Resolution:
        """Resolve a bare DID, or a DID with a query of DID parameters its method supports
        (``did:webvh:…?versionTime=…``). Never raises for bad input or upstream faults: errors are in the result.
        """
        cached = self._cache.get(did) if isinstance(did, str) else None
        if cached is not None:
            return cached
        parsed = parse_did_url(did)
        if parsed is None or parsed.path or parsed.fragment is not None:
            return Resolution.failure(r.INVALID_DID, "not a valid DID per the DID Core syntax")
        driver = self._drivers.get(parsed.method)
        if parsed.query is not None:
            problem = self._unsupported_query(parsed, driver)
            if problem is not None:
                return Resolution.failure(r.INVALID_DID_URL, problem)
        if driver is not None and getattr(driver, "offline", False):
            return await self._resolve_and_cache(parsed)
        task = self._inflight.get(did)
        if task is None:
            # The shared work runs in its own task so that one caller giving up (cancellation, timeout)
            # does not cancel it for the others waiting on the same DID.
            task = asyncio.ensure_future(self._resolve_and_cache(parsed))
            self._inflight[did] = task
            task.add_done_callback(lambda _: self._inflight.pop(did, None))
        return await asyncio.shield(task)

    @staticmethod
    def _unsupported_query(parsed: DidUrl, driver: DidMethodDriver | None) -> str | None:
        names = did_parameters(parsed.query or "")
        if names is None:
            return f"the query {str(parsed.query)[:100]!r} is not a list of distinct name=value DID parameters"
        supported = getattr(driver, "did_parameters", frozenset())
        unsupported = sorted(set(names) - supported)
        if driver is not None and unsupported:
            return f"did:{parsed.method} does not support the DID parameters {unsupported[:5]}"
        return None

    @staticmethod
    def _key(parsed: DidUrl) -> str:
        return parsed.did if parsed.query is None else f"{parsed.did}?{parsed.query}"

    async def _resolve_and_cache(self, parsed: DidUrl) -> Resolution:
        result, ttl = await self._resolve_uncached(parsed)
        self._cache.put(self._key(parsed), result, ttl)
        return result

    async def _resolve_uncached(self, parsed: DidUrl) -> tuple[Resolution, float]:
        started = time.perf_counter()
        try:
            found = self._local(self._key(parsed)) if self._local is not None else None
            if found is None:
                driver = self._drivers.get(parsed.method)
                if driver is None:
                    raise ResolutionError(r.METHOD_NOT_SUPPORTED, f"DID method '{parsed.method}' is not supported")
                found = await driver.resolve(parsed)
        except ResolutionError as exc:
            # invalidDid, methodNotSupported and the did:key key errors are facts about the string: cache them
            # like successes.
            permanent = (r.INVALID_DID, r.METHOD_NOT_SUPPORTED, r.UNSUPPORTED_PUBLIC_KEY_TYPE,
                         r.INVALID_PUBLIC_KEY_TYPE, r.INVALID_PUBLIC_KEY_LENGTH, r.INVALID_PUBLIC_KEY)
            cache = exc.code in permanent if exc.permanent is None else exc.permanent
            ttl = self._default_ttl if cache else 0.0
            return Resolution.failure(exc.code, exc.message), ttl
        except Exception as exc:  # a driver bug is reported as internalError, never a crash
            log.exception("driver for did:%s failed", parsed.method)
            return Resolution.failure(r.INTERNAL_ERROR, f"{type(exc).__name__} in the did:{parsed.method} driver"), 0.0
        metadata = {"contentType": r.DID_LD_JSON, "duration": round((time.perf_counter() - started) * 1000, 3)}
        ttl = self._default_ttl if found.cache_ttl is None else found.cache_ttl
        return Resolution(found.document, metadata, found.document_metadata), ttl

    async def dereference(self, did_url: str) -> dict[str, Any]:
        """Dereference a DID URL with a fragment to the verification method it names.

        Raises :class:`ResolutionError` (``invalidDidUrl``, ``notFound`` or the resolution's error).
        """
        parsed = parse_did_url(did_url)
        if parsed is None or parsed.fragment is None or parsed.path or parsed.query is not None:
            raise ResolutionError(r.INVALID_DID_URL, f"not a DID URL with a fragment: {str(did_url)[:200]!r}")
        result = await self.resolve(parsed.did)
        if result.did_document is None and result.document_metadata.get("deactivated") is True:
            raise ResolutionError(r.NOT_FOUND, f"{parsed.did} is deactivated")
        if result.did_document is None:
            raise ResolutionError(result.error or r.INTERNAL_ERROR,
                                  result.resolution_metadata.get("errorMessage", "resolution failed"))
        method = find_verification_method(result.did_document, did_url)
        if method is None:
            raise ResolutionError(r.NOT_FOUND, f"{did_url} is not in the DID document")
        return method


def _absolute(did: str, ref: str) -> str:
    return did + ref if ref.startswith("#") else ref


def find_verification_method(document: dict[str, Any], did_url: str) -> dict[str, Any] | None:
    """Find a verification method by id in ``verificationMethod`` or embedded in a relationship.

    Relative ids (``#key-1``) are made absolute; the returned method has absolute ``id`` and
    ``controller`` so callers can compare them without knowing the document.
    """
    did = document.get("id", "")
    candidates: list[Any] = list(document.get("verificationMethod") or [])
    for relationship in _VERIFICATION_RELATIONSHIPS:
        candidates.extend(item for item in document.get(relationship) or [] if isinstance(item, dict))
    for method in candidates:
        if isinstance(method, dict) and isinstance(method.get("id"), str) \
                and _absolute(did, method["id"]) == did_url:
            found = dict(method)
            found["id"] = did_url
            if isinstance(found.get("controller"), str):
                found["controller"] = _absolute(did, found["controller"])
            return found
    return None


def relationship_ids(document: dict[str, Any], relationship: str) -> set[str]:
    """The absolute ids of the verification methods listed under a verification relationship."""
    did = document.get("id", "")
    ids = set()
    for item in document.get(relationship) or []:
        ref = item.get("id") if isinstance(item, dict) else item
        if isinstance(ref, str):
            ids.add(_absolute(did, ref))
    return ids
