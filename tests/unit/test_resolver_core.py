"""The resolver core: DID syntax, dispatch, caching, in-flight sharing, dereferencing, plug-in discovery."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest

from did_methods.key import KeyDriver
from vcnode.did.cache import TtlLruCache
from vcnode.did.driver import DriverContext
from vcnode.did.resolution import DriverResult, ResolutionError
from vcnode.did.resolver import Resolver, load_drivers
from vcnode.did.syntax import is_did, parse_did_url

ED_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


@pytest.mark.parametrize("value", [
    "did:", "did:key", "did:key:", "did:KEY:z6Mk", "DID:key:z6Mk", "did:ke y:abc", "did:key:abc def",
    "did:key:%zz", "did:key:abc:", "did:web:a/b", "did:key:" + "z" * 10_000, "", "did:example:ü", 42, None,
])
def test_invalid_did_syntax(value: object) -> None:
    assert not is_did(value)


@pytest.mark.parametrize("value", [
    ED_DID, "did:web:example.com", "did:web:localhost%3A8443", "did:web:example.com:a:b",
    "did:example:123:456", "did:example::abc", "did:ex4mple:a.b-c_d",
])
def test_valid_did_syntax(value: str) -> None:
    assert is_did(value)


def test_did_url_parts() -> None:
    parts = parse_did_url("did:example:123/path/to?service=x&v=1#key-1")
    assert parts is not None
    assert (parts.did, parts.method, parts.path, parts.query, parts.fragment) == (
        "did:example:123", "example", "/path/to", "service=x&v=1", "key-1")


class CountingDriver:
    method: ClassVar[str] = "count"

    def __init__(self, ttl: float | None = None, delay: float = 0.0, fail: Exception | None = None) -> None:
        self.calls = 0
        self.ttl, self.delay, self.fail = ttl, delay, fail

    async def resolve(self, did):  # type: ignore[no-untyped-def]
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return DriverResult({"id": did.did, "verificationMethod": [
            {"id": "#k1", "type": "Multikey", "controller": did.did, "publicKeyMultibase": "z6Mk"}]},
            cache_ttl=self.ttl)


@pytest.mark.parametrize("did", ["did:", "did:KEY:z6Mk", "did:key:" + "z" * 10_000, "not a did"])
async def test_malformed_dids_give_invalid_did(did: str) -> None:
    result = await Resolver([KeyDriver()]).resolve(did)
    assert result.error == "invalidDid" and result.did_document is None


async def test_unknown_method_is_method_not_supported() -> None:
    result = await Resolver([KeyDriver()]).resolve("did:example:123")
    assert result.error == "methodNotSupported"


async def test_cache_serves_repeat_resolutions_and_honours_ttl() -> None:
    driver = CountingDriver(ttl=60)
    resolver = Resolver([driver])
    first = await resolver.resolve("did:count:a")
    assert await resolver.resolve("did:count:a") is first
    assert driver.calls == 1
    resolver.invalidate("did:count:a")
    await resolver.resolve("did:count:a")
    assert driver.calls == 2
    uncached = CountingDriver(ttl=0)
    resolver = Resolver([uncached])
    await resolver.resolve("did:count:a")
    await resolver.resolve("did:count:a")
    assert uncached.calls == 2


def test_lru_evicts_least_recently_used_and_expires() -> None:
    now = [0.0]
    cache: TtlLruCache[int] = TtlLruCache(2, clock=lambda: now[0])
    cache.put("a", 1, 10)
    cache.put("b", 2, 10)
    assert cache.get("a") == 1
    cache.put("c", 3, 10)  # evicts b, the least recently used
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    now[0] = 11
    assert cache.get("a") is None and len(cache) == 1


async def test_concurrent_resolutions_share_one_driver_call() -> None:
    driver = CountingDriver(ttl=0, delay=0.05)
    resolver = Resolver([driver])
    results = await asyncio.gather(*(resolver.resolve("did:count:x") for _ in range(25)))
    assert driver.calls == 1
    assert all(result is results[0] for result in results)


async def test_driver_errors_are_reported_not_raised() -> None:
    failing = Resolver([CountingDriver(fail=ResolutionError("notFound", "gone"))])
    assert (await failing.resolve("did:count:x")).error == "notFound"
    buggy = Resolver([CountingDriver(fail=KeyError("bug"))])
    result = await buggy.resolve("did:count:x")
    assert result.error == "internalError" and "KeyError" in result.resolution_metadata["errorMessage"]


async def test_dereference_relative_and_absolute_ids() -> None:
    resolver = Resolver([CountingDriver(), KeyDriver()])
    method = await resolver.dereference("did:count:x#k1")
    assert method["id"] == "did:count:x#k1" and method["controller"] == "did:count:x"
    embedded = await resolver.dereference(f"{ED_DID}#z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p")
    assert embedded["publicKeyMultibase"] == "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"
    with pytest.raises(ResolutionError) as missing:
        await resolver.dereference("did:count:x#nope")
    assert missing.value.code == "notFound"
    with pytest.raises(ResolutionError) as no_fragment:
        await resolver.dereference("did:count:x")
    assert no_fragment.value.code == "invalidDidUrl"
    with pytest.raises(ResolutionError) as bad:
        await resolver.dereference("did:KEY:x#y")
    assert bad.value.code == "invalidDidUrl"


def test_drivers_are_discovered_through_entry_points() -> None:
    from vcnode.net.fetch import SafeFetcher

    drivers = load_drivers(DriverContext(fetcher=SafeFetcher()))
    assert {"key", "jwk", "web"} <= set(drivers)
    assert type(drivers["key"]).__module__ == "did_methods.key"


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    driver = CountingDriver(ttl=0, delay=0.1)
    resolver = Resolver([driver])
    first = asyncio.ensure_future(resolver.resolve("did:count:x"))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(resolver.resolve("did:count:x"))
    await asyncio.sleep(0.01)
    first.cancel()
    result = await second
    assert result.error is None and driver.calls == 1


class VersionedDriver:
    """Records what the core hands it: DIDs with a query of the DID parameters it declares."""

    method: ClassVar[str] = "ver"
    offline: ClassVar[bool] = False
    did_parameters: ClassVar[frozenset[str]] = frozenset({"versionTime", "versionId"})

    def __init__(self, fail: ResolutionError | None = None, deactivated: bool = False) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.fail, self.deactivated = fail, deactivated

    async def resolve(self, did):  # type: ignore[no-untyped-def]
        self.seen.append((did.did, did.query))
        if self.fail is not None:
            raise self.fail
        if self.deactivated:
            return DriverResult(None, {"deactivated": True}, cache_ttl=60)
        return DriverResult({"id": did.did, "query": did.query}, {"versionId": did.query}, cache_ttl=60)


async def test_did_parameters_reach_drivers_that_declare_them() -> None:
    driver = VersionedDriver()
    resolver = Resolver([driver, KeyDriver()])
    result = await resolver.resolve("did:ver:a?versionTime=2025-01-01T00:00:00Z")
    assert result.error is None
    assert result.did_document == {"id": "did:ver:a", "query": "versionTime=2025-01-01T00:00:00Z"}
    await resolver.resolve("did:ver:a?versionTime=2025-01-01T00:00:00Z")
    await resolver.resolve("did:ver:a")
    assert driver.seen == [("did:ver:a", "versionTime=2025-01-01T00:00:00Z"), ("did:ver:a", None)]
    resolver.invalidate("did:ver:a")  # drops the versioned results too
    await resolver.resolve("did:ver:a?versionTime=2025-01-01T00:00:00Z")
    assert len(driver.seen) == 3


@pytest.mark.parametrize(("did_url", "code"), [
    ("did:ver:a?service=files", "invalidDidUrl"),           # not declared by the driver
    ("did:ver:a?versionId=1&versionId=2", "invalidDidUrl"),  # repeated
    ("did:ver:a?versionId", "invalidDidUrl"),                # no value
    (f"{ED_DID}?versionTime=2025-01-01T00:00:00Z", "invalidDidUrl"),  # did:key keeps no versions
    ("did:ver:a/path?versionId=1", "invalidDid"),
    ("did:ver:a?versionId=1#key-1", "invalidDid"),
    ("did:nope:a?versionId=1", "methodNotSupported"),
])
async def test_queries_the_method_cannot_answer(did_url: str, code: str) -> None:
    driver = VersionedDriver()
    result = await Resolver([driver, KeyDriver()]).resolve(did_url)
    assert result.error == code, result.resolution_metadata
    assert driver.seen == []


def test_did_parameters_are_percent_decoded_and_plus_is_literal() -> None:
    from vcnode.did.syntax import did_parameters

    assert did_parameters("versionTime=2025-01-01T00:00:00%2B00:00&versionId=1-a+b") == {
        "versionTime": "2025-01-01T00:00:00+00:00", "versionId": "1-a+b"}
    assert did_parameters("") == {}
    assert did_parameters("a=1&a=2") is None and did_parameters("=1") is None and did_parameters("a") is None


async def test_driver_errors_marked_not_permanent_are_not_cached() -> None:
    driver = VersionedDriver(fail=ResolutionError("invalidDid", "the log does not verify", permanent=False))
    resolver = Resolver([driver])
    for _ in range(2):
        assert (await resolver.resolve("did:ver:a")).error == "invalidDid"
    assert len(driver.seen) == 2
    syntax = VersionedDriver(fail=ResolutionError("invalidDid", "bad DID"))
    resolver = Resolver([syntax])
    for _ in range(2):
        await resolver.resolve("did:ver:b")
    assert len(syntax.seen) == 1


async def test_a_deactivated_did_has_no_document_and_dereferences_to_not_found() -> None:
    resolver = Resolver([VersionedDriver(deactivated=True)])
    result = await resolver.resolve("did:ver:a")
    assert result.error is None and result.did_document is None and result.document_metadata["deactivated"]
    with pytest.raises(ResolutionError) as caught:
        await resolver.dereference("did:ver:a#key-1")
    assert caught.value.code == "notFound" and "deactivated" in caught.value.message
