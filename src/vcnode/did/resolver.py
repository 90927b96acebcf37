"""The resolver core: syntax check, driver dispatch, caching, DID URL dereferencing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from vcnode.did import resolution as r
from vcnode.did.cache import TtlLruCache
from vcnode.did.driver import ENTRY_POINT_GROUP, DidMethodDriver, DriverContext
from vcnode.did.resolution import Dereferencing, DriverResult, Resolution, ResolutionError
from vcnode.did.syntax import DidUrl, did_parameters, parse_did_url

log = logging.getLogger(__name__)

# The node's own identities: an in-memory lookup, so synchronous. It gets the string being resolved: a bare
# DID, or a DID with a query of DID parameters (``…?versionTime=…``); None means "not one of ours".
LocalDocuments = Callable[[str], DriverResult | None]

_VERIFICATION_RELATIONSHIPS = ("authentication", "assertionMethod", "keyAgreement",
                               "capabilityInvocation", "capabilityDelegation")
# DID parameters the dereferencer itself handles (DID Resolution §"DID Parameters"); the others go to resolution.
SERVICE_PARAMETERS = frozenset({"service", "serviceType", "relativeRef"})
# Representations of a DID document a caller may ask a service dereferencing for (the ``accept`` option):
# the document with only the selected services instead of their endpoint URLs.
_DOCUMENT_TYPES = frozenset({r.DID_MEDIA_TYPE, r.DID_LD_JSON, r.DID_JSON})


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

    @property
    def option_names(self) -> frozenset[str]:
        """The resolution options some driver takes (e.g. did:key's ``publicKeyFormat``)."""
        return frozenset().union(*(getattr(d, "resolution_options", frozenset()) for d in self._drivers.values()))

    def invalidate(self, did: str) -> None:
        """Drop the cached results of a DID, with or without DID parameters (e.g. after the node rotated one
        of its own keys)."""
        self._cache.discard(did)
        self._cache.discard_prefix(did + "?")

    async def resolve(self, did: str, options: dict[str, Any] | None = None) -> Resolution:
        """Resolve a bare DID, or a DID with a query of DID parameters its method supports
        (``did:webvh:…?versionTime=…``). Never raises for bad input or upstream faults: errors are in the result.

        ``options`` are DID resolution options; a driver gets those it names in ``resolution_options`` (e.g.
        did:key's ``publicKeyFormat``) and the others are ignored, as the specification allows.
        """
        parsed = parse_did_url(did)
        driver = self._drivers.get(parsed.method) if parsed is not None else None
        driver_options = self._driver_options(driver, options)
        key = did if not driver_options or not isinstance(did, str) else \
            did + "\x00" + "&".join(f"{k}={v}" for k, v in sorted(driver_options.items()))
        cached = self._cache.get(key) if isinstance(key, str) else None
        if cached is not None:
            return cached
        if parsed is None or parsed.path or parsed.fragment is not None:
            return Resolution.failure(r.INVALID_DID, "not a valid DID per the DID Core syntax")
        if parsed.query is not None:
            problem = self._unsupported_query(parsed, driver)
            if problem is not None:
                return Resolution.failure(r.INVALID_DID_URL, problem)
        if driver is not None and getattr(driver, "offline", False):
            return await self._resolve_and_cache(parsed, key, driver_options)
        task = self._inflight.get(key)
        if task is None:
            # The shared work runs in its own task so that one caller giving up (cancellation, timeout)
            # does not cancel it for the others waiting on the same DID.
            task = asyncio.ensure_future(self._resolve_and_cache(parsed, key, driver_options))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    @staticmethod
    def _driver_options(driver: DidMethodDriver | None, options: dict[str, Any] | None) -> dict[str, Any]:
        names = getattr(driver, "resolution_options", frozenset())
        return {k: v for k, v in (options or {}).items() if k in names}

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

    async def _resolve_and_cache(self, parsed: DidUrl, key: str, options: dict[str, Any]) -> Resolution:
        result, ttl = await self._resolve_uncached(parsed, options)
        self._cache.put(key, result, ttl)
        return result

    async def _resolve_uncached(self, parsed: DidUrl, options: dict[str, Any]) -> tuple[Resolution, float]:
        started = time.perf_counter()
        try:
            # The node's own documents are in their default form: options go to the driver.
            found = self._local(self._key(parsed)) if self._local is not None and not options else None
            if found is None:
                driver = self._drivers.get(parsed.method)
                if driver is None:
                    raise ResolutionError(r.METHOD_NOT_SUPPORTED, f"DID method '{parsed.method}' is not supported")
                found = await (driver.resolve(parsed, options) if options else driver.resolve(parsed))
        except ResolutionError as exc:
            # invalidDid, methodNotSupported and the did:key key errors are facts about the string: cache them
            # like successes.
            permanent = (r.INVALID_DID, r.METHOD_NOT_SUPPORTED, r.UNSUPPORTED_PUBLIC_KEY_TYPE,
                         r.INVALID_PUBLIC_KEY_TYPE, r.INVALID_PUBLIC_KEY_LENGTH, r.INVALID_PUBLIC_KEY)
            cache = exc.code in permanent if exc.permanent is None else exc.permanent
            ttl = self._default_ttl if cache else 0.0
            return Resolution.failure(exc.code, exc.message, exc.error_type), ttl
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


    async def dereference_url(self, did_url: str, options: dict[str, Any] | None = None) -> Dereferencing:
        """The DID URL dereferencing function of the DID Resolution specification.

        The content is the DID document (no fragment, path or service parameters), the verification method or
        service a fragment names, or — for ``service``/``serviceType`` with an optional ``relativeRef`` — the
        selected service endpoint URLs with the relative reference resolved against them, as ``text/uri-list``
        (or, when ``options["accept"]`` is a DID document media type, the document with only those services).
        DID parameters other than the service ones (``versionId``, ``versionTime``) and ``options`` are passed to
        resolution. Never raises for bad input: errors are in the result.
        """
        parsed = parse_did_url(did_url)
        if parsed is None:
            return Dereferencing.failure(r.INVALID_DID_URL, f"not a DID URL: {str(did_url)[:200]!r}")
        pairs = [pair for pair in (parsed.query or "").split("&") if pair]
        parameters = did_parameters(parsed.query or "")
        if parameters is None:
            return Dereferencing.failure(r.INVALID_DID_URL, "the query is not a list of distinct name=value pairs")
        rest = [pair for pair in pairs if unquote(pair.partition("=")[0]) not in SERVICE_PARAMETERS]
        did = parsed.did + ("?" + "&".join(rest) if rest else "")
        resolution = await self.resolve(did, options)
        if resolution.error:
            return Dereferencing(None, resolution.resolution_metadata, {})
        document, metadata = resolution.did_document, resolution.document_metadata
        if document is None:  # deactivated, document withheld: the metadata says so (HTTP 410)
            return Dereferencing(None, {}, metadata)
        if parsed.path:
            return Dereferencing.failure(r.NOT_FOUND, f"did:{parsed.method} defines no dereferencing of DID paths")
        service = {k: v for k, v in parameters.items() if k in SERVICE_PARAMETERS}
        if service:
            accept = (options or {}).get("accept")
            return self._dereference_service(document, metadata, service, parsed.fragment, accept)
        if parsed.fragment is None:
            return Dereferencing(document, {"contentType": r.DID_LD_JSON}, metadata)
        fragment_url = f"{parsed.did}#{parsed.fragment}"
        found = find_verification_method(document, fragment_url) or find_service(document, fragment_url)
        if found is None:
            return Dereferencing.failure(r.NOT_FOUND, f"{fragment_url[:200]} is not in the DID document")
        if "@context" in document:  # the secondary resource keeps the context that gives its terms meaning
            found = {"@context": document["@context"], **found}
        return Dereferencing(found, {"contentType": r.DID_LD_JSON}, metadata)

    @staticmethod
    def _dereference_service(document: dict[str, Any], metadata: dict[str, Any], parameters: dict[str, str],
                             fragment: str | None, accept: str | None) -> Dereferencing:
        if "service" not in parameters and "serviceType" not in parameters:
            return Dereferencing.failure(r.INVALID_DID_URL, "relativeRef needs a service or serviceType parameter")
        did = document.get("id", "")
        # ``service=files`` names the service ``#files`` (DID Core "Relative DID URLs"), as does ``#files`` or the
        # absolute DID URL.
        wanted = parameters.get("service", "")
        wanted_id = wanted if wanted.startswith("did:") else did + "#" + wanted.removeprefix("#")
        selected = []
        for service in document.get("service") or []:
            if not isinstance(service, dict):
                continue
            if "service" in parameters and _absolute(did, str(service.get("id", ""))) != wanted_id:
                continue
            types = service.get("type")
            if "serviceType" in parameters and parameters["serviceType"] not in (
                    types if isinstance(types, list) else [types]):
                continue
            selected.append(service)
        if not selected:
            return Dereferencing.failure(r.NOT_FOUND, "no service of the DID document matches")
        if accept in _DOCUMENT_TYPES:
            return Dereferencing({**document, "service": selected}, {"contentType": r.DID_LD_JSON}, metadata)
        if accept not in (None, r.URI_LIST):
            return Dereferencing.failure(r.REPRESENTATION_NOT_SUPPORTED,
                                         f"a service is dereferenced to {r.URI_LIST} or a DID document")
        urls = []
        for service in selected:
            endpoint = service.get("serviceEndpoint")
            for url in endpoint if isinstance(endpoint, list) else [endpoint]:
                if not isinstance(url, str):  # a map endpoint has no URL to return
                    continue
                # RFC 3986 §5 reference resolution (urljoin implements it; with no relativeRef: the URL itself)
                url = urljoin(url, parameters["relativeRef"]) if "relativeRef" in parameters else url
                if fragment is not None:  # the URL inherits the DID URL's fragment, unless it has its own
                    if urlsplit(url).fragment:
                        return Dereferencing.failure(r.INVALID_DID_URL,
                                                     "the service endpoint URL already has a fragment")
                    url = f"{url}#{fragment}"
                urls.append(url)
        if not urls:
            return Dereferencing.failure(r.NOT_FOUND, "the selected services have no URL endpoints")
        return Dereferencing("\r\n".join(urls), {"contentType": r.URI_LIST}, {})


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


def find_service(document: dict[str, Any], did_url: str) -> dict[str, Any] | None:
    """Find a service by its (absolute or relative) id; the returned service has an absolute ``id``."""
    did = document.get("id", "")
    for service in document.get("service") or []:
        if isinstance(service, dict) and isinstance(service.get("id"), str) \
                and _absolute(did, service["id"]) == did_url:
            return {**service, "id": did_url}
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
