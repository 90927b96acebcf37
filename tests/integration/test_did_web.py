"""did:web end to end: the real Resolver, WebDriver and SafeFetcher against a real HTTP server on 127.0.0.1.

The server is an aiohttp application on a free port whose routes each test sets; it counts the requests
per path so the tests can tell a cache hit from a fetch. Every call is bounded by ``asyncio.wait_for`` so
a guard that fails open (a hang, an endless body) fails the test instead of stalling the run.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import orjson
import pytest
from aiohttp import web

from did_methods.web import WebDriver, did_web_url
from tests.servers import ConnectionCounter, Handler, LocalServer
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import Resolution, ResolutionError
from vcnode.did.resolver import Resolver
from vcnode.did.syntax import parse_did_url
from vcnode.errors import FetchError
from vcnode.net.fetch import SafeFetcher, parse_max_age

pytestmark = pytest.mark.integration

TIMEOUT = 1.0  # the fetcher's total timeout, seconds
MAX_BYTES = 64 * 1024  # the fetcher's body cap
BOUND = 5.0  # no single call in this file may take longer than this
FAST = 0.5  # a refusal that happens before connecting returns well inside this

T = TypeVar("T")


async def bounded(awaitable: Awaitable[T], seconds: float = BOUND) -> T:
    """Await with a hard bound, so a hang shows up as a failure rather than a stuck test run."""
    return await asyncio.wait_for(awaitable, seconds)


class DidServer(LocalServer):
    """A real HTTP server on 127.0.0.1 serving whatever handlers a test registers, counting requests."""

    not_found = "no such document"

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.authority}{path}"

    def did(self, *segments: str) -> str:
        """The did:web DID of this server (root form), or of a path under it."""
        return ":".join([f"did:web:127.0.0.1%3A{self.port}", *segments])

    @staticmethod
    def path_of(*segments: str) -> str:
        return "/" + "/".join(segments) + "/did.json" if segments else "/.well-known/did.json"

    def serve(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def serve_json(self, path: str, value: Any, *, status: int = 200, headers: dict[str, str] | None = None
                   ) -> None:
        body = orjson.dumps(value)

        async def handler(_: web.Request) -> web.Response:
            return web.Response(body=body, status=status, content_type="application/did+json",
                                headers=headers)

        self.serve(path, handler)

    def serve_document(self, *segments: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """Serve a valid DID document for ``did(*segments)`` at its did:web path; return the document."""
        document = make_document(self.did(*segments))
        self.serve_json(self.path_of(*segments), document, headers=headers)
        return document

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        async def handler(_: web.Request) -> web.Response:
            # Built by hand (not web.HTTPFound) so the Location is sent exactly as given, even malformed.
            return web.Response(status=status, headers={"Location": location})

        self.serve(path, handler)


def make_document(did: str) -> dict[str, Any]:
    """A small DID document with one Multikey method, referenced relatively from assertionMethod."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{
            "id": "#key-1", "type": "Multikey", "controller": did,
            "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        }],
        "assertionMethod": ["#key-1"],
        "authentication": [f"{did}#key-1"],
    }


@pytest.fixture
async def server() -> AsyncIterator[DidServer]:
    async with DidServer() as srv:
        yield srv


@pytest.fixture
async def counter() -> AsyncIterator[ConnectionCounter]:
    async with ConnectionCounter() as listener:
        yield listener


@pytest.fixture
async def fetcher() -> AsyncIterator[SafeFetcher]:
    client = SafeFetcher(allow_http_hosts=["127.0.0.1"], timeout=TIMEOUT, max_bytes=MAX_BYTES)
    yield client
    await client.close()


@pytest.fixture
async def strict_fetcher() -> AsyncIterator[SafeFetcher]:
    """A fetcher as in production: HTTPS only, no host exempt from the address guard."""
    client = SafeFetcher(allow_http_hosts=[], timeout=TIMEOUT, max_bytes=MAX_BYTES)
    yield client
    await client.close()


@pytest.fixture
def resolver(fetcher: SafeFetcher) -> Resolver:
    return Resolver({"web": WebDriver(DriverContext(fetcher=fetcher))}, cache_size=100, default_ttl=300)


async def resolve(resolver: Resolver, did: str, seconds: float = BOUND) -> Resolution:
    return await bounded(resolver.resolve(did), seconds)


def assert_error(result: Resolution, code: str, in_message: str | None = None) -> None:
    assert result.did_document is None
    assert result.error == code, result.resolution_metadata
    if in_message is not None:
        assert in_message in result.resolution_metadata["errorMessage"], result.resolution_metadata


# --- successful resolution ---------------------------------------------------------------------------


async def test_root_form_resolves(server: DidServer, resolver: Resolver) -> None:
    document = server.serve_document()
    result = await resolve(resolver, server.did())
    assert result.error is None, result.resolution_metadata
    assert result.did_document == document
    assert server.hits["/.well-known/did.json"] == 1


async def test_path_form_resolves(server: DidServer, resolver: Resolver) -> None:
    document = server.serve_document("users", "alice")
    did = server.did("users", "alice")
    result = await resolve(resolver, did)
    assert result.error is None, result.resolution_metadata
    assert result.did_document == document
    assert server.hits["/users/alice/did.json"] == 1
    assert server.hits["/.well-known/did.json"] == 0


async def test_dereference_verification_method(server: DidServer, resolver: Resolver) -> None:
    server.serve_document()
    server.serve_document("users", "alice")
    for did in (server.did(), server.did("users", "alice")):
        method = await bounded(resolver.dereference(did + "#key-1"))
        # The relative id in the document comes back absolute.
        assert method["id"] == did + "#key-1"
        assert method["controller"] == did
        assert method["type"] == "Multikey"
        assert method["publicKeyMultibase"].startswith("z6Mk")


async def test_dereference_missing_fragment_is_not_found(server: DidServer, resolver: Resolver) -> None:
    server.serve_document()
    with pytest.raises(ResolutionError) as info:
        await bounded(resolver.dereference(server.did() + "#key-2"))
    assert info.value.code == "notFound"


async def test_dereference_reports_resolution_error(server: DidServer, resolver: Resolver) -> None:
    with pytest.raises(ResolutionError) as info:
        await bounded(resolver.dereference(server.did() + "#key-1"))
    assert info.value.code == "notFound"  # the server has no document at all: 404


# --- upstream faults and bad documents ---------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
async def test_missing_document_is_not_found(server: DidServer, resolver: Resolver, status: int) -> None:
    server.serve_json("/.well-known/did.json", {"error": "gone"}, status=status)
    assert_error(await resolve(resolver, server.did()), "notFound")


async def test_unrouted_path_is_not_found(server: DidServer, resolver: Resolver) -> None:
    assert_error(await resolve(resolver, server.did("users", "nobody")), "notFound")
    assert server.hits["/users/nobody/did.json"] == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_is_internal_error(server: DidServer, resolver: Resolver, status: int) -> None:
    server.serve_json("/.well-known/did.json", make_document(server.did()), status=status)
    assert_error(await resolve(resolver, server.did()), "internalError", str(status))


async def test_html_body_is_invalid_document(server: DidServer, resolver: Resolver) -> None:
    async def html(_: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><html><body>It works!</body></html>",
                            content_type="text/html")

    server.serve("/.well-known/did.json", html)
    assert_error(await resolve(resolver, server.did()), "invalidDidDocument")


async def test_empty_body_is_invalid_document(server: DidServer, resolver: Resolver) -> None:
    async def empty(_: web.Request) -> web.Response:
        return web.Response(body=b"", content_type="application/json")

    server.serve("/.well-known/did.json", empty)
    assert_error(await resolve(resolver, server.did()), "invalidDidDocument")


@pytest.mark.parametrize("value", [[{"id": "placeholder"}], "a string", 42, None])
async def test_json_that_is_not_an_object_is_invalid_document(server: DidServer, resolver: Resolver,
                                                               value: Any) -> None:
    server.serve_json("/.well-known/did.json", value)
    assert_error(await resolve(resolver, server.did()), "invalidDidDocument")


async def test_document_for_another_did_is_invalid_document(server: DidServer, resolver: Resolver) -> None:
    # The root document answers for a path DID, and a document names a different host entirely.
    server.serve_json(server.path_of("users", "alice"), make_document(server.did()))
    assert_error(await resolve(resolver, server.did("users", "alice")), "invalidDidDocument")
    server.serve_json("/.well-known/did.json", make_document("did:web:example.com"))
    assert_error(await resolve(resolver, server.did()), "invalidDidDocument")


async def test_document_without_id_is_invalid_document(server: DidServer, resolver: Resolver) -> None:
    document = make_document(server.did())
    del document["id"]
    server.serve_json("/.well-known/did.json", document)
    assert_error(await resolve(resolver, server.did()), "invalidDidDocument")


# --- size cap ----------------------------------------------------------------------------------------


def oversized_document(did: str) -> bytes:
    """A syntactically valid document of the right DID that is simply too big."""
    document = make_document(did)
    document["padding"] = "x" * (MAX_BYTES + 1024)
    return orjson.dumps(document)


async def test_too_large_with_content_length(server: DidServer, resolver: Resolver) -> None:
    body = oversized_document(server.did())

    async def big(_: web.Request) -> web.Response:
        response = web.Response(body=body, content_type="application/json")
        assert response.content_length == len(body)
        return response

    server.serve("/.well-known/did.json", big)
    assert_error(await resolve(resolver, server.did()), "internalError", "responseTooLarge")


async def test_too_large_chunked_without_content_length(server: DidServer, resolver: Resolver) -> None:
    sent: list[int] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()  # no Content-Length: the cap must be enforced while reading
        await response.prepare(request)
        await response.write(b'{"padding": "')
        # Far more than the cap (16 MiB); the client has to stop reading long before the end.
        for _ in range(2048):
            await response.write(b"x" * 8192)
            sent.append(8192)
        await response.write(b'"}')
        await response.write_eof()
        return response

    server.serve("/.well-known/did.json", stream)
    started = time.monotonic()
    assert_error(await resolve(resolver, server.did()), "internalError", "responseTooLarge")
    assert time.monotonic() - started < TIMEOUT  # stopped at the cap, not at the timeout


async def test_too_large_after_decompression(server: DidServer, resolver: Resolver) -> None:
    bomb = gzip.compress(oversized_document(server.did()) * 16)
    assert len(bomb) < MAX_BYTES  # small on the wire: only the decompressed size is over the cap

    async def gzipped(_: web.Request) -> web.Response:
        return web.Response(body=bomb,
                            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    server.serve("/.well-known/did.json", gzipped)
    assert_error(await resolve(resolver, server.did()), "internalError", "responseTooLarge")


async def test_document_at_exactly_the_cap_resolves(server: DidServer, resolver: Resolver) -> None:
    document = make_document(server.did())
    document["padding"] = ""
    document["padding"] = "x" * (MAX_BYTES - len(orjson.dumps(document)))
    body = orjson.dumps(document)
    assert len(body) == MAX_BYTES

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for offset in range(0, len(body), 1000):
            await response.write(body[offset:offset + 1000])
        await response.write_eof()
        return response

    server.serve("/.well-known/did.json", stream)
    result = await resolve(resolver, server.did())
    assert result.error is None, result.resolution_metadata
    assert result.did_document == document


# --- timeout -----------------------------------------------------------------------------------------


async def test_slow_server_times_out(server: DidServer, resolver: Resolver) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(TIMEOUT + 3)
        return web.json_response(make_document(server.did()))

    server.serve("/.well-known/did.json", slow)
    started = time.monotonic()
    result = await resolve(resolver, server.did(), seconds=TIMEOUT + 1)
    elapsed = time.monotonic() - started
    assert_error(result, "internalError", "timeout")
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 1


async def test_trickling_body_times_out(server: DidServer, resolver: Resolver) -> None:
    """Headers arrive at once but the body never finishes: the timeout is total, not per read."""

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"{")
        for _ in range(100):
            await asyncio.sleep(0.1)
            await response.write(b" ")
        return response

    server.serve("/.well-known/did.json", trickle)
    started = time.monotonic()
    result = await resolve(resolver, server.did(), seconds=TIMEOUT + 1)
    assert_error(result, "internalError", "timeout")
    assert time.monotonic() - started < TIMEOUT + 1


# --- redirects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_on_allowed_host_is_followed(server: DidServer, resolver: Resolver,
                                                     status: int) -> None:
    document = make_document(server.did())
    server.redirect("/.well-known/did.json", "/moved/here.json", status)  # relative Location
    server.serve_json("/moved/here.json", document)
    result = await resolve(resolver, server.did())
    assert result.error is None, result.resolution_metadata
    assert result.did_document == document
    assert server.hits["/moved/here.json"] == 1


async def test_absolute_redirect_on_allowed_host_is_followed(server: DidServer, resolver: Resolver) -> None:
    document = server.serve_document("users", "alice")
    server.redirect("/.well-known/did.json", server.url("/users/alice/did.json"))
    # The document now served at the root URL is alice's, so the id check rejects it, but only after
    # the redirect was followed.
    assert_error(await resolve(resolver, server.did()), "invalidDidDocument")
    assert server.hits["/users/alice/did.json"] == 1
    assert (await resolve(resolver, server.did("users", "alice"))).did_document == document


@pytest.mark.parametrize("location", [
    "https://10.0.0.1/.well-known/did.json",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/did.json",
    "https://[::ffff:10.0.0.1]/did.json",
    "https://127.0.0.2/did.json",
    "https://0.0.0.0/did.json",
])
async def test_redirect_to_non_public_address_is_refused(server: DidServer, resolver: Resolver,
                                                         location: str) -> None:
    server.redirect("/.well-known/did.json", location)
    started = time.monotonic()
    result = await resolve(resolver, server.did())
    # Refused before any connection: a connection attempt to an unroutable address would instead end
    # in 'timeout' after TIMEOUT seconds.
    assert_error(result, "internalError", "addressRefused")
    assert time.monotonic() - started < FAST


@pytest.mark.parametrize("location", [
    "http://10.0.0.1/.well-known/did.json",
    "http://169.254.169.254/latest/meta-data/",
])
async def test_redirect_to_plain_http_elsewhere_is_refused(server: DidServer, resolver: Resolver,
                                                           location: str) -> None:
    # Plain HTTP to a host that is not allowed is refused on the scheme (urlRefused), which the fetcher
    # checks before the address; either way nothing is contacted.
    server.redirect("/.well-known/did.json", location)
    started = time.monotonic()
    assert_error(await resolve(resolver, server.did()), "internalError", "urlRefused")
    assert time.monotonic() - started < FAST


async def test_redirect_to_name_resolving_to_loopback_is_refused(server: DidServer, resolver: Resolver,
                                                                 counter: ConnectionCounter) -> None:
    # 'localhost' is not the allowed host '127.0.0.1': the DNS-level guard refuses its addresses.
    server.redirect("/.well-known/did.json", f"https://localhost:{counter.port}/did.json")
    assert_error(await resolve(resolver, server.did()), "internalError", "addressRefused")
    assert counter.connections == 0


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/did.json", "file:///etc/passwd"])
async def test_redirect_to_other_scheme_is_refused(server: DidServer, resolver: Resolver,
                                                    location: str) -> None:
    server.redirect("/.well-known/did.json", location)
    assert_error(await resolve(resolver, server.did()), "internalError", "urlRefused")


async def test_redirect_to_malformed_url_is_refused(server: DidServer, resolver: Resolver) -> None:
    server.redirect("/.well-known/did.json", "http://[::1")
    assert_error(await resolve(resolver, server.did()), "internalError", "urlRefused")


def redirect_chain(server: DidServer, hops: int) -> dict[str, Any]:
    """/.well-known/did.json → /hop/1 → … → /hop/{hops} which serves the document."""
    document = make_document(server.did())
    paths = ["/.well-known/did.json", *(f"/hop/{n}" for n in range(1, hops + 1))]
    for source, target in itertools.pairwise(paths):
        server.redirect(source, target)
    server.serve_json(paths[-1], document)
    return document


async def test_max_redirects_are_followed(server: DidServer, resolver: Resolver,
                                           fetcher: SafeFetcher) -> None:
    document = redirect_chain(server, fetcher.max_redirects)
    result = await resolve(resolver, server.did())
    assert result.error is None, result.resolution_metadata
    assert result.did_document == document


async def test_too_many_redirects(server: DidServer, resolver: Resolver, fetcher: SafeFetcher) -> None:
    redirect_chain(server, fetcher.max_redirects + 1)
    assert_error(await resolve(resolver, server.did()), "internalError", "tooManyRedirects")
    assert server.hits[f"/hop/{fetcher.max_redirects + 1}"] == 0  # gave up without fetching it


async def test_redirect_loop_ends(server: DidServer, resolver: Resolver) -> None:
    server.redirect("/.well-known/did.json", "/.well-known/did.json")
    assert_error(await resolve(resolver, server.did()), "internalError", "tooManyRedirects")


# --- caching -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cache_control", ["max-age=0", "no-store", "no-cache", "private, no-store"])
async def test_uncacheable_response_is_fetched_again(server: DidServer, resolver: Resolver,
                                                     cache_control: str) -> None:
    server.serve_document(headers={"Cache-Control": cache_control})
    for expected_hits in (1, 2):
        result = await resolve(resolver, server.did())
        assert result.error is None, result.resolution_metadata
        assert server.hits["/.well-known/did.json"] == expected_hits


@pytest.mark.parametrize("cache_control", ["max-age=60", "public, max-age=60", None])
async def test_cacheable_response_is_served_from_cache(server: DidServer, resolver: Resolver,
                                                       cache_control: str | None) -> None:
    # No Cache-Control at all means the resolver's default TTL (300 s here).
    headers = {"Cache-Control": cache_control} if cache_control else None
    document = server.serve_document(headers=headers)
    first = await resolve(resolver, server.did())
    second = await resolve(resolver, server.did())
    assert first.did_document == second.did_document == document
    assert server.hits["/.well-known/did.json"] == 1
    resolver.invalidate(server.did())
    await resolve(resolver, server.did())
    assert server.hits["/.well-known/did.json"] == 2


async def test_failure_is_not_cached(server: DidServer, resolver: Resolver) -> None:
    server.serve_json("/.well-known/did.json", {"error": "down"}, status=500)
    assert_error(await resolve(resolver, server.did()), "internalError")
    document = server.serve_document()  # the server is fixed
    result = await resolve(resolver, server.did())
    assert result.error is None, result.resolution_metadata
    assert result.did_document == document
    assert server.hits["/.well-known/did.json"] == 2


async def test_not_found_is_not_cached(server: DidServer, resolver: Resolver) -> None:
    assert_error(await resolve(resolver, server.did()), "notFound")
    document = server.serve_document()  # the document is published
    assert (await resolve(resolver, server.did())).did_document == document


# --- concurrency -------------------------------------------------------------------------------------


async def test_concurrent_resolutions_share_one_fetch(server: DidServer, resolver: Resolver) -> None:
    document = make_document(server.did())

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.json_response(document)

    server.serve("/.well-known/did.json", slow)
    results = await bounded(asyncio.gather(*(resolver.resolve(server.did()) for _ in range(20))))
    assert server.hits["/.well-known/did.json"] == 1
    assert all(result.error is None and result.did_document == document for result in results)


async def test_concurrent_failures_share_one_fetch(server: DidServer, resolver: Resolver) -> None:
    async def slow_failure(_: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(status=500)

    server.serve("/.well-known/did.json", slow_failure)
    results = await bounded(asyncio.gather(*(resolver.resolve(server.did()) for _ in range(20))))
    assert server.hits["/.well-known/did.json"] == 1
    assert all(result.error == "internalError" for result in results)


# --- the fetcher's guards without an allowed host ----------------------------------------------------


async def test_plain_http_to_loopback_is_refused(strict_fetcher: SafeFetcher,
                                                  counter: ConnectionCounter) -> None:
    with pytest.raises(FetchError) as info:
        await bounded(strict_fetcher.get(f"http://127.0.0.1:{counter.port}/"))
    assert info.value.code == "urlRefused"
    assert counter.connections == 0


async def test_https_to_loopback_literal_is_refused(strict_fetcher: SafeFetcher,
                                                    counter: ConnectionCounter) -> None:
    with pytest.raises(FetchError) as info:
        await bounded(strict_fetcher.get(f"https://127.0.0.1:{counter.port}/"))
    assert info.value.code == "addressRefused"
    assert counter.connections == 0


async def test_name_resolving_to_loopback_is_refused(strict_fetcher: SafeFetcher,
                                                     counter: ConnectionCounter) -> None:
    # The DNS-level guard: 'localhost' is a name, so only the guarded resolver can catch it. The connect
    # is refused before any TLS handshake could begin, which the listener confirms.
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        await bounded(strict_fetcher.get(f"https://localhost:{counter.port}/"))
    assert info.value.code == "addressRefused"
    assert counter.connections == 0
    assert time.monotonic() - started < FAST


async def test_allowed_host_is_reachable(fetcher: SafeFetcher, server: DidServer) -> None:
    # The same loopback server the strict fetcher refuses is reachable once the host is allowed.
    server.serve_json("/ok", {"ok": True})
    response = await bounded(fetcher.get(server.url("/ok")))
    assert response.status == 200
    assert orjson.loads(response.body) == {"ok": True}


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/x", "http:///x",
                                 "https://example.com:notaport/", "https://example.com:99999/"])
async def test_malformed_or_non_http_url_is_refused(strict_fetcher: SafeFetcher, url: str) -> None:
    with pytest.raises(FetchError) as info:
        await bounded(strict_fetcher.get(url))
    assert info.value.code == "urlRefused"


async def test_did_web_on_loopback_refused_without_allowance(strict_fetcher: SafeFetcher,
                                                             counter: ConnectionCounter) -> None:
    resolver = Resolver({"web": WebDriver(DriverContext(fetcher=strict_fetcher))}, cache_size=100,
                        default_ttl=300)
    result = await resolve(resolver, f"did:web:127.0.0.1%3A{counter.port}")
    assert_error(result, "internalError", "addressRefused")
    result = await resolve(resolver, f"did:web:localhost%3A{counter.port}")
    assert_error(result, "internalError", "addressRefused")
    assert counter.connections == 0


# --- unit: parse_max_age -----------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Cache-Control": "max-age=60"}, 60.0),
    ({"cache-control": "max-age=60"}, 60.0),
    ({"Cache-Control": "no-store"}, 0.0),
    ({"Cache-Control": "no-cache"}, 0.0),
    ({"Cache-Control": "private, max-age=10"}, 10.0),
    ({"Cache-Control": "Public, MAX-AGE=10"}, 10.0),
    ({"Cache-Control": "max-age=60, no-store"}, 0.0),
    ({"Cache-Control": 'max-age="30"'}, 30.0),
    ({"Cache-Control": "max-age=-5"}, 0.0),
    ({"Cache-Control": "max-age=0"}, 0.0),
    ({"Cache-Control": "max-age=soon"}, None),
    ({"Cache-Control": "garbage"}, None),
    ({"Cache-Control": ""}, None),
    ({"Content-Type": "application/json"}, None),
    ({}, None),
])
def test_parse_max_age(headers: dict[str, str], expected: float | None) -> None:
    assert parse_max_age(headers) == expected


# --- unit: did_web_url -------------------------------------------------------------------------------


def web_url(did: str, *, plain_http: bool = False) -> str:
    parsed = parse_did_url(did)
    assert parsed is not None, did
    return did_web_url(parsed, plain_http=plain_http)


@pytest.mark.parametrize(("did", "url"), [
    ("did:web:example.com", "https://example.com/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
    ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
    ("did:web:localhost%3a8443", "https://localhost:8443/.well-known/did.json"),
    ("did:web:example.com:a%20b", "https://example.com/a%20b/did.json"),
])
def test_did_web_url(did: str, url: str) -> None:
    assert web_url(did) == url


def test_did_web_url_plain_http() -> None:
    assert web_url("did:web:127.0.0.1%3A8080:users:alice", plain_http=True) == \
        "http://127.0.0.1:8080/users/alice/did.json"


@pytest.mark.parametrize("did", [
    "did:web:example.com::a",  # empty path segment
    "did:web:example.com:a:",  # empty last segment
    "did:web::a",  # empty domain
    "did:web:a%2Fb",  # a '/' in the domain after decoding
    "did:web:example.com:a%2Fb",  # a '/' in a path segment after decoding
    "did:web:example.com:..",  # path traversal
    "did:web:example.com:.",
    "did:web:evil.com%40example.com",  # userinfo: would fetch from example.com
    "did:web:example.com%3Fx",  # a query: the URL would not be the one the DID names
    "did:web:example.com%23",  # a fragment: would fetch the home page
    "did:web:example.com%5C.evil.com",  # a backslash
    "did:web:exa%20mple.com",  # whitespace
    "did:web:example.com%3Aabc",  # a port that is not a number
])
def test_did_web_url_rejects_malformed(did: str) -> None:
    parsed = parse_did_url(did)
    if parsed is None:
        return  # rejected by the DID syntax already, which is just as good
    with pytest.raises(ResolutionError) as info:
        did_web_url(parsed)
    assert info.value.code == "invalidDid"


@pytest.mark.parametrize("did", ["did:web:example.com%3Fx", "did:web:a%2Fb", "did:web:example.com%3Aabc",
                                 "did:web:example.com::a"])
async def test_malformed_did_web_is_invalid_did(resolver: Resolver, did: str) -> None:
    assert_error(await resolve(resolver, did), "invalidDid")
