"""The outbound guard's address checks: private IPv4 addresses hidden inside IPv6 transition forms (NAT64,
6to4, Teredo, IPv4-mapped/-compatible/-translated, ISATAP) and in the legacy IPv4 spellings the C resolver
accepts (decimal, hex, octal, short) are refused like the plain address; their public counterparts are not.

Checked through :meth:`SafeFetcher.check_url` (what every fetch and every redirect goes through) and through
the guarded resolver with the real system resolver (what a name's addresses go through).
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from vcnode.errors import FetchError
from vcnode.net.fetch import AddressRefused, SafeFetcher, _GuardedResolver, embedded_ipv4, host_address

# Each hides a loopback, private, link-local (cloud metadata) or otherwise non-public IPv4 address.
HIDDEN_PRIVATE_IPV6 = {
    "NAT64 well-known prefix, loopback": "64:ff9b::7f00:1",
    "NAT64 well-known prefix, private": "64:ff9b::a00:1",
    "NAT64 well-known prefix, metadata": "64:ff9b::a9fe:a9fe",
    "NAT64 local-use prefix": "64:ff9b:1::7f00:1",
    "NAT64 local-use prefix, public v4": "64:ff9b:1::808:808",  # the /48 is never globally reachable (RFC 8215)
    "6to4, loopback": "2002:7f00:1::",
    "6to4, private": "2002:c0a8:101::1",
    "6to4, metadata": "2002:a9fe:a9fe::1",
    "IPv4-mapped": "::ffff:127.0.0.1",
    "IPv4-compatible": "::127.0.0.1",
    "IPv4-translated (SIIT)": "::ffff:0:10.0.0.1",
    "Teredo, client 127.0.0.1": "2001:0:808:808:0:0:80ff:fffe",
    "ISATAP, private": "2600::5efe:a00:1",
    "ISATAP, universal/local bit set": "2600::200:5efe:7f00:1",
}

PUBLIC_IPV6 = ["64:ff9b::808:808", "2002:808:808::1", "2600::1", "2606:4700:4700::1111"]

# Legacy spellings of 127.0.0.1 (and 10.0.0.1, 0.0.0.0) that inet_aton and getaddrinfo accept.
NUMERIC_SPELLINGS = {
    "decimal": "2130706433",
    "hex": "0x7f000001",
    "octal": "0177.0.0.1",
    "short": "127.1",
    "mixed hex dotted": "0x7f.0.0.1",
    "three parts": "10.0.1",
    "single zero": "0",
    "leading zeros": "127.000.000.001",
}


@pytest.fixture
def guard() -> SafeFetcher:
    return SafeFetcher(allow_http_hosts=["127.0.0.1"])


def refused_code(guard: SafeFetcher, url: str) -> str | None:
    try:
        guard.check_url(url)
    except FetchError as exc:
        return exc.code
    return None


@pytest.mark.parametrize("address", HIDDEN_PRIVATE_IPV6.values(), ids=HIDDEN_PRIVATE_IPV6.keys())
def test_ipv6_carrying_a_private_ipv4_is_refused(guard: SafeFetcher, address: str) -> None:
    assert refused_code(guard, f"https://[{address}]/.well-known/did.json") == "addressRefused"
    assert refused_code(guard, f"https://[{address}]:8443/status/1") == "addressRefused"


@pytest.mark.parametrize("address", PUBLIC_IPV6)
def test_ipv6_carrying_a_public_ipv4_is_allowed(guard: SafeFetcher, address: str) -> None:
    assert refused_code(guard, f"https://[{address}]/.well-known/did.json") is None


@pytest.mark.parametrize("host", NUMERIC_SPELLINGS.values(), ids=NUMERIC_SPELLINGS.keys())
def test_legacy_ipv4_spellings_of_a_private_address_are_refused(guard: SafeFetcher, host: str) -> None:
    # aiohttp takes an all-numeric host for an IP address and connects without asking the guarded
    # resolver, and getaddrinfo reads it the way inet_aton does: the URL check is the only guard.
    assert refused_code(guard, f"https://{host}/.well-known/did.json") == "addressRefused"
    assert refused_code(guard, f"https://{host}:8443/status/1") == "addressRefused"


@pytest.mark.parametrize("host", ["134744072", "0x8080808", "8.8.2056"])
def test_legacy_spellings_of_a_public_address_are_allowed(guard: SafeFetcher, host: str) -> None:
    assert str(host_address(host)) == "8.8.8.8"
    assert refused_code(guard, f"https://{host}/x") is None


@pytest.mark.parametrize("host", ["127.0.0.1.", "1.2.3.4.5", "4294967296", "08.0.0.1", "999.1.1.1"])
def test_numeric_hosts_that_are_no_address_are_refused(guard: SafeFetcher, host: str) -> None:
    # Numeric enough for aiohttp to skip the resolver, but not an address we can check: refused outright.
    assert refused_code(guard, f"https://{host}/x") == "urlRefused"


def test_allowed_host_is_matched_as_written(guard: SafeFetcher) -> None:
    # allow_http_hosts = ["127.0.0.1"] does not extend to other spellings of it.
    assert refused_code(guard, "http://127.0.0.1:8080/x") is None
    assert refused_code(guard, "https://2130706433:8080/x") == "addressRefused"
    assert refused_code(guard, "https://[::ffff:7f00:1]:8080/x") == "addressRefused"


@pytest.mark.parametrize(("address", "expected"), [
    ("64:ff9b::7f00:1", ["127.0.0.1"]),
    ("2002:7f00:1::", ["127.0.0.1"]),
    ("::ffff:0:10.0.0.1", ["10.0.0.1"]),
    ("::127.0.0.1", ["127.0.0.1"]),
    # Teredo: server 65.54.227.120, client 192.0.2.45 obfuscated (RFC 4380 section 4 example)
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"]),
    ("fe80::5efe:c000:22d", ["192.0.2.45"]),
    ("2606:4700:4700::1111", []),
])
def test_embedded_ipv4_unwraps_each_form(address: str, expected: list[str]) -> None:
    assert [str(ip) for ip in embedded_ipv4(ipaddress.IPv6Address(address))] == expected


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::", "::ffff:0:7f00:1", "2600::5efe:7f00:1"])
async def test_resolver_drops_addresses_hiding_a_private_ipv4(address: str) -> None:
    # The same check on what a name resolves to (a DNS64 resolver synthesises 64:ff9b::/96 answers for
    # A records): here the real system resolver, given the address itself.
    resolver = _GuardedResolver(frozenset())
    try:
        with pytest.raises(AddressRefused):
            await resolver.resolve(address, 443, socket.AF_INET6)
        public = await resolver.resolve("64:ff9b::808:808", 443, socket.AF_INET6)
        assert [item["host"] for item in public] == ["64:ff9b::808:808"]
    finally:
        await resolver.close()
