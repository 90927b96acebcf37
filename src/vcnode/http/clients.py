"""Who a request comes from: the peer's address, or, when the peer is a configured reverse proxy
(``trusted_proxies``), the address that proxy says it forwarded for (``X-Forwarded-For``).

Without ``trusted_proxies`` (the default) the header is ignored: anyone can send it, so believing it would let
any client choose the address it is rate limited and logged as. With it, the header is read from the right:
each hop that is a trusted proxy is skipped, and the first one that is not is the client (what the client
itself wrote on the left is never reached unless every hop after it is trusted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

FORWARDED_FOR = "X-Forwarded-For"
_CLIENT = web.RequestKey("vcnode_client", str)


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Parsed networks (a bare address is a network of one); the configuration has validated them."""
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def parse_address(text: str) -> Address | None:
    """``text`` as an IP address (an IPv4-mapped IPv6 address as IPv4), or None."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def within(address: Address | None, nets: tuple[Network, ...]) -> bool:
    """Whether ``address`` is in one of ``nets`` (never for None)."""
    return address is not None and any(address in net for net in nets)


class ClientAddresses:
    """Resolves (and remembers on the request) the client address of each request."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self._trusted = networks(trusted_proxies)

    def of(self, request: web.Request) -> str:
        """The client's address as text (empty when the transport has none, e.g. a Unix socket)."""
        found = request.get(_CLIENT)
        if found is None:
            found = request[_CLIENT] = self.resolve(request.remote or "", request.headers.getall(FORWARDED_FOR, ()))
        return found

    def resolve(self, peer: str, forwarded: Iterable[str]) -> str:
        """The client of a connection from ``peer`` that sent these ``X-Forwarded-For`` headers."""
        if not self._trusted or not within(parse_address(peer), self._trusted):
            return peer
        client = peer
        hops = [hop.strip() for header in forwarded for hop in header.split(",")]
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:  # not an address: the last trusted hop is as far as we can tell
                break
            client = str(address)
            if not within(address, self._trusted):
                break
        return client
