"""Guarded outbound HTTP: every fetch the node makes (did:web, status lists, peers) goes through here.

Guards: HTTPS only, except hosts named in ``allow_http_hosts``; addresses that are not globally routable
(loopback, private, link-local, reserved…) are refused unless the host is allowed — checked for IP
literals before connecting and for names after DNS resolution (so a public name that resolves to
127.0.0.1, or a redirect to one, is refused too); a total timeout; a cap on the body size (after
decompression); a bounded number of redirects, each re-checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from vcnode import __version__
from vcnode.errors import FetchError

_REDIRECTS = {301, 302, 303, 307, 308}


class AddressRefused(OSError):
    """A name resolved only to addresses the node may not contact."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_public_address(address: str) -> bool:
    """True when an IP address may be contacted without being allowed by name (globally routable)."""
    return _is_public(address)


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class _GuardedResolver(AbstractResolver):
    """Resolves names, then keeps only the addresses the node may contact."""

    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allowed = allowed_hosts

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if host.lower() in self._allowed:
            return results
        public = [item for item in results if _is_public(item["host"])]
        if not public:
            raise AddressRefused(f"{host} resolves only to non-public addresses")
        return public

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A completed fetch: final URL, status, headers and the whole (capped) body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes


class SafeFetcher:
    """The node's outbound HTTP client. One instance per node; call :meth:`close` on shutdown."""

    def __init__(self, *, timeout: float = 10.0, max_bytes: int = 1024 * 1024, max_redirects: int = 3,
                 allow_http_hosts: list[str] | tuple[str, ...] = ()) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allowed_hosts = frozenset(host.lower().strip("[]") for host in allow_http_hosts)
        self._session: aiohttp.ClientSession | None = None

    def is_allowed_host(self, host: str) -> bool:
        """True when ``host`` may be reached over plain HTTP and on non-public addresses."""
        return host.lower().strip("[]") in self.allowed_hosts

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=_GuardedResolver(self.allowed_hosts), limit=100,
                                             ttl_dns_cache=60)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": f"vcnode/{__version__}"},
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.timeout))
        return self._session

    def check_url(self, url: str | URL) -> URL:
        """Raise :class:`FetchError` unless the node may fetch ``url`` (scheme, host, IP literal)."""
        try:
            target = URL(url) if isinstance(url, str) else url
            host = target.host or ""
        except ValueError:  # yarl rejects e.g. a non-numeric port: report it as refused, not as a crash
            raise FetchError(f"refusing to fetch {str(url)[:200]!r}: not a valid URL",
                             code="urlRefused") from None
        if target.scheme not in ("http", "https") or not host:
            raise FetchError(f"refusing to fetch {str(target)[:200]!r}: not an http(s) URL", code="urlRefused")
        allowed = self.is_allowed_host(host)
        if target.scheme == "http" and not allowed:
            raise FetchError(f"refusing plain HTTP to {host}: only HTTPS is allowed", code="urlRefused")
        literal = _ip_literal(host)
        if literal is not None and not allowed and not _is_public(literal):
            raise FetchError(f"refusing to fetch from non-public address {host}", code="addressRefused")
        return target

    async def get(self, url: str, *, accept: str = "application/json") -> FetchResponse:
        """GET ``url`` following up to ``max_redirects`` redirects; the body is read whole, up to the cap."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._get(url, accept)
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout:g} s fetching {url[:200]}", code="timeout") from None

    async def _get(self, url: str, accept: str) -> FetchResponse:
        target = self.check_url(url)
        session = self._session_for_loop()
        for _ in range(self.max_redirects + 1):
            try:
                async with session.get(target, allow_redirects=False, headers={"Accept": accept}) as resp:
                    if resp.status in _REDIRECTS and "Location" in resp.headers:
                        try:
                            location = target.join(URL(resp.headers["Location"]))
                        except ValueError:  # a malformed Location is the server's fault, not a crash here
                            raise FetchError(f"{target.host} redirected to a malformed URL",
                                             code="urlRefused") from None
                        target = self.check_url(location)
                        continue
                    body = await self._read_capped(resp)
                    return FetchResponse(str(resp.url), resp.status, dict(resp.headers), body)
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, AddressRefused):
                    raise FetchError(f"refusing to fetch {target.host}: {exc.os_error}",
                                     code="addressRefused") from None
                raise FetchError(f"cannot connect to {target.host}: {exc.os_error}", code="unreachable") from None
            except aiohttp.ClientError as exc:
                raise FetchError(f"fetching {str(target)[:200]} failed: {exc}", code="unreachable") from None
        raise FetchError(f"more than {self.max_redirects} redirects fetching {url[:200]}", code="tooManyRedirects")

    async def post_json(self, url: str, body: bytes) -> FetchResponse:
        """POST a JSON body to ``url`` under the same guards as :meth:`get`; redirects are not followed (a
        peer that moved announces its new address instead)."""
        target = self.check_url(url)
        try:
            async with asyncio.timeout(self.timeout):
                async with self._session_for_loop().post(
                        target, data=body, allow_redirects=False,
                        headers={"Content-Type": "application/json", "Accept": "application/json"}) as resp:
                    return FetchResponse(str(resp.url), resp.status, dict(resp.headers), await self._read_capped(resp))
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout:g} s posting to {url[:200]}", code="timeout") from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise FetchError(f"refusing to contact {target.host}: {exc.os_error}", code="addressRefused") from None
            raise FetchError(f"cannot connect to {target.host}: {exc.os_error}", code="unreachable") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"posting to {str(target)[:200]} failed: {exc}", code="unreachable") from None

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        declared = resp.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchError(f"response of {declared} bytes exceeds the {self.max_bytes}-byte limit",
                             code="responseTooLarge")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"response exceeds the {self.max_bytes}-byte limit", code="responseTooLarge")
            chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


MAX_CACHE_SECONDS = 86_400.0  # a remote server may not pin its answer in our caches for more than a day


def parse_max_age(headers: dict[str, Any]) -> float | None:
    """Seconds a response may be cached per ``Cache-Control`` (0 for no-store/no-cache), at most a day;
    None if unsaid."""
    value = next((v for k, v in headers.items() if k.lower() == "cache-control"), None)
    if not value:
        return None
    directives = [part.strip().lower() for part in str(value).split(",")]
    if any(d in ("no-store", "no-cache") for d in directives):
        return 0.0
    for directive in directives:
        if directive.startswith("max-age="):
            try:
                seconds = int(directive.split("=", 1)[1].strip('"'))  # delta-seconds (RFC 9111 §1.2.2)
            except ValueError:
                return None
            return float(min(max(seconds, 0), MAX_CACHE_SECONDS))
    return None
