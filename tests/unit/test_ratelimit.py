"""The rate limiter's buckets and the client address behind proxies (issue 12 item 13), on a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcnode.config import load_config
from vcnode.errors import ConfigError
from vcnode.http.clients import ClientAddresses
from vcnode.http.ratelimit import Limit, RateLimiter, rate_limited


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    clock = Clock()
    limiter = RateLimiter({"verify": Limit(2.0, 3)}, clock=clock)
    assert [limiter.take("verify", "192.0.2.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("verify", "192.0.2.1") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("verify", "192.0.2.1") == 0.0
    clock.now += 3600  # idle for an hour: the bucket is full again, not fuller
    assert [limiter.take("verify", "192.0.2.1") == 0.0 for _ in range(4)] == [True, True, True, False]
    assert limiter.take("resolve", "192.0.2.1") == 0.0  # a limit that is not configured does not limit


def test_memory_is_bounded_by_the_number_of_clients() -> None:
    limiter = RateLimiter({"resolve": Limit(1.0, 1)}, max_clients=100, clock=Clock())
    for n in range(5000):
        limiter.take("resolve", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(limiter) == 100
    # The most recently seen clients are the ones kept: the last one is still empty.
    assert limiter.take("resolve", "10.0.19.135") > 0


def test_exempt_networks_and_ipv6_prefixes() -> None:
    limiter = RateLimiter({"pages": Limit(1.0, 1)}, exempt=["127.0.0.0/8", "::1"], clock=Clock())
    assert all(limiter.take("pages", "127.0.0.1") == 0.0 for _ in range(10))
    assert all(limiter.take("pages", "::1") == 0.0 for _ in range(10))
    assert all(limiter.take("pages", "::ffff:127.0.0.5") == 0.0 for _ in range(10))  # IPv4-mapped loopback
    assert limiter.take("pages", "2001:db8::1") == 0.0
    assert limiter.take("pages", "2001:db8::ffff:2") > 0  # same /64
    assert limiter.take("pages", "2001:db8:0:1::1") == 0.0


def test_routes_opt_in_by_a_known_name() -> None:
    @rate_limited("pages")
    async def handler() -> None: ...

    assert handler.vcnode_rate_limit == "pages"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown rate limit"):
        rate_limited("everything")


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # not a trusted proxy: the header is ignored
    ("127.0.0.1", [], "127.0.0.1"),  # a proxy that forwarded nothing
    ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # what the client wrote itself is not reached
    ("127.0.0.1", ["198.51.100.1, 10.1.2.3"], "198.51.100.1"),  # a chain of trusted proxies is walked
    ("127.0.0.1", ["198.51.100.1", "10.1.2.3"], "198.51.100.1"),  # over several headers too
    ("127.0.0.1", ["garbage, 10.1.2.3"], "10.1.2.3"),  # not an address: as far as trusted hops tell
    ("127.0.0.1", ["::ffff:198.51.100.7"], "198.51.100.7"),
])
def test_client_address_behind_trusted_proxies(peer: str, forwarded: list[str], client: str) -> None:
    assert ClientAddresses(["127.0.0.1", "10.0.0.0/8"]).resolve(peer, forwarded) == client


def test_forwarded_for_is_never_trusted_by_default() -> None:
    assert ClientAddresses().resolve("127.0.0.1", ["198.51.100.1"]) == "127.0.0.1"


@pytest.mark.parametrize("env", [{"VCNODE_TRUSTED_PROXIES": "10.0.0.0/33"}, {"VCNODE_RATE_LIMIT_EXEMPT": "localhost"},
                                 {"VCNODE_METRICS_NETWORKS": "nope"}, {"VCNODE_RATE_LIMIT_VERIFY": "-1"},
                                 {"VCNODE_RATE_LIMIT_PAGES_BURST": "0"}, {"VCNODE_LOG_FORMAT": "xml"},
                                 {"VCNODE_RATE_LIMIT_CLIENTS": "0"}])
def test_bad_operations_settings_are_config_errors(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path, environ=env)
